"""`flightml faults RUN`: Monte Carlo bit flips on the compiled model of a run -> RUN/faults.json."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from flightml.artifacts import RunDir
from flightml.compiler.qparams import MODES
from flightml.config import FaultsConfig
from flightml.faults.campaign import Settings
from flightml.faults.image import WHERE
from flightml.faults.stage import FAULTS

# option -> [faults] field; an option not given takes the run's setting (its manifest), else the default
FIELDS = {"flips": "flips", "trials": "trials", "where": "where", "seed": "seed", "samples": "samples",
          "sweep_elements": "sweep_elements", "c_trials": "c_trials", "scrub_chunk": "scrub_chunk_bytes",
          "mode": "mode"}


def register(subparsers: argparse._SubParsersAction) -> None:
    d = FaultsConfig()
    parser = subparsers.add_parser("faults", help="bit-flip injection on the compiled model (faults.json)",
                                   description="Options not given take the run's [faults] settings "
                                               "(defaults shown); those given are recorded in its manifest.")
    parser.add_argument("run", type=Path, metavar="RUN", help="run directory with c/<mode>/ and spectra.npz")
    parser.add_argument("--flips", type=int, nargs="+", metavar="N",
                        help=f"flip counts per inference (default: {' '.join(map(str, d.flips))})")
    parser.add_argument("--trials", type=int, help=f"trials per flip count (default {d.trials})")
    parser.add_argument("--where", choices=WHERE, help=f"memory to flip (default {d.where})")
    parser.add_argument("--seed", type=int, help=f"random seed (default {d.seed})")
    parser.add_argument("--samples", type=int, help=f"test samples, 0 = all (default {d.samples})")
    parser.add_argument("--sweep-elements", type=int,
                        help=f"elements per (array, bit) in the sensitivity sweep, 0 = none "
                             f"(default {d.sweep_elements})")
    parser.add_argument("--c-trials", type=int, help=f"trials re-run on the C build (default {d.c_trials})")
    parser.add_argument("--mode", choices=MODES, help=f"compiled requant mode under RUN/c/ (default {d.mode})")
    parser.add_argument("--no-costs", action="store_true", help="skip the protection cost measurement")
    parser.add_argument("--protect", action="store_true",
                        help="regenerate integrity.c/integrity.h with --scrub-chunk (in a run: through the "
                             "compile stage, every mode; else into RUN/c/<mode>/)")
    parser.add_argument("--scrub-chunk", type=int, metavar="BYTES",
                        help=f"bytes checked per NAME_scrub_step() call (default {d.scrub_chunk_bytes})")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from flightml.config import check_field
    from flightml.errors import InputError
    from flightml.faults.stage import write_faults
    from flightml.pipeline import run_command_stage

    if not args.run.is_dir():
        raise InputError(f"{args.run}: run directory not found")
    given = {field: getattr(args, option) for option, field in FIELDS.items() if getattr(args, option) is not None}
    for option, field in FIELDS.items():
        if field in given and field not in ("where", "mode"):
            check_field(f"faults.{field}", given[field], "--" + option.replace("_", "-"))
    run = RunDir(args.run)
    f = dataclasses.replace(_run_settings(run), **given)
    if not f.flips or max(f.flips) > 4096 or min(f.flips) < 1:
        raise InputError(f"--flips: expected counts in [1, 4096], got {f.flips}")
    settings = Settings(tuple(f.flips), f.trials, f.where, f.seed, f.sweep_elements)

    def write(r: RunDir) -> dict:
        return write_faults(r, settings, f.mode, f.samples, f.c_trials, not args.no_costs, f.scrub_chunk_bytes)

    options = {"faults": given} if given else {}
    if args.protect:
        _protect(run, f.mode, f.scrub_chunk_bytes, options)
    faults = run_command_stage(args.run, "faults", write, **options)
    for row in faults["by_flips"]:
        print(f"{row['flips']:>5} flips: accuracy {row['accuracy_mean']:.4f} (p5 {row['accuracy_p5']:.4f}), "
              f"class changes {row['class_change_rate']:.4%}, self-test detection {row['selftest_detection_rate']}")
    c = faults["c_check"]
    if c["trials"]:
        print(f"C build: {c['trials']} trials, outputs equal to the reference {c['outputs_equal_reference']:.0%}, "
              f"self-test agrees with the CRC {c['selftest_agrees_with_crc']:.0%}")
    print(f"wrote {run.path(FAULTS)}")
    return 0


def _run_settings(run: RunDir) -> FaultsConfig:
    """The run's [faults] settings (from its manifest), or the defaults when it has none."""
    if not run.manifest_path.is_file():
        return FaultsConfig()
    from flightml.pipeline import open_run

    return open_run(run.root).config.faults


def _protect(run: RunDir, mode: str, chunk: int, options: dict) -> None:
    """integrity.{c,h} scrubbing `chunk` bytes per call: through the compile stage (every mode, recorded in the
    manifest) in a run, or written into RUN/c/<mode>/ when RUN holds no manifest."""
    from flightml.faults.protect import add_integrity_files
    from flightml.pipeline import rerun_stage

    if run.manifest_path.is_file():
        rerun_stage(run.root, "compile", **options)
        paths = sorted(run.path("c").glob("*/integrity.[ch]"))
    else:
        with run.lock():
            paths = add_integrity_files(run.path("c", mode), chunk=chunk)
    for path in paths:
        print(f"wrote {path}")
