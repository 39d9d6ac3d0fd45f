"""`flightml sweep quant RUN`: quantization settings over several training seeds, as a table and a plot."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from flightml.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sweep", help="parameter sweeps on an existing run")
    kinds = parser.add_subparsers(dest="sweep_kind", metavar="KIND", required=True)
    quant = kinds.add_parser("quant", help="compare quantization settings over training seeds -> RUN/sweep_quant.json")
    quant.add_argument(
        "run", type=Path, metavar="RUN", help="run directory with spectra.npz, model.pt, model_fp32.onnx"
    )
    quant.add_argument("--seeds", type=int, default=5, help="training seeds (train.seed = run seed + 0..N-1)")
    quant.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    quant.add_argument("--settings", help="comma-separated setting names (default: all)")
    quant.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from flightml.pipeline import open_run
    from flightml.quantize.sweep import SETTINGS, format_table, run_sweep

    if args.seeds < 1:
        raise InputError(f"--seeds: must be >= 1, got {args.seeds}")
    if args.jobs < 1:
        raise InputError(f"--jobs: must be >= 1, got {args.jobs}")
    names = [n.strip() for n in args.settings.split(",") if n.strip()] if args.settings else list(SETTINGS)
    if not names:
        raise InputError("--settings: give at least one setting name")
    run = open_run(args.run)
    summary = run_sweep(run.root, run.config, args.seeds, args.jobs, names)
    print(format_table(summary))
    print(f"written: {run.root / 'sweep_quant.json'}, {run.root / 'figures' / 'sweep_quant.png'}")
    return 0
