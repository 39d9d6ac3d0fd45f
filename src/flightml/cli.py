"""The `flightml` command line.

Each subcommand lives in `flightml/commands/<name>.py` and exposes `register(subparsers)`, which
adds its parser and sets `handler` (a function `args -> int`). Modules are discovered, so adding a
command touches no shared file. Errors derived from FlightmlError become one line on stderr and
their exit code; nothing else is caught, so real bugs keep their traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from flightml import __version__, commands
from flightml.errors import FlightmlError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flightml",
        description="Take a small neural network to flight-ready integer C99, with the evidence.",
    )
    parser.add_argument("--version", action="version", version=f"flightml {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"flightml.commands.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except FlightmlError as exc:
        print(f"flightml: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("flightml: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
