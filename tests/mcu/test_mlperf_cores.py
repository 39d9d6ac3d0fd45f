"""The MLPerf Tiny tf2onnx models on the emulated cores (slow: CI runs it): the C equals the integer
reference on Cortex-M0 code (ARMv6-M, portable kernels; on the MPS2 AN385 memory map: the micro:bit's
16 KiB cannot hold these arenas), Cortex-M4, M7 and M33 (DSP kernels), on all -128, all 127 and one
random input, in `fixedpoint` and in `tflm` (whose rule the DSP paths inline)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flightml.compiler import compile_model
from flightml.mcu.verify import verify_mcu_targets
from flightml.verify.reference import Reference

OPS = Path(__file__).parents[1] / "ops"
sys.path.insert(0, str(OPS))
import qmodels  # noqa: E402
from test_mlperf_tiny import MODELS, _input_shape  # noqa: E402

pytestmark = [pytest.mark.mcu, pytest.mark.slow]
TARGETS = ["cortex-m0-mps2", "cortex-m4", "cortex-m7", "cortex-m33"]


@pytest.mark.parametrize("mode", ["fixedpoint", "tflm"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_c_equals_reference_on_every_core(tools: None, tmp_path: Path, name: str, mode: str) -> None:
    graph = compile_model(MODELS[name], tmp_path / "c", "model", mode, "pytest")
    x = qmodels.random_int8(name, 3, _input_shape(MODELS[name])).reshape(3, -1)
    ref = Reference(graph).run(x.reshape(3, *_input_shape(MODELS[name]))).reshape(3, -1)
    report = verify_mcu_targets(
        tmp_path / "c", x, ref, TARGETS, timeout_s=1800.0, clock_mhz=None, flash_wait_states=None, wcet_margin=1.2
    )["targets"]
    for target in TARGETS:
        r = report[target]
        assert r["status"] == "ok", (target, r["reason"])
        assert r["bitexact"] == 1.0 and r["samples"] == 3, (target, r["mismatches"])
