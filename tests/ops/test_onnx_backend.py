"""The ONNX backend node test cases shipped with the onnx package, where they apply.

QLinearConv / QLinearMatMul: scales, zero points and weights are frozen into
initializers, the activation stays the model input (a leading batch dimension of 1 is added when the
case has none); the compiled C and the reference must give the expected output in ort-exact mode and
within one LSB in fixedpoint mode. QuantizeLinear / DequantizeLinear: the rules behind the generated
quantize/dequantize helpers (qparams) against the expected outputs. uint8 MaxPool has no scale anywhere:
rejected (scales are read, never assumed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from onnx.backend.test.case.node import collect_testcases
from onnx.backend.test.case.test_case import TestCase

from flightml.compiler import compile_model, qparams
from flightml.errors import InputError
from flightml.verify.compiled import CompiledModel
from flightml.verify.reference import Reference

COMPILED = [
    "test_qlinearconv",
    "test_qlinearmatmul_2D_uint8_float32",
    "test_qlinearmatmul_2D_int8_float32",
]
# B varies per batch ([2, 4, 3]): not a constant weight matrix; the compiler must say so clearly.
REJECTED = ["test_qlinearmatmul_3D_uint8_float32", "test_qlinearmatmul_3D_int8_float32"]


@pytest.fixture(scope="module")
def cases() -> dict:
    return {c.name: c for c in collect_testcases()}


def frozen(case: TestCase) -> tuple[onnx.ModelProto, np.ndarray, np.ndarray]:
    """The case's model with every input but the first as an initializer; (model, x, expected y)."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    inputs, outputs = case.data_sets[0]
    graph = model.graph
    x, y = np.asarray(inputs[0]), np.asarray(outputs[0])
    for value_info, data in zip(list(graph.input)[1:], inputs[1:], strict=True):
        graph.initializer.append(numpy_helper.from_array(np.asarray(data), value_info.name))
        graph.input.remove(value_info)
    if x.ndim < 4 and x.shape[0] != 1:
        x, y = x[None], y[None]
        dim = graph.input[0].type.tensor_type.shape.dim.add()
        graph.input[0].type.tensor_type.shape.dim.insert(0, dim)
        graph.input[0].type.tensor_type.shape.dim.pop()
        for d, v in zip(graph.input[0].type.tensor_type.shape.dim, x.shape, strict=True):
            d.Clear()
            d.dim_value = v
    del graph.output[0].type.tensor_type.shape.dim[:]
    return model, x, y


@pytest.mark.parametrize("mode", ["fixedpoint", "ort-exact"])
@pytest.mark.parametrize("name", COMPILED)
def test_backend_case_compiles_and_matches(cases: dict, tmp_path: Path, name: str, mode: str) -> None:
    model, x, y = frozen(cases[name])
    onnx.save(model, tmp_path / "m.onnx")
    graph = compile_model(tmp_path / "m.onnx", tmp_path / "c", "backend_case", mode, "pytest")
    compiled = CompiledModel(tmp_path / "c")
    got = compiled.invoke_int8(x)
    shift = 128 if x.dtype == np.uint8 else 0
    ref = Reference(graph).run((x.astype(np.int16) - shift).astype(np.int8)).astype(np.int16) + shift
    np.testing.assert_array_equal(got.astype(np.int16), ref.reshape(got.shape))
    diff = np.abs(got.astype(np.int16).reshape(y.shape) - y.astype(np.int16))
    assert diff.max() <= (0 if mode == "ort-exact" else 1)


@pytest.mark.parametrize("name", REJECTED)
def test_backend_case_rejected_clearly(cases: dict, tmp_path: Path, name: str) -> None:
    model, _, _ = frozen(cases[name])
    onnx.save(model, tmp_path / "m.onnx")
    with pytest.raises(InputError, match=r"QLinearMatMul.*2-D constant"):
        compile_model(tmp_path / "m.onnx", tmp_path / "c", "backend_case", "fixedpoint", "pytest")


def test_integer_input_without_scale_is_rejected(cases: dict, tmp_path: Path) -> None:
    """A uint8 MaxPool model has no scale anywhere: never assumed (issue 12, item 4)."""
    model, _, _ = frozen(cases["test_maxpool_2d_uint8"])
    onnx.save(model, tmp_path / "m.onnx")
    with pytest.raises(InputError, match=r"input 'x': .*scale and zero point cannot be determined"):
        compile_model(tmp_path / "m.onnx", tmp_path / "c", "backend_case", "fixedpoint", "pytest")


def test_quantizelinear_rule(cases: dict) -> None:
    (x, scale, zp), (y,) = cases["test_quantizelinear"].data_sets[0]
    lo, hi = (0, 255) if zp.dtype == np.uint8 else (-128, 127)
    np.testing.assert_array_equal(qparams.quantize_float(x, float(scale), int(zp), lo, hi), y)


def test_dequantizelinear_rule(cases: dict) -> None:
    (x, scale, zp), (y,) = cases["test_dequantizelinear"].data_sets[0]
    np.testing.assert_array_equal(qparams.dequantize(x, float(scale), int(zp)), y)
