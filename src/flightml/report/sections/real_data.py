"""Section: the data source, and the network against the nearest-template baseline on the test source.

Reads spectra.npz (meta), baseline.json and, when present, evaluation.json (fp32/int8 confusion).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from flightml.artifacts import RunDir, read_json
from flightml.data.baseline import BASELINE, EVALUATION, recall
from flightml.data.spectra import load_spectra
from flightml.data.stage import SPECTRA
from flightml.report.base import Check, Figures, Section, md_table

ORDER = 15


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _confusion_table(names: list[str], confusion: list[list[int]]) -> str:
    return md_table(["true \\ predicted", *names], [[name, *row] for name, row in zip(names, confusion, strict=True)])


def _recall_figure(names: list[str], recalls: dict[str, list[float | None]], figures: Figures) -> Path:
    fig, ax = plt.subplots(figsize=(7, 3.2))
    width = 0.8 / len(recalls)
    for k, (model, values) in enumerate(recalls.items()):
        heights = [100 * (v or 0.0) for v in values]
        ax.bar(np.arange(len(names)) + k * width, heights, width, label=model)
    ax.set_xticks(np.arange(len(names)) + width * (len(recalls) - 1) / 2, names)
    ax.set_ylabel("recall on the test source (%)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8)
    return figures.save(fig, "real_data_recall")


def _data_markdown(meta: dict[str, Any], spectra: Any) -> str:
    grid = spectra.wavelengths
    dropped = ", ".join(f"{source}: {n}" for source, n in meta.get("dropped", {}).items()) or "none"
    rows = [
        ["training source", f"`{meta.get('train_source', meta.get('source'))}`", f"{spectra.y_train.size} spectra"],
        ["test source", f"`{meta.get('test_source', meta.get('source'))}`", f"{spectra.y_test.size} spectra"],
        ["band grid", f"{grid[0]:.3f}-{grid[-1]:.3f} um", f"{spectra.bands} bands"],
        ["labels", meta.get("labels", "complex"), f"end members: {meta.get('end_members', 'other')}"],
        ["coverage policy", meta.get("coverage_policy", ""), f"max gap {meta.get('max_gap_um', '')} um"],
        ["dropped spectra", dropped, "no label, end member dropped, or grid not covered"],
    ]
    cites = "\n".join(f"- {c}" for c in meta.get("citations", []))
    return md_table(["", "value", "note"], rows) + (f"\n\nData cited:\n\n{cites}" if cites else "")


def render(run: RunDir, figures: Figures) -> Section | None:
    if not run.path(BASELINE).exists() or not run.path(SPECTRA).exists():
        return None
    spectra = load_spectra(run.path(SPECTRA))
    baseline = read_json(run.path(BASELINE), "baseline results")
    names = list(spectra.class_names)
    parts = [_data_markdown(spectra.meta, spectra)]
    evaluation = read_json(run.path(EVALUATION), "evaluation") if run.path(EVALUATION).exists() else None
    if not baseline.get("applicable", True):
        parts.append(f"Nearest-template baseline: not applicable ({baseline.get('reason', '')}).")
        return Section("Real data and template baseline", "\n\n".join(parts))
    accuracies = {"nearest template (Bus-DeMeo means)": baseline["accuracy"]}
    confusions = {"nearest template": baseline["confusion"]}
    if evaluation is not None:
        for key in ("fp32", "int8"):
            accuracies[f"network {key}"] = evaluation[key]["accuracy"]
            confusions[f"network {key}"] = evaluation[key]["confusion"]
    base = baseline["accuracy"]
    parts.append(
        md_table(
            ["model", "test accuracy", "vs baseline"],
            [[model, _pct(acc), f"{100 * (acc - base):+.1f} points"] for model, acc in accuracies.items()],
        )
    )
    recalls = {model: list(recall(matrix, names).values()) for model, matrix in confusions.items()}
    support = np.array(baseline["confusion"]).sum(axis=1).tolist()
    parts.append(
        "Per-class recall:\n\n"
        + md_table(
            ["class", "test spectra", *recalls],
            [[name, support[i], *(_pct(values[i]) for values in recalls.values())] for i, name in enumerate(names)],
        )
    )
    for model, matrix in confusions.items():
        parts.append(f"Confusion, {model} (rows true, columns predicted):\n\n{_confusion_table(names, matrix)}")
    checks = []
    if evaluation is not None:
        margin = evaluation["int8"]["accuracy"] - base
        checks.append(
            Check(
                "int8 network beats the nearest-template baseline",
                margin > 0,
                f"int8 {_pct(evaluation['int8']['accuracy'])} vs baseline {_pct(base)} ({100 * margin:+.1f} points)",
            )
        )
    figure = _recall_figure(names, recalls, figures)
    return Section("Real data and template baseline", "\n\n".join(parts), figures=[figure], checks=checks)
