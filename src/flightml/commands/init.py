"""`flightml init mission [--out FILE]`: write a commented example mission file."""

from __future__ import annotations

import argparse
from pathlib import Path

from flightml.artifacts import atomic_write_text, check_writable_path
from flightml.errors import InputError
from flightml.power.mission import example_text


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("init", help="write a commented example file to start from")
    parser.add_argument("what", choices=("mission",), help="which file: 'mission' (mission.toml)")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write here instead of standard output")
    parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    text = example_text()
    if args.out is None:
        print(text, end="")
        return 0
    check_writable_path(args.out, "--out", directory=False)
    if args.out.exists() and not args.force:
        raise InputError(f"{args.out}: already exists (pass --force to overwrite)")
    atomic_write_text(args.out, text)
    print(f"wrote {args.out}")
    return 0
