"""The `quantize` stage: model_fp32.onnx -> model_int8.onnx with ONNX Runtime static quantization.

Weights and activations int8; QDQ or QOperator; per-tensor or per-channel weights; activations
calibrated with MinMax, Entropy or Percentile on the first `calib_samples` training spectra, fed
one at a time (batch 1), as in the reference study.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flightml.artifacts import RunDir, atomic_output_path
from flightml.config import Config, QuantConfig
from flightml.data import load_spectra
from flightml.data.stage import SPECTRA
from flightml.export.stage import FP32, INPUT_NAME
from flightml.onnx_io import load_onnx

INT8 = "model_int8.onnx"


class SpectraReader:
    """An ORT CalibrationDataReader over float32 spectra [n, 1, bands], one sample per call."""

    def __init__(self, x: np.ndarray) -> None:
        self._x = x
        self._next = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self._next >= len(self._x):
            return None
        sample = self._x[self._next : self._next + 1]
        self._next += 1
        return {INPUT_NAME: sample}

    def rewind(self) -> None:
        self._next = 0


def quantize_onnx(fp32_path: Path, int8_path: Path, calibration: np.ndarray, quant: QuantConfig) -> None:
    """Quantize `fp32_path` to `int8_path` (written atomically) with the settings in `quant`."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    load_onnx(fp32_path, "fp32 ONNX model")
    methods = {
        "minmax": CalibrationMethod.MinMax,
        "entropy": CalibrationMethod.Entropy,
        "percentile": CalibrationMethod.Percentile,
    }
    extra = {"CalibPercentile": quant.percentile} if quant.calibration == "percentile" else {}
    with atomic_output_path(int8_path) as tmp:
        quantize_static(
            str(fp32_path),
            str(tmp),
            SpectraReader(calibration),
            quant_format=QuantFormat.QDQ if quant.format == "qdq" else QuantFormat.QOperator,
            activation_type=QuantType.QInt8,
            weight_type=QuantType.QInt8,
            per_channel=quant.per_channel,
            calibrate_method=methods[quant.calibration],
            extra_options=extra,
        )


def quantize_stage(run: RunDir, config: Config) -> None:
    spectra = load_spectra(run.require(SPECTRA, "data"))
    calibration = spectra.x_train[: config.quant.calib_samples]
    quantize_onnx(run.require(FP32, "export"), run.path(INT8), calibration, config.quant)
