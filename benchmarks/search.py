"""Design-space search: best int8 accuracy within the mission budget by strategy, and wall time per worker count.

Usage: .venv/bin/python benchmarks/search.py [--trials N] [--seeds 0 1 2] [--timing-trials N] [--out DIR]
Runs the built-in `small` space against the example mission: TPE, successive halving and random
search at equal trial counts for several seeds (trials shared through one cache), then a fresh
random search with 1 and with 2 workers. Goal (issue 9): TPE's mean best accuracy >= random's,
the whole benchmark under 15 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from flightml.power.mission import example_path
from flightml.search.executors import ray_available
from flightml.search.pareto import ACCURACY
from flightml.search.runner import SearchSettings, search
from flightml.search.space import load_space

STRATEGIES = ("random", "tpe", "halving")


def best_within_budget(doc: dict[str, Any]) -> float | None:
    values = [row[ACCURACY] for row in doc["rows"] if row.get("verdict") == "pass" and row.get(ACCURACY) is not None]
    return max(values, default=None)


def run(out: Path, trials: int, strategy: str, seed: int, workers: int) -> dict[str, Any]:
    settings = SearchSettings(
        mission=example_path(),
        space=load_space("small"),
        out=out,
        trials=trials,
        strategy=strategy,
        seed=seed,
        workers=workers,
        progress=False,
    )
    return search(settings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=12, help="trials per search in the strategy comparison")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--timing-trials", type=int, default=16, help="trials of each timed search")
    parser.add_argument("--out", type=Path, help="where searches are kept (default: a temporary directory)")
    args = parser.parse_args()
    if ray_available():
        import ray

        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        best: dict[str, list[float | None]] = {name: [] for name in STRATEGIES}
        for seed in args.seeds:
            for name in STRATEGIES:
                doc = run(root / "compare", args.trials, name, seed, workers=2)
                best[name].append(best_within_budget(doc))
        timing = {}
        for workers in (1, 2):
            doc = run(root / f"timing-{workers}", args.timing_trials, "random", 100, workers)
            timing[workers] = {
                "wall_s": doc["wall_s"],
                "trials": doc["trials_run"] + 1,
                "trials_per_hour": (doc["trials_run"] + 1) / doc["wall_s"] * 3600,
                "executor": doc["executor"],
            }
        total = time.perf_counter() - start
        result = {
            "trials": args.trials,
            "seeds": args.seeds,
            "best_int8_within_budget": best,
            "timing": timing,
            "total_s": total,
        }
        if args.out:
            (root / "benchmark.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"best int8 accuracy within budget, {args.trials} trials per search (small space, example mission)")
    print(f"{'strategy':<10} " + " ".join(f"{'seed ' + str(s):>8}" for s in args.seeds) + f" {'mean':>8}")
    means = {}
    for name, values in best.items():
        found = [v for v in values if v is not None]
        means[name] = statistics.mean(found) if found else float("nan")
        print(
            f"{name:<10} "
            + " ".join(f"{v:8.4f}" if v is not None else f"{'-':>8}" for v in values)
            + f" {means[name]:8.4f}"
        )
    print(f"\n{'workers':<8} {'trials':>6} {'wall s':>8} {'trials/h':>9}  executor")
    for workers, t in timing.items():
        print(f"{workers:<8} {t['trials']:>6} {t['wall_s']:8.1f} {t['trials_per_hour']:9.0f}  {t['executor']}")
    ok = means["tpe"] >= means["random"] and total < 15 * 60
    print(f"\ntotal {total:.0f} s; TPE >= random and under 15 min: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
