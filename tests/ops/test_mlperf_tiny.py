"""The MLPerf Tiny tf2onnx models compile unedited (issue 15) and, on 16 int8 inputs including all -128 and
all 127, the C equals the reference in both modes and ort-exact equals ONNX Runtime (an exact session)
bit for bit. fixedpoint is TFLite's arithmetic, compared with TFLite Micro (not ONNX Runtime) elsewhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import qmodels as qm
from harness import run_all

HERE = Path(__file__).parent / "mlperf_tiny"
MODELS = {p.name.removesuffix("_tf2onnx.onnx"): p for p in sorted(HERE.glob("*_tf2onnx.onnx"))}
# the fourth model (not copied: 358 kB) when the project's shared model set is next to the checkout
for vww in (d / "shared/models/mlperf-tiny/vww_96_int8_tf2onnx.onnx" for d in Path(__file__).parents):
    if vww.is_file():
        MODELS["vww_96_int8"] = vww


def _input_shape(path: Path) -> tuple[int, ...]:
    dims = onnx.load(path).graph.input[0].type.tensor_type.shape.dim[1:]
    return tuple(d.dim_value for d in dims)


@pytest.fixture(scope="module")
def mlperf_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    inputs = {name: qm.random_int8(name, 16, _input_shape(path)) for name, path in MODELS.items()}
    return run_all(MODELS, inputs, tmp_path_factory.mktemp("mlperf"))


@pytest.mark.parametrize("mode", ["fixedpoint", "ort-exact"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_c_equals_reference(mlperf_results: dict, name: str, mode: str) -> None:
    r = mlperf_results[(name, mode)]
    np.testing.assert_array_equal(r.c, r.ref)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_ort_exact_equals_onnxruntime(mlperf_results: dict, name: str) -> None:
    r = mlperf_results[(name, "ort-exact")]
    np.testing.assert_array_equal(r.ref, r.ort)
