"""Scores from predictions, whatever engine produced them: recall, labels that differ, the reject output.

When the test labels lack classes the model can predict (`unlabelled_classes` in the spectra meta,
e.g. a set labelled S/C/X/V against a model with 'other'), a prediction of such a class is scored
twice: as an error (`accuracy_as_errors`) and as an abstention (`accuracy_abstaining`, over the
spectra not abstained from; `abstention_rate` = their share). Test spectra of classes the model
cannot predict (`unpredictable_test`, left out of the artifact) count as errors in the first figure
and are absent from the second. The reject output turns a prediction of 'other', or one whose
softmax confidence is below the threshold, into 'unknown'; `coverage` is the share not rejected and
`accuracy` the accuracy on those.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flightml.data.taxonomy import OTHER


def recall(confusion: list[list[int]], names: list[str]) -> dict[str, float | None]:
    """Per-class recall from a confusion matrix (row = true class); None for a class without samples."""
    matrix = np.array(confusion)
    support = matrix.sum(axis=1)
    return {name: (float(matrix[i, i] / support[i]) if support[i] else None) for i, name in enumerate(names)}


def softmax_confidence(logits: np.ndarray) -> np.ndarray:
    """The largest softmax probability of each row of `logits` [n, classes]."""
    shifted = np.asarray(logits, dtype=np.float64) - np.max(logits, axis=1, keepdims=True)
    probabilities = np.exp(shifted)
    return probabilities.max(axis=1) / probabilities.sum(axis=1)


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def label_scores(
    truth: np.ndarray,
    predicted: np.ndarray,
    class_names: list[str],
    meta: dict[str, Any],
    confidence: np.ndarray | None = None,
    reject_confidence: float = 0.0,
) -> dict[str, Any]:
    """The figures of the module docstring for predicted class indices [n] against `truth` [n]."""
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    n = int(truth.size)
    correct = predicted == truth
    unlabelled = [name for name in meta.get("unlabelled_classes", []) if name in class_names]
    abstained = np.isin(predicted, [class_names.index(name) for name in unlabelled])
    unpredictable = int(sum(meta.get("unpredictable_test", {}).values()))
    rejected_other = predicted == class_names.index(OTHER) if OTHER in class_names else np.zeros(n, dtype=bool)
    low = confidence < reject_confidence if confidence is not None else np.zeros(n, dtype=bool)
    covered = ~(rejected_other | low)
    return {
        "accuracy_as_errors": _ratio(int(correct.sum()), n + unpredictable),
        "accuracy_abstaining": _ratio(int(correct[~abstained].sum()), int((~abstained).sum())),
        "abstention_rate": _ratio(int(abstained.sum()), n),
        "unlabelled_classes": unlabelled,
        "unpredictable_test_spectra": unpredictable,
        "reject": {
            "confidence": reject_confidence if confidence is not None else None,
            "coverage": _ratio(int(covered.sum()), n),
            "accuracy": _ratio(int(correct[covered].sum()), int(covered.sum())),
            "rejected_other": int(rejected_other.sum()),
            "rejected_low_confidence": int((low & ~rejected_other).sum()),
        },
    }
