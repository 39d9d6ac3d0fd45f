"""Section: the instrument (band responses over class means) and the label scores (abstention, reject).

Reads spectra.npz (meta: instrument, unlabelled_classes, unpredictable_test), baseline.json and,
when present, evaluation.json (fp32/int8 `labels` scores).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from flightml.artifacts import RunDir, read_json
from flightml.data.baseline import BASELINE, EVALUATION
from flightml.data.busdemeo import load_templates
from flightml.data.instrument import Instrument, from_meta
from flightml.data.resample import natural_spline
from flightml.data.spectra import load_spectra
from flightml.data.stage import SPECTRA
from flightml.report.base import Figures, Section, md_table

ORDER = 16
CLASSES = ("S", "C", "X", "V")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _instrument_figure(instrument: Instrument, reference_um: float, figures: Figures) -> Path:
    """Band responses (scaled to peak 1) under the S, C, X, V class means integrated by the instrument."""
    wavelengths = instrument.fine_grid()
    templates = load_templates()
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    for row in instrument.response(wavelengths):
        ax.fill_between(wavelengths, 0, 0.35 * row / row.max(), color="0.8", linewidth=0)
    wavelengths = instrument.sampling()[0]
    for name in CLASSES:
        curve = natural_spline(templates.wavelengths, templates.means[name], wavelengths)
        bands = instrument.integrate(curve[None, :])[0]
        scale = np.interp(reference_um, instrument.centres, bands)
        (line,) = ax.plot(wavelengths, curve / scale, linewidth=1, alpha=0.6)
        ax.plot(instrument.centres, bands / scale, "o", color=line.get_color(), label=f"{name} mean, through the bands")
    ax.set_xlabel("wavelength (um)")
    ax.set_ylabel("relative reflectance")
    ax.set_ylim(0, None)
    ax.set_title(instrument.name, fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    return figures.save(fig, "instrument_bands")


def _values(array: np.ndarray, digits: int = 4) -> object:
    """One number when every band has the same value, else the list."""
    rounded = np.round(array, digits)
    return f"{rounded[0]:g}" if np.all(rounded == rounded[0]) else rounded.tolist()


def _instrument_markdown(instrument: Instrument, meta: dict[str, Any]) -> str:
    noise = (
        f"SNR {_values(instrument.snr, 1)} at reflectance 1"
        if instrument.noise_model == "snr"
        else f"photon: {_values(instrument.signal_e, 0)} e- at reflectance 1, read noise {instrument.read_e:g} e-"
    )
    rows = [
        ["file", f"`{instrument.origin}`"],
        ["bands", f"{instrument.bands}, centres {instrument.centres[0]:.3f}-{instrument.centres[-1]:.3f} um"],
        ["response", instrument.shape],
        ["noise", noise],
        ["calibration error (1 sigma)", _values(instrument.calibration_sd)],
        ["solar-analog slope error (1 sigma, /um)", f"{instrument.slope_sd:g}"],
        ["known bad bands", [b + 1 for b in instrument.bad_bands] or "none"],
        ["systematics in the training data", f"x{meta.get('systematics_scale', 1.0):g}"],
        ["noise in the training data", f"x{meta.get('noise_scale', 1.0):g}"],
    ]
    return md_table(["instrument", "value"], rows)


def _labels_markdown(scores: dict[str, dict[str, Any]], meta: dict[str, Any]) -> str:
    rows = []
    for model, s in scores.items():
        reject = s["reject"]
        rows.append([
            model, _pct(s["accuracy_as_errors"]), _pct(s["accuracy_abstaining"]), _pct(s["abstention_rate"]),
            "n/a" if reject["confidence"] is None else f"{reject['confidence']:g}", _pct(reject["coverage"]),
            _pct(reject["accuracy"]),
        ])  # fmt: skip
    head = ["model", "accuracy (as errors)", "accuracy (as abstentions)", "abstention rate", "reject below",
            "reject coverage", "accuracy when not rejected"]  # fmt: skip
    unlabelled = ", ".join(meta.get("unlabelled_classes", [])) or "none"
    unpredictable = ", ".join(f"{c} {n}" for c, n in meta.get("unpredictable_test", {}).items()) or "none"
    note = (
        f"Classes the model can predict that no test spectrum is labelled with (their predictions are errors in the "
        f"first column, abstentions in the second): {unlabelled}. Test spectra of classes the model cannot predict "
        f"(errors in the first column, left out of the others): {unpredictable}. Reject output: a prediction of "
        "'other', or below the softmax confidence, is 'unknown' (evaluate.reject_confidence)."
    )
    return md_table(head, rows) + "\n\n" + note


def render(run: RunDir, figures: Figures) -> Section | None:
    if not run.path(SPECTRA).exists() or not run.path(BASELINE).exists():
        return None
    spectra = load_spectra(run.path(SPECTRA))
    baseline = read_json(run.path(BASELINE), "baseline results")
    scores = {"nearest template": baseline["labels"]} if "labels" in baseline else {}
    if run.path(EVALUATION).exists():
        evaluation = read_json(run.path(EVALUATION), "evaluation")
        scores.update({f"network {k}": evaluation[k]["labels"] for k in ("fp32", "int8") if "labels" in evaluation[k]})
    meta = spectra.meta
    parts, found = [], []
    if "instrument" in meta:
        instrument = from_meta(meta["instrument"])
        parts.append(_instrument_markdown(instrument, meta))
        found.append(_instrument_figure(instrument, float(meta.get("reference_um", 0.55)), figures))
    if scores:
        parts.append("Labels, abstentions and the reject output:\n\n" + _labels_markdown(scores, meta))
    if not parts:
        return None
    return Section("Instrument, labels and abstentions", "\n\n".join(parts), figures=found)
