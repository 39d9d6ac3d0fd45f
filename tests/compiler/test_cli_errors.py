"""CLI compile/verify, unsupported ops, hostile node names and bad arguments (exit code 2, one line)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper

from flightml.cli import main
from flightml.compiler import compile_model
from flightml.errors import InputError
from flightml.verify.compiled import CompiledModel
from flightml.verify.reference import Reference

sys.path.insert(0, str(Path(__file__).parents[1] / "ops"))

import qmodels as qm

HOSTILE = '*/ system("rm -rf ~"); /*'


def test_cli_compile_and_verify(refnet, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c"
    assert (
        main(["compile", str(refnet.int8), "--out", str(out), "--name", "spectrumnet", "--requant", "ort-exact"]) == 0
    )
    assert "arena 1344 B (kernel scratch up to 768 B)" in capsys.readouterr().out
    np.save(tmp_path / "x.npy", refnet.spectra.x_test[:100])
    assert main(["verify", str(out), "--inputs", str(tmp_path / "x.npy")]) == 0
    assert '"bitexact_vs_reference": 1.0' in capsys.readouterr().out


def test_unsupported_op_names_node(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = qm.conv("unsup", (2, 8), 2, (3,), relu=False, pads=[1, 1])
    spec.nodes[0].output[0] = "c"
    spec.nodes.append(helper.make_node("Cos", ["c"], ["y"], name="my_cos"))
    model = qm.quantize(spec, tmp_path)
    assert main(["compile", str(model), "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "my_cos" in err and "Cos" in err and "not supported" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "c").exists()


def test_hostile_node_name_is_sanitized(tmp_path: Path) -> None:
    spec = qm.conv("hostile", (2, 8), 3, (3,), pads=[1, 1])
    spec.nodes[0].name = HOSTILE
    model = qm.quantize(spec, tmp_path)
    graph = compile_model(model, tmp_path / "c", "hostile", "fixedpoint", f"flightml compile {HOSTILE}")
    for f in (tmp_path / "c").rglob("*.[ch]"):
        text = f.read_text()
        assert 'system("' not in text and "*/ system" not in text, f
    x = qm.random_int8("hostile", 8, (2, 8))
    np.testing.assert_array_equal(CompiledModel(tmp_path / "c").invoke_int8(x), Reference(graph).run(x))


@pytest.mark.parametrize("name", ["1abc", "a-b", "fm_model", "int", "x" * 40, HOSTILE])
def test_bad_api_name(refnet, tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="--name"):
        compile_model(refnet.int8, tmp_path / "c", name, "fixedpoint", "pytest")


def test_missing_and_corrupt_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", str(tmp_path / "none.onnx"), "--out", str(tmp_path / "c")]) == 2
    (tmp_path / "bad.onnx").write_bytes(b"not onnx at all")
    assert main(["compile", str(tmp_path / "bad.onnx"), "--out", str(tmp_path / "c")]) == 2
    assert "bad.onnx" in capsys.readouterr().err


def test_float_model_is_rejected(refnet, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", str(refnet.fp32), "--out", str(tmp_path / "c")]) == 2
    assert "QuantizeLinear" in capsys.readouterr().err


def test_relu_without_producer_is_rejected(tmp_path: Path) -> None:
    model = helper.make_model(
        helper.make_graph(
            [
                helper.make_node("DequantizeLinear", ["x", "s", "z"], ["xd"], name="dq"),
                helper.make_node("Relu", ["xd"], ["y"], name="lonely"),
            ],
            "g",
            [helper.make_tensor_value_info("x", onnx.TensorProto.INT8, [1, 4])],
            [helper.make_tensor_value_info("y", onnx.TensorProto.INT8, [1, 4])],
            [
                helper.make_tensor("s", onnx.TensorProto.FLOAT, [], [0.1]),
                helper.make_tensor("z", onnx.TensorProto.INT8, [], [0]),
            ],
        )
    )
    onnx.save(model, tmp_path / "m.onnx")
    with pytest.raises(InputError, match="lonely"):
        compile_model(tmp_path / "m.onnx", tmp_path / "c", "m", "fixedpoint", "pytest")
