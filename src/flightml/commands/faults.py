"""`flightml faults RUN`: Monte Carlo bit flips on the compiled model of a run -> RUN/faults.json."""

from __future__ import annotations

import argparse
from pathlib import Path

from flightml.artifacts import RunDir
from flightml.compiler.qparams import MODES
from flightml.faults.campaign import Settings
from flightml.faults.image import WHERE
from flightml.faults.protect import SCRUB_CHUNK_BYTES
from flightml.faults.stage import C_TRIALS, FAULTS, MODE, SAMPLES


def register(subparsers: argparse._SubParsersAction) -> None:
    d = Settings()
    parser = subparsers.add_parser("faults", help="bit-flip injection on the compiled model (faults.json)")
    parser.add_argument("run", type=Path, metavar="RUN", help="run directory with c/<mode>/ and spectra.npz")
    parser.add_argument("--flips", type=int, nargs="+", default=list(d.flips), metavar="N",
                        help=f"flip counts per inference (default: {' '.join(map(str, d.flips))})")
    parser.add_argument("--trials", type=int, default=d.trials, help=f"trials per flip count (default {d.trials})")
    parser.add_argument("--where", choices=WHERE, default=d.where, help=f"memory to flip (default {d.where})")
    parser.add_argument("--seed", type=int, default=d.seed, help=f"random seed (default {d.seed})")
    parser.add_argument("--samples", type=int, default=SAMPLES, help=f"test samples, 0 = all (default {SAMPLES})")
    parser.add_argument("--sweep-elements", type=int, default=d.sweep_elements,
                        help=f"elements per (array, bit) in the sensitivity sweep, 0 = none "
                             f"(default {d.sweep_elements})")
    parser.add_argument("--c-trials", type=int, default=C_TRIALS,
                        help=f"trials re-run on the C build (default {C_TRIALS})")
    parser.add_argument("--mode", choices=MODES, default=MODE,
                        help=f"compiled requant mode under RUN/c/ (default {MODE})")
    parser.add_argument("--no-costs", action="store_true", help="skip the protection cost measurement")
    parser.add_argument("--protect", action="store_true",
                        help="also write integrity.c/integrity.h into RUN/c/<mode>/")
    parser.add_argument("--scrub-chunk", type=int, default=SCRUB_CHUNK_BYTES, metavar="BYTES",
                        help=f"bytes checked per NAME_scrub_step() call (default {SCRUB_CHUNK_BYTES})")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from flightml.config import check_field
    from flightml.errors import InputError
    from flightml.faults.protect import add_integrity_files
    from flightml.faults.stage import write_faults
    from flightml.pipeline import run_command_stage

    if not args.run.is_dir():
        raise InputError(f"{args.run}: run directory not found")
    for flag, field in (("--flips", "flips"), ("--trials", "trials"), ("--seed", "seed"), ("--samples", "samples"),
                        ("--sweep-elements", "sweep_elements"), ("--c-trials", "c_trials"),
                        ("--scrub-chunk", "scrub_chunk_bytes")):
        check_field(f"faults.{field}", getattr(args, field.replace("_bytes", "")), flag)
    if not args.flips or max(args.flips) > 4096 or min(args.flips) < 1:
        raise InputError(f"--flips: expected counts in [1, 4096], got {args.flips}")
    settings = Settings(tuple(args.flips), args.trials, args.where, args.seed, args.sweep_elements)
    run = RunDir(args.run)
    def write(r: RunDir) -> dict:
        return write_faults(r, settings, args.mode, args.samples, args.c_trials, not args.no_costs, args.scrub_chunk)

    faults = run_command_stage(args.run, "faults", write)
    if args.protect:
        with run.lock():
            for path in add_integrity_files(run.path("c", args.mode), chunk=args.scrub_chunk):
                print(f"wrote {path}")
    for row in faults["by_flips"]:
        print(f"{row['flips']:>5} flips: accuracy {row['accuracy_mean']:.4f} (p5 {row['accuracy_p5']:.4f}), "
              f"class changes {row['class_change_rate']:.4%}, self-test detection {row['selftest_detection_rate']}")
    c = faults["c_check"]
    if c["trials"]:
        print(f"C build: {c['trials']} trials, outputs equal to the reference {c['outputs_equal_reference']:.0%}, "
              f"self-test agrees with the CRC {c['selftest_agrees_with_crc']:.0%}")
    print(f"wrote {run.path(FAULTS)}")
    return 0
