"""`flightml budget RUN --mission FILE`: check a run against a mission's budgets (exit 0 pass, 1 fail)."""

from __future__ import annotations

import argparse
from pathlib import Path

from flightml.errors import InputError, VerdictFail
from flightml.power.stage import BUDGET, run_budget


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "budget", help="check a run's flash, RAM, WCET, energy and power against a mission file"
    )
    parser.add_argument("run", type=Path, metavar="RUN", help="run directory holding verify_mcu.json")
    parser.add_argument("--mission", type=Path, metavar="FILE", help="mission TOML (default: the built-in example)")
    parser.add_argument("--profile", metavar="FILE", help="target profile name or TOML, overriding the mission's")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if not args.run.is_dir():
        raise InputError(f"{args.run}: run directory not found")
    from flightml.pipeline import run_command_stage

    mission = {"mission": {"file": str(args.mission)}} if args.mission else {}
    doc = run_command_stage(args.run, "budget", lambda run: run_budget(run, args.mission, args.profile), **mission)
    print(f"mission: {doc['mission']['name']} | profile {doc['profile']['name']} "
          f"({doc['target']} at {doc['profile']['figures']['clock_mhz']['value']:g} MHz)")
    for line in doc["lines"]:
        print(f"  {'PASS' if line['passed'] else 'FAIL'}  {line['detail']}")
    for note in doc["notes"]:
        print(f"  note: {note}")
    print(f"verdict: {doc['verdict']} (written to {args.run / BUDGET})")
    if doc["failing"]:
        raise VerdictFail(f"budget failed: {doc['failing'][0]}")
    return 0
