"""The issue-6 evidence: quantization settings over 5 training seeds of the reference network.

Usage: .venv/bin/python benchmarks/quant_sweep.py [--out DIR] [--seeds 5] [--jobs N]
Trains the reference run (data, train, export), then runs `flightml sweep quant` on it and checks
the goals: default setting drop <= 0.3 pts median and <= 0.5 pts worst; reference setting + QAT
within 0.2 pts of fp32 on its worst seed. Exit code 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from flightml.config import Config
from flightml.pipeline import run_pipeline
from flightml.quantize.sweep import format_table, run_sweep

GOALS = (
    ("default", "median_drop_pts", 0.3),
    ("default", "worst_drop_pts", 0.5),
    ("reference+qat", "worst_drop_pts", 0.2),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="run directory (default: a temporary one)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "run"
        config = Config()
        start = time.perf_counter()
        run_pipeline(config, out, stages=["data", "train", "export"])
        summary = run_sweep(out, config, args.seeds, args.jobs, ["reference", "default", "reference+qat"])
        print(format_table(summary))
        print(f"wall time {time.perf_counter() - start:.0f} s")
    failed = 0
    for name, key, limit in GOALS:
        value = summary["settings"][name][key]
        ok = value <= limit
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {name} {key} = {value:.2f} (goal <= {limit})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
