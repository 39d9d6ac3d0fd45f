"""QOperator models (quantize_static QuantFormat.QOperator): QLinearConv, QLinearAdd, QLinearConcat,
QLinearAveragePool, QLinearGlobalAveragePool, QGemm, QLinearMatMul map onto the same ops; C equals the
reference, and ort-exact equals ONNX Runtime (AveragePool within one LSB, as for QDQ)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import qmodels as qm
from harness import run_all

SPECS = [
    qm.residual("qop_residual", (3, 12)),
    qm.concat("qop_concat", (2, 10)),
    qm.pool("qop_avgpool", "AveragePool", (3, 11), kernel_shape=[3], strides=[2], pads=[1, 1]),
    qm.pool("qop_gap", "GlobalAveragePool", (3, 5, 4)),
    qm.gemm("qop_gemm", 24, 10, relu=True),
    qm.matmul("qop_matmul", (3, 5), 4),
]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("qop_models")
    for spec in SPECS:
        spec.qoperator = True
    return {spec.name: qm.quantize(spec, work) for spec in SPECS}


@pytest.fixture(scope="module")
def results(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    inputs = {spec.name: qm.random_int8(spec.name, 48, spec.in_shape) for spec in SPECS}
    return run_all(models, inputs, tmp_path_factory.mktemp("qop_build"))


@pytest.mark.parametrize("name", [s.name for s in SPECS])
def test_qoperator_model(results: dict, name: str) -> None:
    for mode in ("fixedpoint", "ort-exact"):
        r = results[(name, mode)]
        np.testing.assert_array_equal(r.c, r.ref)
    r = results[(name, "ort-exact")]
    assert np.abs(r.ref.astype(int) - r.ort.astype(int)).max() <= (1 if name == "qop_avgpool" else 0)


def test_qoperator_ops_present(models: dict[str, Path]) -> None:
    import onnx

    ops = {n.op_type for path in models.values() for n in onnx.load(path).graph.node}
    assert {"QLinearAdd", "QLinearConcat", "QLinearAveragePool", "QLinearGlobalAveragePool"} <= ops
