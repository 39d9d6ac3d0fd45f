"""`flightml budget RUN --mission FILE`: check a run against a mission's budgets (exit 0 pass, 1 fail)."""

from __future__ import annotations

import argparse
from pathlib import Path

from flightml.artifacts import RunDir
from flightml.errors import InputError, VerdictFail
from flightml.power.stage import BUDGET, run_budget


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "budget", help="check a run's flash, RAM, WCET, energy and power against a mission file"
    )
    parser.add_argument("run", type=Path, metavar="RUN", help="run directory holding verify_mcu.json")
    parser.add_argument("--mission", type=Path, metavar="FILE", help="mission TOML (default: the built-in example)")
    parser.add_argument("--profile", metavar="FILE", help="target profile name or TOML, overriding the mission's")
    parser.add_argument("--clock-mhz", type=float, help="core clock, overriding the mission's and the profile's")
    parser.add_argument("--flash-wait-states", type=int, help="flash wait states, overriding the mission's/profile's")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if not args.run.is_dir():
        raise InputError(f"{args.run}: run directory not found")
    if args.clock_mhz is not None and not 0 < args.clock_mhz < 1e5:
        raise InputError(f"--clock-mhz: expected a clock in MHz > 0, got {args.clock_mhz:g}")
    if args.flash_wait_states is not None and not 0 <= args.flash_wait_states <= 15:
        raise InputError(f"--flash-wait-states: expected 0 to 15, got {args.flash_wait_states}")
    from flightml.pipeline import run_command_stage

    def budget(run: RunDir) -> dict:
        return run_budget(run, args.mission, args.profile, args.clock_mhz, args.flash_wait_states)

    mission = {"mission": {"file": str(args.mission)}} if args.mission else {}
    doc = run_command_stage(args.run, "budget", budget, **mission)
    print(f"mission: {doc['mission']['name']} | profile {doc['profile']['name']} "
          f"({doc['target']} at {doc['profile']['figures']['clock_mhz']['value']:g} MHz)")
    for line in doc["lines"]:
        print(f"  {'PASS' if line['passed'] else 'FAIL'}  {line['detail']}")
    if doc["rta"]:
        rta = doc["rta"]
        print(f"  response time {rta['response_us']:.6g} us (deadline {rta['deadline_us']:.6g} us): "
              + ", ".join(f"{x['name']} x{x['preemptions']}" for x in rta["interference"]))
    for note in doc["notes"]:
        print(f"  note: {note}")
    print(f"verdict: {doc['verdict']} (written to {args.run / BUDGET})")
    if doc["failing"]:
        raise VerdictFail(f"budget failed: {doc['failing'][0]}")
    return 0
