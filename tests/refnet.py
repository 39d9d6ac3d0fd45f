"""The reference network (SpectrumNet on the reference spectra) for tests, built through flightml's
own stages: data -> train (2 epochs by default) -> export -> quantize (-> compile). Accuracy does not
matter to the tests that use it; the shapes, ops and quantization format do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from flightml.artifacts import RunDir
from flightml.config import QuantConfig, config_from_dict
from flightml.data import load_spectra
from flightml.pipeline import run_pipeline
from flightml.quantize.stage import quantize_onnx


def reference_run(
    out: Path, *, epochs: int = 2, quant: dict[str, Any] | None = None, modes: tuple[str, ...] = ()
) -> RunDir:
    """A run directory `out` (must not exist) with spectra.npz, model.pt, model_fp32.onnx and
    model_int8.onnx (per-tensor QDQ unless `quant` says otherwise), and RUN/c/<mode> for `modes`."""
    raw: dict[str, Any] = {"train": {"epochs": epochs}, "quant": {"per_channel": False, **(quant or {})}}
    stages = ["data", "train", "export", "quantize"]
    if modes:
        raw["compile"] = {"modes": list(modes)}
        stages.append("compile")
    return run_pipeline(config_from_dict(raw, "tests/refnet.py"), out, stages=stages).dir


def quantize_variant(run: RunDir, name: str, **fields: Any) -> Path:
    """RUN/<name>.onnx: the run's fp32 model quantized with QuantConfig(**fields)."""
    spectra = load_spectra(run.path("spectra.npz"))
    target = run.path(f"{name}.onnx")
    calibration = np.asarray(spectra.x_train[:300])
    quantize_onnx(run.path("model_fp32.onnx"), target, calibration, QuantConfig(**fields))
    return target
