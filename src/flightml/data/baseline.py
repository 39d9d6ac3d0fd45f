"""Nearest-template baseline: the Bus-DeMeo class means, normalised at 0.55 µm, mean squared distance.

Every Bus-DeMeo class mean (Xn only when a class of the label set is Xn) is taken through a natural
cubic spline to the artifact's band grid (edge value held up to 0.05 µm outside 0.45-2.45 µm), or
integrated over the band responses of the artifact's instrument, and normalised to 1 at 0.55 µm;
so is each test spectrum. A spectrum is given the label of the template at the smallest mean
squared distance (templates whose label is not a class of the artifact are not used). Not applicable
to a unit-free grid (the `reference` source) or one outside the templates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flightml.artifacts import RunDir, atomic_write_json, read_json
from flightml.config import Config
from flightml.data.busdemeo import RANGE_UM, load_templates
from flightml.data.instrument import from_meta
from flightml.data.resample import natural_spline
from flightml.data.scores import label_scores, recall
from flightml.data.spectra import Spectra, load_spectra
from flightml.data.stage import SPECTRA
from flightml.data.taxonomy import BUSDEMEO_CLASSES, map_label

BASELINE = "baseline.json"
EVALUATION = "evaluation.json"
NORMALISE_UM = 0.55
EDGE_UM = 0.05


def template_matrix(spectra: Spectra) -> tuple[np.ndarray, np.ndarray] | None:
    """Templates [t, bands] on the artifact grid and their class indices [t], or None if not applicable."""
    grid = np.asarray(spectra.wavelengths, dtype=np.float64)
    lo, hi = RANGE_UM
    if spectra.meta.get("unit") != "um" or grid[0] < lo - EDGE_UM or grid[-1] > hi + EDGE_UM:
        return None
    if not grid[0] <= NORMALISE_UM <= grid[-1]:
        return None
    labels, end_members = spectra.meta.get("labels", "complex"), spectra.meta.get("end_members", "other")
    templates = load_templates()
    rows, indices = [], []
    for name in BUSDEMEO_CLASSES:
        label = map_label(name, labels, end_members)
        if label in spectra.class_names and (name != "Xn" or labels == "class"):
            rows.append(templates.means[name])
            indices.append(spectra.class_names.index(label))
    if not rows:
        return None
    if "instrument" in spectra.meta:
        instrument = from_meta(spectra.meta["instrument"])
        curves = instrument.integrate(natural_spline(templates.wavelengths, np.stack(rows), instrument.sampling()[0]))
    else:
        curves = natural_spline(templates.wavelengths, np.stack(rows), grid)
    return _normalised(grid, curves), np.array(indices)


def _normalised(grid: np.ndarray, values: np.ndarray) -> np.ndarray:
    scale = np.array([np.interp(NORMALISE_UM, grid, row) for row in values])
    return values / scale[:, None]


def predict(spectra: Spectra, x: np.ndarray) -> np.ndarray | None:
    """Predicted class indices [n] for spectra `x` [n, 1, bands], or None when not applicable."""
    built = template_matrix(spectra)
    if built is None:
        return None
    templates, indices = built
    observed = _normalised(np.asarray(spectra.wavelengths, dtype=np.float64), x[:, 0, :].astype(np.float64))
    distance = ((observed[:, None, :] - templates[None, :, :]) ** 2).mean(axis=2)
    return indices[distance.argmin(axis=1)]


def baseline_metrics(spectra: Spectra) -> dict[str, Any] | None:
    """Accuracy, per-class recall, confusion (row = true, column = predicted) and label scores on the test set.

    None when the baseline does not apply (unit-free grid or one outside the templates).
    """
    predicted = predict(spectra, spectra.x_test)
    if predicted is None:
        return None
    classes, truth = spectra.classes, spectra.y_test
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (truth, predicted), 1)
    return {
        "accuracy": float((predicted == truth).mean()),
        "per_class_recall": recall(matrix.tolist(), spectra.class_names),
        "confusion": matrix.tolist(),
        "class_names": list(spectra.class_names),
        "test_samples": int(truth.size),
        "labels": label_scores(truth, predicted, spectra.class_names, spectra.meta),
        "method": "nearest Bus-DeMeo class-mean template, normalised at 0.55 um, mean squared distance",
    }


def baseline_stage(run: RunDir, config: Config) -> None:
    """Write RUN/baseline.json and the data and baseline lines of summary.json.

    When RUN/evaluation.json exists (run after `evaluate`), the network's per-class recall (fp32 and
    int8) and its margin over the baseline go into the summary as well.
    """
    spectra = load_spectra(run.require(SPECTRA, "data"))
    metrics = baseline_metrics(spectra)
    source = spectra.meta.get("source", config.data.source)
    result: dict[str, Any] = metrics or {
        "applicable": False,
        "reason": f"source '{source}' has no wavelength grid in um within the Bus-DeMeo templates",
    }
    result.setdefault("applicable", True)
    atomic_write_json(run.path(BASELINE), result)
    summary: dict[str, Any] = {
        "data": {
            "source": source,
            "train_source": spectra.meta.get("train_source", source),
            "test_source": spectra.meta.get("test_source", source),
            "n_train": int(spectra.y_train.size),
            "n_test": int(spectra.y_test.size),
            "bands": spectra.bands,
            "class_names": list(spectra.class_names),
        },
        "baseline_accuracy": metrics["accuracy"] if metrics else None,
        "baseline_per_class_recall": metrics["per_class_recall"] if metrics else None,
    }
    if run.path(EVALUATION).exists():
        evaluation = read_json(run.path(EVALUATION), "evaluation")
        for key in ("fp32", "int8"):
            summary[f"{key}_per_class_recall"] = recall(evaluation[key]["confusion"], spectra.class_names)
            if metrics:
                summary[f"{key}_minus_baseline_accuracy"] = evaluation[key]["accuracy"] - metrics["accuracy"]
    run.update_summary(summary)
