"""The `quantize` stage: model_fp32.onnx -> model_int8.onnx with ONNX Runtime static quantization.

Int8 symmetric weights (per-tensor or per-channel), int8 or uint8 activations calibrated with
MinMax, Entropy, Percentile or Distribution on a selected subset of the training spectra, QDQ or
QOperator. `[quant] qat_epochs > 0` first fine-tunes model.pt with fake quantization and forces
the learned activation scales into the model (see flightml.quantize.qat).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from flightml.artifacts import RunDir, atomic_output_path
from flightml.config import Config, QuantConfig
from flightml.data import Spectra, load_spectra
from flightml.data.stage import SPECTRA
from flightml.errors import InputError
from flightml.export.stage import FP32, INPUT_NAME
from flightml.onnx_io import load_onnx
from flightml.quantize.bias_correction import correct_biases

INT8 = "model_int8.onnx"
QAT_REPORT = "qat.json"
QAT_FP32 = "model_qat_fp32.onnx"
QAT_ARTIFACTS = (QAT_REPORT, QAT_FP32)

REFERENCE = {
    "format": "qdq",
    "per_channel": False,
    "calibration": "minmax",
    "calib_samples": 300,
    "calib_selection": "first",
    "calib_batch": 1,
    "activation_type": "int8",
    "activation_symmetric": False,
    "reduce_range": False,
    "preprocess": False,
    "bias_correction": False,
}


def effective(quant: QuantConfig) -> QuantConfig:
    """The settings actually used: `preset = "reference"` replaces the fields in REFERENCE."""
    if quant.preset == "reference":
        return dataclasses.replace(quant, **REFERENCE)
    return quant


def settings_dict(quant: QuantConfig) -> dict[str, Any]:
    """The effective settings as a flat dict (for summary.json and the report)."""
    return dataclasses.asdict(effective(quant))


class SpectraReader:
    """An ORT CalibrationDataReader over float32 spectra [n, 1, bands], `batch` samples per call."""

    def __init__(self, x: np.ndarray, batch: int = 1) -> None:
        self._x = x
        self._batch = batch
        self._next = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self._next >= len(self._x):
            return None
        sample = self._x[self._next : self._next + self._batch]
        self._next += self._batch
        return {INPUT_NAME: sample}

    def rewind(self) -> None:
        self._next = 0


def calibration_indices(y_train: np.ndarray, quant: QuantConfig) -> np.ndarray:
    """Sorted indices of the calibration spectra: the first N, N stratified by class, or N at random."""
    n = quant.calib_samples
    if n > len(y_train):
        raise InputError(f"quant.calib_samples ({n}) exceeds the {len(y_train)} training spectra")
    if quant.calib_selection == "first":
        return np.arange(n)
    if quant.calib_selection == "random":
        return np.sort(np.random.default_rng(quant.calib_seed).choice(len(y_train), n, replace=False))
    classes = np.unique(y_train)
    per_class = [np.flatnonzero(y_train == c) for c in classes]
    quota = np.full(len(classes), n // len(classes))
    quota[: n % len(classes)] += 1
    chosen = np.concatenate([idx[:q] for idx, q in zip(per_class, quota, strict=True)])
    if len(chosen) < n:  # a class too small for its quota: top up with the first unused spectra
        rest = np.setdiff1d(np.arange(len(y_train)), chosen)
        chosen = np.concatenate([chosen, rest[: n - len(chosen)]])
    return np.sort(chosen)


def calibration_set(spectra: Spectra, quant: QuantConfig) -> np.ndarray:
    return spectra.x_train[calibration_indices(spectra.y_train, effective(quant))]


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence ORT's calibration prints and pre-processing warnings."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(previous)


def quantize_onnx(
    fp32_path: Path,
    int8_path: Path,
    calibration: np.ndarray,
    quant: QuantConfig,
    overrides: dict[str, list[dict[str, Any]]] | None = None,
    uint8_weights: bool = False,
) -> None:
    """Quantize `fp32_path` to `int8_path` (written atomically) with the effective settings of `quant`.

    `overrides` (tensor name -> ORT TensorQuantOverrides entry) forces scales, e.g. learned by QAT.
    `uint8_weights` quantizes weights to uint8 (zero point 128) instead of int8: ONNX Runtime then runs
    exact U8U8 kernels on every x86 CPU (flightml.quantize.saturation measures it as a remedy).
    """
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    load_onnx(fp32_path, "fp32 ONNX model")
    quant = effective(quant)
    if quant.bias_correction and quant.format != "qdq":
        raise InputError("quant.bias_correction: needs quant.format = 'qdq'")
    methods = {
        "minmax": CalibrationMethod.MinMax,
        "entropy": CalibrationMethod.Entropy,
        "percentile": CalibrationMethod.Percentile,
        "distribution": CalibrationMethod.Distribution,
    }
    extra: dict[str, Any] = {"ActivationSymmetric": quant.activation_symmetric}
    if quant.calibration == "percentile":
        extra["CalibPercentile"] = quant.percentile
    if uint8_weights:
        extra["WeightSymmetric"] = True
    if overrides:
        extra["TensorQuantOverrides"] = overrides
        extra["QDQDisableWeightAdjustForInt32Bias"] = True
    with tempfile.TemporaryDirectory(prefix="flightml-quant-") as tmpdir, quiet():
        source = Path(fp32_path)
        if quant.preprocess:
            source = Path(tmpdir) / "preprocessed.onnx"
            quant_pre_process(str(fp32_path), str(source))
        with atomic_output_path(int8_path) as tmp:
            quantize_static(
                str(source),
                str(tmp),
                SpectraReader(calibration, quant.calib_batch),
                quant_format=QuantFormat.QDQ if quant.format == "qdq" else QuantFormat.QOperator,
                activation_type=QuantType.QInt8 if quant.activation_type == "int8" else QuantType.QUInt8,
                weight_type=QuantType.QUInt8 if uint8_weights else QuantType.QInt8,
                per_channel=quant.per_channel,
                reduce_range=quant.reduce_range,
                calibrate_method=methods[quant.calibration],
                extra_options=extra,
            )
            if quant.bias_correction:
                correct_biases(source, tmp, calibration)


def quantize_stage(run: RunDir, config: Config) -> None:
    spectra = load_spectra(run.require(SPECTRA, "data"))
    calibration = calibration_set(spectra, config.quant)
    fp32 = run.require(FP32, "export")
    if config.quant.qat_epochs > 0:
        from flightml.quantize.qat import qat_quantize

        qat_quantize(run, config, spectra, calibration)
        return
    quantize_onnx(fp32, run.path(INT8), calibration, config.quant)
    for stale in QAT_ARTIFACTS:  # from an earlier QAT run of this directory
        run.path(stale).unlink(missing_ok=True)
