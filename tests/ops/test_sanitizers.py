"""The generated C of every op case under AddressSanitizer and UndefinedBehaviorSanitizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from harness import run_all

from flightml.verify.build import SANITIZE


@pytest.mark.slow
def test_ops_under_asan_ubsan(op_models: tuple[dict, dict], tmp_path: Path) -> None:
    models, inputs = op_models
    results = run_all(models, inputs, tmp_path, extra=SANITIZE, with_ort=False)
    for r in results.values():
        np.testing.assert_array_equal(r.c, r.ref, err_msg=f"{r.name} {r.mode}")
