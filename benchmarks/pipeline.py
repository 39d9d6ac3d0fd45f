"""Wall time of each stage of the default run (reference study), measured in one run.

Usage: .venv/bin/python benchmarks/pipeline.py [--out DIR]
Goal (issue 2): the whole default run under 60 s on a 2-core machine, set-up excluded.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from flightml.config import Config
from flightml.pipeline import run_pipeline

GOAL_S = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="run directory (default: a temporary one)")
    args = parser.parse_args()
    times: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "run"
        start = time.perf_counter()
        run_pipeline(Config(), out, on_stage=lambda name, _status, seconds: times.append((name, seconds)))
        total = time.perf_counter() - start
    print(f"{'stage':<12} {'wall s':>8} {'share':>7}")
    for name, seconds in times:
        print(f"{name:<12} {seconds:8.2f} {seconds / total:7.1%}")
    print(f"{'total':<12} {total:8.2f}   goal < {GOAL_S:.0f} s: {'met' if total < GOAL_S else 'MISSED'}")
    return 0 if total < GOAL_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
