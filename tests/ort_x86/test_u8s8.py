"""ONNX Runtime's x86 U8S8 saturation, emulated: equal to ORT recorded on an AVX2-without-VNNI host (fixture/)
bit for bit on every host, and to a live default session where this host saturates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from flightml.compiler.passes import load_model, lower
from flightml.ort_session import ort_host, ort_session
from flightml.quantize.saturation import saturation_analysis
from flightml.verify.reference import Reference, exact_int8_outputs
from flightml.verify.u8s8 import SaturatingReference, pair_saturating_dot

FIXTURE = Path(__file__).parent / "fixture"
MODEL = FIXTURE / "spectrumnet" / "model_int8.onnx"
MATMUL_CASES = ["1x3x8", "1x512x64", "5x24x16", "7x64x16"]


def _fixture(name: str) -> np.ndarray:
    return np.load(FIXTURE / "spectrumnet" / f"{name}.npy")


def _emulated_logits(model: Path, x: np.ndarray) -> np.ndarray:
    graph = lower(*load_model(model), "ort-exact")
    emulation = SaturatingReference(graph)
    y = emulation.run(emulation.quantize_input(x))
    return emulation.dequantize_output(y).reshape(len(x), -1)


def test_emulation_equals_recorded_default_session_on_the_model() -> None:
    got = _emulated_logits(MODEL, _fixture("inputs"))
    expected = _fixture("ort_default_logits")
    assert np.array_equal(got, expected)  # 1000 of 1000 samples, bit for bit
    assert float(np.mean(got.argmax(1) == _fixture("labels"))) == pytest.approx(0.908)


def test_exact_semantics_equal_recorded_exact_session_and_differ_from_default() -> None:
    exact = exact_int8_outputs(MODEL, _fixture("inputs"))
    assert np.array_equal(exact, _fixture("ort_exact_logits"))
    assert not np.any(np.all(exact == _fixture("ort_default_logits"), axis=1))


@pytest.mark.parametrize("case", MATMUL_CASES)
def test_emulation_equals_recorded_matmulinteger(case: str) -> None:
    model = onnx.load(str(FIXTURE / "ops" / f"matmulinteger_u8s8_{case}.onnx"))
    b = numpy_helper.to_array(model.graph.initializer[0])
    a = np.load(FIXTURE / "ops" / f"matmulinteger_u8s8_{case}_A.npy")
    expected = np.load(FIXTURE / "ops" / f"matmulinteger_u8s8_{case}_ort_Y.npy")
    got, saturated = pair_saturating_dot(a, b.T)
    assert np.array_equal(got, expected)
    assert saturated > 0 and not np.array_equal(a.astype(np.int64) @ b, expected)  # the case does saturate


def test_emulation_equals_recorded_qlinearconv() -> None:
    graph = lower(*load_model(FIXTURE / "ops" / "qlinearconv_u8s8_c8k3.onnx"), "ort-exact")
    x = np.load(FIXTURE / "ops" / "qlinearconv_u8s8_c8k3_X.npy")
    expected = np.load(FIXTURE / "ops" / "qlinearconv_u8s8_c8k3_ort_Y.npy")
    x_int8 = (x.astype(np.int16) - 128).astype(np.int8)
    got = (SaturatingReference(graph).run(x_int8).astype(np.int16) + 128).astype(np.uint8)
    assert np.array_equal(got, expected)
    exact = (Reference(graph).run(x_int8).astype(np.int16) + 128).astype(np.uint8)
    assert not np.array_equal(exact, expected)


def test_analysis_reports_the_saturating_host_figure_on_any_host() -> None:
    report = saturation_analysis(MODEL, _fixture("inputs"), _fixture("labels"))
    assert report["saturating_host_accuracy"] == pytest.approx(0.908)
    assert report["exact_accuracy"] == pytest.approx(0.979)
    conv1 = report["per_layer"][0]
    assert conv1["changed_accumulator_fraction"] == pytest.approx(0.5276, abs=1e-4)
    assert report["remedies"][0]["accuracy"] == pytest.approx(0.979)


def test_emulation_equals_a_live_default_session_where_this_host_saturates() -> None:
    host = ort_host()
    if not host["saturates"]:
        pytest.skip(f"this host's ONNX Runtime does not saturate ({host['kernel_path']}); the fixture tests cover it")
    x = _fixture("inputs")
    live = ort_session(MODEL, exact=False).run(None, {"spectrum": x})[0]
    assert np.array_equal(_emulated_logits(MODEL, x), live)
