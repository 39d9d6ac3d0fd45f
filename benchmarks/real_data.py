"""Real asteroid spectra: sim-to-real and real-to-real accuracy, fp32 and int8, beside the template baseline.

(a) sim-to-real: train on `busdemeo` spectra on the SMASSII visible grid (0.44-0.92 um, 48 bands),
    test on every real SMASSII spectrum of the S, C, X and V complexes;
(b) real-to-real: train and test on SMASSII (S, C, X, V), stratified split by object.
Each is run for several seeds (data, split and training seed together); accuracies are mean ± std,
per-class recall the mean, confusion matrices summed over seeds. Usage:

    .venv/bin/python benchmarks/real_data.py [--seeds 5] [--epochs N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

import flightml
from flightml.artifacts import read_json
from flightml.config import Config, load_config
from flightml.data.baseline import baseline_metrics
from flightml.data.spectra import load_spectra
from flightml.data.stage import SPECTRA

STAGES = ["data", "train", "export", "quantize", "evaluate"]
COMMON = {
    "data.end_members": "drop",
    "data.wavelength_min": 0.44,
    "data.wavelength_max": 0.92,
    "data.bands": 48,
    "evaluate.latency_calls": 10,
    "evaluate.warmup_calls": 0,
}
# Mini-batch 32; the small real training set (about 850 spectra) needs more epochs for as many steps.
EXPERIMENTS = {
    "sim-to-real (busdemeo -> SMASSII)": {
        "data.train_source": "busdemeo",
        "data.test_source": "smass2",
        "data.n_train": 4000,
        "train.epochs": 40,
        "train.batch_size": 32,
        "train.lr": 2e-3,
    },
    "real-to-real (SMASSII split)": {
        "data.source": "smass2",
        "train.epochs": 200,
        "train.batch_size": 32,
        "train.lr": 3e-3,
    },
}


def run_once(overrides: dict[str, object], seed: int, epochs: int | None, root: Path) -> dict[str, Any]:
    """One pipeline run; returns accuracy and confusion of baseline, fp32 and int8 on the test source."""
    seeded = {**COMMON, **overrides, "data.seed": seed, "data.split_seed": seed, "train.seed": seed}
    config: Config = load_config(None, {**seeded, **({"train.epochs": epochs} if epochs else {})})
    run = flightml.run(config, out=root / f"seed{seed}", stages=STAGES)
    spectra = load_spectra(run.dir.path(SPECTRA))
    evaluation = read_json(run.dir.path("evaluation.json"))
    baseline = baseline_metrics(spectra)
    assert baseline is not None
    return {
        "class_names": spectra.class_names,
        "n_train": int(spectra.y_train.size),
        "n_test": int(spectra.y_test.size),
        "baseline": {"accuracy": baseline["accuracy"], "confusion": baseline["confusion"]},
        "fp32": {k: evaluation["fp32"][k] for k in ("accuracy", "confusion")},
        "int8": {k: evaluation["int8"][k] for k in ("accuracy", "confusion")},
    }


def table(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def summarise(name: str, runs: list[dict[str, Any]]) -> str:
    names = runs[0]["class_names"]
    models = ("baseline", "fp32", "int8")
    out = [f"### {name}: {len(runs)} seeds, {runs[0]['n_train']} train / {runs[0]['n_test']} test spectra", ""]
    rows = []
    for model in models:
        acc = np.array([r[model]["accuracy"] for r in runs])
        rows.append([model, f"{100 * acc.mean():.1f} ± {100 * acc.std():.1f}", f"{100 * acc.min():.1f}"])
    out += [table(["model", "accuracy % (mean ± std)", "worst seed %"], rows), ""]
    recall_rows = []
    for i, cls in enumerate(names):
        cells = []
        for model in models:
            values = [np.array(r[model]["confusion"]) for r in runs]
            cells.append(f"{100 * np.mean([m[i, i] / m[i].sum() for m in values]):.1f}")
        recall_rows.append([cls, *cells])
    out += ["Per-class recall % (mean over seeds):", "", table(["class", *models], recall_rows), ""]
    for model in models:
        total = sum(np.array(r[model]["confusion"]) for r in runs)
        out += [f"Confusion, {model}, summed over seeds (rows true, columns predicted):", ""]
        out += [table(["", *names], [[cls, *row] for cls, row in zip(names, total.tolist(), strict=True)]), ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, help="override every experiment's epochs (quick runs)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for index, (name, overrides) in enumerate(EXPERIMENTS.items()):
            root = Path(tmp) / f"exp{index}"
            results[name] = []
            for seed in range(args.seeds):
                results[name].append(run_once(overrides, seed, args.epochs, root))
                print(f"{name} seed {seed}: int8 {results[name][-1]['int8']['accuracy']:.3f}", file=sys.stderr)
    epochs = args.epochs or "per experiment"
    print(f"flightml real-data benchmark (epochs: {epochs}; seeds 0-{args.seeds - 1}; S, C, X, V)\n")
    for name, runs in results.items():
        print(summarise(name, runs))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
