"""Per-op: ONNX Runtime vs numpy reference vs generated C, on quantize_static QDQ models."""

from __future__ import annotations

import numpy as np
import pytest
from op_cases import op_specs

NAMES = [s.name for s in op_specs()]


@pytest.mark.parametrize("mode", ["fixedpoint", "ort-exact"])
@pytest.mark.parametrize("name", NAMES)
def test_c_equals_reference(op_results: dict, name: str, mode: str) -> None:
    r = op_results[(name, mode)]
    np.testing.assert_array_equal(r.c, r.ref)


@pytest.mark.parametrize("name", NAMES)
def test_ort_exact_equals_onnxruntime(op_results: dict, name: str) -> None:
    r = op_results[(name, "ort-exact")]
    np.testing.assert_array_equal(r.ref, r.ort)


@pytest.mark.parametrize("name", NAMES)
def test_fixedpoint_within_one_lsb_of_onnxruntime(op_results: dict, name: str) -> None:
    r = op_results[(name, "fixedpoint")]
    assert np.abs(r.ref.astype(int) - r.ort.astype(int)).max() <= 1
