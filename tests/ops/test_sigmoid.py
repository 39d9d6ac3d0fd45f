"""Sigmoid (ops/sigmoid.py, kernel fm_lut_s8) on every int8 input: the generated C equals the reference in
every mode (under ASan and UBSan); the ort modes' reference equals ONNX Runtime (QDQ Sigmoid and
com.microsoft QLinearSigmoid, int8 and uint8); tflm equals TFLite Micro's LOGISTIC; fixedpoint is within
one LSB of ONNX Runtime; the DSP set (which takes the portable lut.c) is bit-exact on Cortex-M4."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from harness import run_all
from onnx import TensorProto, helper, numpy_helper

from flightml.cli import main
from flightml.compiler import compile_model, load_graph
from flightml.compiler.ir import QTensor
from flightml.compiler.ops import sigmoid
from flightml.ort_session import ort_session
from flightml.verify.build import SANITIZE
from flightml.verify.compiled import CompiledModel
from flightml.verify.reference import Reference

sys.path.insert(0, str(Path(__file__).parents[1] / "tfl"))
from tfl_builder import TfliteBuilder

MODES = ("fixedpoint", "ort-exact", "ort-int", "tflm")
# name -> (input scale, input zero point, output scale, output zero point, uint8, QLinearSigmoid)
CASES = {
    "qdq_s8_tflite_out": (0.0625, 0, 1 / 256, -128, False, False),
    "qdq_s8": (0.0371, -17, 1 / 255, -128, False, False),
    "qdq_u8": (0.043, 131, 1 / 255, 0, True, False),
    "qop_s8": (0.11, 20, 0.0042, -100, False, True),
    "qop_u8": (0.05, 140, 1 / 255, 0, True, True),
}
ALL = np.stack([np.arange(-128, 128), np.arange(127, -129, -1)]).astype(np.int8)  # every input, both orders


def sigmoid_model(s_in: float, zp_in: int, s_out: float, zp_out: int, unsigned: bool, qop: bool) -> onnx.ModelProto:
    """int8 (uint8) [1, 256] -> Sigmoid -> int8 (uint8): DequantizeLinear/Sigmoid/QuantizeLinear or QLinearSigmoid."""
    elem, dtype = (TensorProto.UINT8, np.uint8) if unsigned else (TensorProto.INT8, np.int8)
    inits = [
        numpy_helper.from_array(np.array(s_in, np.float32), "xs"),
        numpy_helper.from_array(np.array(zp_in, dtype), "xz"),
        numpy_helper.from_array(np.array(s_out, np.float32), "ys"),
        numpy_helper.from_array(np.array(zp_out, dtype), "yz"),
    ]
    opsets = [helper.make_opsetid("", 13)]
    if qop:
        nodes = [
            helper.make_node("QLinearSigmoid", ["x", "xs", "xz", "ys", "yz"], ["y"], "sig", domain="com.microsoft")
        ]
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    else:
        nodes = [
            helper.make_node("DequantizeLinear", ["x", "xs", "xz"], ["xf"], "dq"),
            helper.make_node("Sigmoid", ["xf"], ["yf"], "sig"),
            helper.make_node("QuantizeLinear", ["yf", "ys", "yz"], ["y"], "q"),
        ]
    graph = helper.make_graph(
        nodes,
        "sigmoid",
        [helper.make_tensor_value_info("x", elem, [1, 256])],
        [helper.make_tensor_value_info("y", elem, [1, 256])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    return model


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("sigmoid")
    models = {}
    for name, case in CASES.items():
        models[name] = work / f"{name}.onnx"
        onnx.save(sigmoid_model(*case), models[name])
    return run_all(models, dict.fromkeys(models, ALL), work, MODES, extra=SANITIZE)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", CASES)
def test_c_equals_reference_on_every_input(results: dict, name: str, mode: str) -> None:
    r = results[(name, mode)]
    np.testing.assert_array_equal(r.c, r.ref)
    assert len(np.unique(r.ref)) > 64  # the whole curve, not a saturated constant


@pytest.mark.parametrize("mode", ["ort-exact", "ort-int"])
@pytest.mark.parametrize("name", CASES)
def test_ort_modes_equal_onnxruntime_on_every_input(results: dict, name: str, mode: str) -> None:
    r = results[(name, mode)]
    np.testing.assert_array_equal(r.ref, r.ort)


@pytest.mark.parametrize("name", CASES)
def test_fixedpoint_within_one_lsb_of_onnxruntime(results: dict, name: str) -> None:
    r = results[(name, "fixedpoint")]
    assert np.abs(r.ref.astype(int) - r.ort.astype(int)).max() <= 1


def random_scales(seed: int, n: int) -> list[tuple[float, int, float, int]]:
    """n random (input scale, input zero point, output scale, output zero point) for int8 activations."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        s_out = float(rng.choice([1 / 256, 1 / 255, rng.uniform(0.002, 0.01)]))
        out.append((float(rng.uniform(0.005, 0.2)), int(rng.integers(-60, 60)), s_out, int(rng.integers(-128, 0))))
    return out


@pytest.mark.parametrize("qop", [False, True], ids=["qdq", "qlinear"])
def test_ort_table_equals_onnxruntime_on_random_scales(qop: bool) -> None:
    """The ort modes' table against ONNX Runtime on every input of 100 random scale sets."""
    differ = 0
    for s_in, zp_in, s_out, zp_out in random_scales(7, 100):
        model = sigmoid_model(s_in, zp_in, s_out, zp_out, False, qop)
        y = ort_session(model).run(None, {"x": ALL[:1]})[0].astype(np.int64).ravel()
        x, out = QTensor("x", (1, 256), s_in, zp_in), QTensor("y", (), s_out, zp_out)
        differ += int(np.count_nonzero(sigmoid.lut("test", x, out, "ort-exact")[ALL[0].astype(np.int64) & 0xFF] != y))
    assert differ == 0


def test_tflite_table_equals_tflite_micro_on_random_scales(tmp_path: Path) -> None:
    """The fixed-point modes' table against TFLite Micro on every input of 40 random input quantizations."""
    pytest.importorskip("tflite_micro")
    from flightml.verify.tflm import tflm_int8

    rng = np.random.default_rng(11)
    differ = 0
    for i in range(40):
        s_in, zp_in = float(np.float32(rng.uniform(0.003, 1.0))), int(rng.integers(-128, 128))
        path = logistic_tflite(tmp_path / f"l{i}.tflite", s_in, zp_in)
        table = sigmoid.tflite_logistic("test", ALL[0].astype(np.int64), s_in, zp_in, 1 / 256, -128)
        differ += int(np.count_nonzero(table != tflm_int8(path, ALL[:1]).ravel()))
    assert differ == 0


def logistic_tflite(path: Path, s_in: float, zp_in: int) -> Path:
    m = TfliteBuilder()
    x = m.tensor((1, 256), s_in, zp_in)
    y = m.tensor((1, 256), 1 / 256, -128)
    m.op("LOGISTIC", [x], [y])
    path.write_bytes(m.build([x], [y]))
    return path


@pytest.mark.parametrize(("s_in", "zp_in"), [(0.0625, 0), (0.0213, -40), (0.19, 77), (1.5, 3)])
def test_tflm_equals_tflite_micro_on_every_input(tmp_path: Path, s_in: float, zp_in: int) -> None:
    pytest.importorskip("tflite_micro")
    from flightml.verify.tflm import tflm_int8

    path = logistic_tflite(tmp_path / "logistic.tflite", s_in, zp_in)
    compile_model(path, tmp_path / "c", "model", "tflm", command="test")
    expected = tflm_int8(path, ALL)
    np.testing.assert_array_equal(Reference(load_graph(path, "tflm")).run(ALL), expected)
    np.testing.assert_array_equal(CompiledModel(tmp_path / "c").invoke_int8(ALL), expected)


def test_an_input_scale_tflite_cannot_rescale_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    onnx.save(sigmoid_model(1e-12, 0, 1 / 256, -128, False, False), tmp_path / "tiny.onnx")
    assert main(["compile", str(tmp_path / "tiny.onnx"), "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "node 'sig' (Sigmoid)" in err and "input scale" in err and err.count("\n") == 1


@pytest.mark.mcu
def test_dsp_and_portable_sets_on_qemu(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = logistic_tflite(tmp_path / "logistic.tflite", 0.0213, -40)
    compile_model(path, tmp_path / "c", "model", "tflm", command="test")
    assert (tmp_path / "c" / "kernels" / "dsp" / "lut.c").is_file()  # the portable file completes the set
    np.save(tmp_path / "x.npy", ALL)
    args = ["verify", str(tmp_path / "c"), "--inputs", str(tmp_path / "x.npy")]
    assert main([*args, "--target", "cortex-m4", "--target", "cortex-m0"]) == 0
    out = capsys.readouterr().out
    targets = json.loads(out[out.index('{\n  "targets"') :])["targets"]
    assert targets["cortex-m4"]["kernels"] == "dsp" and targets["cortex-m0"]["kernels"] == "portable"
    assert all(r["status"] == "ok" and r["bitexact"] == 1.0 for r in targets.values())
