"""Never wrong C (issue 12 item 5) and quantization read, never assumed (item 4): huge, zero, negative and
symbolic dimensions, and int8 graph inputs without a DequantizeLinear, each give one line and exit 2 with
no C written; a symbolic batch is taken as 1 and said."""

from __future__ import annotations

import sys
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from flightml.cli import main

sys.path.insert(0, str(Path(__file__).parents[1] / "ops"))

import qmodels as qm


@pytest.fixture(scope="module")
def conv_model(tmp_path_factory: pytest.TempPathFactory) -> onnx.ModelProto:
    spec = qm.conv("limits_conv", (2, 16), 3, (3,), pads=[1, 1])
    return onnx.load(qm.quantize(spec, tmp_path_factory.mktemp("limits")))


def _compile(model: onnx.ModelProto, tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    code = main(["compile", str(path), "--out", str(tmp_path / "c"), *args])
    return code, capsys.readouterr().err


def _with_input_dim(model: onnx.ModelProto, index: int, value: int | str) -> onnx.ModelProto:
    m = onnx.ModelProto()
    m.CopyFrom(model)
    dim = m.graph.input[0].type.tensor_type.shape.dim[index]
    if isinstance(value, str):
        dim.dim_param = value
    else:
        dim.dim_value = value
    return m


@pytest.mark.parametrize(
    ("index", "value", "expected"),
    [
        (2, 2**40, "dimension 2 of the input is 1099511627776"),
        (2, 10**9, "dimension 2 of the input is 1000000000"),
        (2, 0, "dimension 2 of the input is 0"),
        (1, -3, "dimension 1 of the input is -3"),
        (2, "L", "dimension 2 of the input is unknown ('L')"),
    ],
)
def test_bad_input_dimension_is_one_line(conv_model, tmp_path: Path, capsys, index, value, expected) -> None:
    code, err = _compile(_with_input_dim(conv_model, index, value), tmp_path, capsys)
    assert code == 2
    assert f"input 'x': {expected}" in err and err.count("\n") == 1
    assert not (tmp_path / "c").exists()


def test_huge_node_output_names_the_node(conv_model, tmp_path: Path, capsys) -> None:
    m = onnx.ModelProto()
    m.CopyFrom(conv_model)
    conv = next(n for n in m.graph.node if n.op_type == "Conv")
    next(a for a in conv.attribute if a.name == "pads").ints[:] = [0, 10**9]
    code, err = _compile(m, tmp_path, capsys)
    assert code == 2 and err.count("\n") == 1
    assert f"node '{conv.name}' (Conv): dimension 2 of output" in err and "is 1000000014" in err
    assert not (tmp_path / "c").exists()


def test_max_elements_is_configurable(conv_model, tmp_path: Path, capsys) -> None:
    code, err = _compile(conv_model, tmp_path, capsys, "--max-elements", "20")
    assert code == 2 and "exceeds the maximum of 20 elements" in err
    assert not (tmp_path / "c").exists()


def test_symbolic_batch_is_taken_as_one_and_said(conv_model, tmp_path: Path, capsys) -> None:
    code, err = _compile(_with_input_dim(conv_model, 0, "N"), tmp_path, capsys)
    assert code == 0
    assert err == "info: input 'x': symbolic batch dimension 'N' taken as 1\n"
    assert "#define MODEL_INPUT_SHAPE { 1, 2, 16 }" in (tmp_path / "c" / "model.h").read_text()


def test_int8_input_without_dequantize_is_refused(tmp_path: Path, capsys) -> None:
    graph = helper.make_graph(
        [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2])],
        "no_scale",
        [helper.make_tensor_value_info("x", TensorProto.INT8, [1, 2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.INT8, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    code, err = _compile(model, tmp_path, capsys)
    assert code == 2 and err.count("\n") == 1
    assert "input 'x'" in err and "scale and zero point cannot be determined" in err
    assert not (tmp_path / "c").exists()
