"""The ONNX Runtime oracle is exact on whatever host runs it, and the host description is right."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from flightml.ort_session import INT8_ACTIVATION_CONFIG, exact_config, kernel_path, ort_host, ort_session
from flightml.verify.reference import exact_int8_outputs

FIXTURE = Path(__file__).parent / "fixture" / "spectrumnet"


def test_oracle_equals_the_integer_reference_on_this_host() -> None:
    x = np.load(FIXTURE / "inputs.npy")
    session = ort_session(FIXTURE / "model_int8.onnx")
    assert exact_config(str(FIXTURE / "model_int8.onnx")) == INT8_ACTIVATION_CONFIG  # int8 activations
    for key, value in INT8_ACTIVATION_CONFIG.items():
        assert session.get_session_options().get_session_config_entry(key) == value
    oracle = np.concatenate([session.run(None, {"spectrum": x[i : i + 100]})[0] for i in range(0, len(x), 100)])
    assert np.array_equal(oracle, exact_int8_outputs(FIXTURE / "model_int8.onnx", x))


@pytest.mark.parametrize(
    ("machine", "flags", "exact"),
    [
        ("x86_64", {"avx2", "fma"}, False),  # AMD EPYC / Zen 2, Haswell..Skylake clients
        ("x86_64", {"avx2", "avx512f", "avx512_vnni"}, True),
        ("x86_64", {"avx2", "avx_vnni"}, True),
        ("aarch64", {"asimd", "asimddp"}, True),
        ("arm64", set(), True),
    ],
)
def test_kernel_path(machine: str, flags: set[str], exact: bool) -> None:
    path, is_exact = kernel_path(machine, flags)
    assert is_exact == exact
    assert ("saturation" in path) == (not exact)


def test_ort_host_names_cpu_flags_version_and_path() -> None:
    host = ort_host()
    assert set(host) >= {"cpu", "isa", "onnxruntime", "kernel_path", "exact", "saturates"}
    assert set(host["isa"]) == {"avx2", "avx512_vnni", "avx_vnni", "asimddp"}
    assert host["saturates"] == (not host["exact"] and host["machine"].lower() in ("x86_64", "amd64"))


def test_a_model_the_compiler_cannot_lower_runs_on_the_exact_session(tmp_path: Path) -> None:
    """A Relu quantized on its own is not compilable; its int8 outputs come from the exact oracle."""
    from onnx import TensorProto, helper

    scale = helper.make_tensor("s", TensorProto.FLOAT, [], [0.05])
    zp = helper.make_tensor("z", TensorProto.INT8, [], [0])
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"]),
        helper.make_node("Relu", ["xd"], ["r"]),
        helper.make_node("QuantizeLinear", ["r", "s", "z"], ["rq"]),
        helper.make_node("DequantizeLinear", ["rq", "s", "z"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 8])],
        [scale, zp],
    )
    path = tmp_path / "relu.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    x = np.linspace(-3, 3, 32, dtype=np.float32).reshape(4, 8)
    expected = np.clip(np.rint(x / np.float32(0.05)), 0, 127) * np.float32(0.05)
    np.testing.assert_array_equal(exact_int8_outputs(path, x), expected.astype(np.float32))
