"""`flightml config`: print the default configuration or check a file."""

from __future__ import annotations

import argparse
from pathlib import Path

from flightml.config import default_toml, load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="print the default configuration or check a config file")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--default", action="store_true", help="print the default configuration as TOML")
    group.add_argument("--check", type=Path, metavar="FILE", help="validate FILE and exit 0 if it is well-formed")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.default:
        print(default_toml(), end="")
        return 0
    from flightml.pipeline import check_run_inputs

    check_run_inputs(load_config(args.check))
    print(f"{args.check}: ok")
    return 0
