"""Bias correction changes only int32 biases, shrinks the mean int8 logit error and still compiles bit-exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from quant_helpers import small_config

from flightml.compiler import compile_model
from flightml.data import load_spectra
from flightml.errors import InputError
from flightml.ort_session import ort_session
from flightml.quantize.stage import calibration_set, quantize_onnx
from flightml.verify.host import verify_dir


def _mean_logit_error(fp32: Path, int8: Path, x: np.ndarray) -> float:
    f = ort_session(fp32).run(None, {"spectrum": x})[0]
    q = ort_session(int8).run(None, {"spectrum": x})[0]
    return float(np.abs((q - f).mean(axis=0)).max())


def test_bias_correction(small_run: Path, tmp_path: Path) -> None:
    spectra = load_spectra(small_run / "spectra.npz")
    fp32 = small_run / "model_fp32.onnx"
    plain, corrected = tmp_path / "plain.onnx", tmp_path / "corrected.onnx"
    config = small_config(per_channel=False)
    calibration = calibration_set(spectra, config.quant)
    quantize_onnx(fp32, plain, calibration, config.quant)
    quantize_onnx(fp32, corrected, calibration, small_config(per_channel=False, bias_correction=True).quant)
    a, b = onnx.load(str(plain)), onnx.load(str(corrected))
    changed = [
        x.name
        for x, y in zip(a.graph.initializer, b.graph.initializer, strict=True)
        if x.SerializeToString() != y.SerializeToString()
    ]
    assert changed and all(name.endswith("bias_quantized") for name in changed)
    assert _mean_logit_error(fp32, corrected, calibration) < _mean_logit_error(fp32, plain, calibration)
    for mode in ("fixedpoint", "ort-exact"):
        compile_model(corrected, tmp_path / mode, "spectrumnet", mode, "pytest")
        r = verify_dir(tmp_path / mode, spectra.x_test, spectra.y_test, latency=False)
        assert r["bitexact_vs_reference"] == 1.0
        # ort-exact equals ONNX Runtime bit for bit; fixedpoint rounds differently, by at most 1 LSB
        assert r["bitexact_vs_ort"] == 1.0 if mode == "ort-exact" else r["max_abs_diff_lsb_vs_ort"] <= 1


def test_bias_correction_needs_qdq(small_run: Path, tmp_path: Path) -> None:
    config = small_config(format="qoperator", bias_correction=True)
    calibration = np.zeros((1, 1, 64), np.float32)
    with pytest.raises(InputError, match=r"quant\.bias_correction"):
        quantize_onnx(small_run / "model_fp32.onnx", tmp_path / "x.onnx", calibration, config.quant)
    assert not (tmp_path / "x.onnx").exists()
