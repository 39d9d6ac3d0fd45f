"""The plugin's counters are exact on every core: a hand-written routine (counter_probe.c) with a
known number of instructions per class, taken branches and flash data reads; and the flash reads
equal an independent count from QEMU's single-step CPU trace (flightml.mcu.tracecount)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from flightml.artifacts import RunDir
from flightml.mcu import footprint, qemu, timing, tracecount
from flightml.mcu.build import build_elf, build_program
from flightml.mcu.model_api import read_model_api
from flightml.mcu.targets import TARGETS, Target

pytestmark = pytest.mark.mcu
PROBE = Path(__file__).parent / "counter_probe.c"
UNALIGNED = Path(__file__).parent / "unaligned_probe.c"
EXPECTED = {
    "insn": 45,
    "alu": 17,
    "load": 8,
    "load_p": 8,
    "lsm": 3,
    "lsm_regs": 6,
    "branch": 9,
    "taken": 8,
    "flash_reads": 10,
}


@pytest.mark.parametrize("name", list(TARGETS))
def test_counters_exact_on_probe(tools: None, tmp_path: Path, name: str) -> None:
    target = TARGETS[name]
    build_program([], target, [], [], tmp_path, tmp_path, main=PROBE)
    addresses = footprint.symbol_addresses(tmp_path / "prog.elf")
    run = qemu.run_elf(tmp_path / "prog.elf", target, b"", [addresses["fm_probe"], addresses["fm_probe_end"]], 30)
    assert run.exit_code == 0, run.stderr
    (m0, start), (m1, end) = run.snapshots
    assert (m0, m1) == (0, 1)
    delta = {k: end[k] - start[k] for k in start}
    assert {k: v for k, v in delta.items() if v} == EXPECTED
    extra = timing.estimate_cycles(delta, target, 4) - timing.estimate_cycles(delta, target, 0)
    assert extra == 4 * (EXPECTED["taken"] + EXPECTED["flash_reads"])


@pytest.mark.parametrize("name", ["cortex-m0", "cortex-m0-mps2", "cortex-m3"])
def test_unaligned_load_faults_on_armv6m_code(tools: None, tmp_path: Path, name: str) -> None:
    """ARMv6-M code faults on an unaligned word load, also when a Cortex-M3 runs it (cortex-m0-mps2)."""
    target = TARGETS[name]
    build_program([], target, [], [], tmp_path, tmp_path, main=UNALIGNED)
    a = footprint.symbol_addresses(tmp_path / "prog.elf")
    run = qemu.run_elf(tmp_path / "prog.elf", target, b"", [a["main"], a["fm_core_init"]], 30)
    fault = {"cortex-m0": 10, "cortex-m0-mps2": 13, "cortex-m3": 0}[name]  # HardFault, UsageFault, none
    assert run.exit_code == fault, run.stderr


def _plugin_and_trace(elf: Path, target: Target, data: bytes, start: int, end: int) -> tuple[list[int], list[int]]:
    run = qemu.run_elf(elf, target, data, [start, end], 60)
    assert run.exit_code == 0, run.stderr
    marks = [(m, c["flash_reads"]) for m, c in run.snapshots]
    plugin = [b - a for (ma, a), (mb, b) in pairwise(marks) if (ma, mb) == (0, 1)]
    return plugin, tracecount.flash_reads(elf, target, data, start, end)


@pytest.mark.parametrize("name", list(TARGETS))
def test_trace_count_agrees_on_probe(tools: None, tmp_path: Path, name: str) -> None:
    target = TARGETS[name]
    build_program([], target, [], [], tmp_path, tmp_path, main=PROBE)
    a = footprint.symbol_addresses(tmp_path / "prog.elf")
    assert _plugin_and_trace(tmp_path / "prog.elf", target, b"", a["fm_probe"], a["fm_probe_end"]) == ([10], [10])


def test_spectrumnet_m4_flash_reads_equal_trace_count(ref_run: RunDir, tmp_path: Path) -> None:
    """One SpectrumNet inference on Cortex-M4 (DSP kernels): the plugin's flash reads (> 0) equal the
    count from QEMU's single-step CPU trace, and the 4-wait-state estimate charges them."""
    c_dir = ref_run.path("c", "fixedpoint")
    target = TARGETS["cortex-m4"]
    api = read_model_api(c_dir)
    build = build_elf(c_dir, api, target, "dsp", api.weight_symbols, tmp_path)
    a = footprint.symbol_addresses(build.elf)
    data = np.random.default_rng(3).integers(-128, 128, api.input_size).astype(np.int8).tobytes()
    plugin, trace = _plugin_and_trace(build.elf, target, data, a["bench_start"], a["bench_end"])
    assert plugin == trace and plugin[0] > api.sizes["weights_and_biases"] // 4


def test_spectrumnet_dsp_timing_is_data_independent(ref_run: RunDir) -> None:
    """SpectrumNet with the DSP kernels, every DSP core: all -128, all 127 and random inputs take the
    same instruction count."""
    from flightml.mcu.verify import verify_mcu_targets
    from flightml.verify.compiled import CompiledModel

    c_dir = ref_run.path("c", "fixedpoint")
    model = CompiledModel(c_dir)
    shape = model.input_shape
    x = np.random.default_rng(5).integers(-128, 128, (4, *shape)).astype(np.int8)
    x = np.concatenate([np.full((1, *shape), -128, np.int8), np.full((1, *shape), 127, np.int8), x])
    names = [n for n, t in TARGETS.items() if t.kernel_sets[0] == "dsp"]
    assert {"cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"} <= set(names)
    result = verify_mcu_targets(
        c_dir, x, model.invoke_int8(x), names, timeout_s=60, clock_mhz=None, flash_wait_states=None, wcet_margin=1.0
    )
    for name, r in result["targets"].items():
        assert r["status"] == "ok" and r["kernels"] == "dsp", (name, r["reason"])
        assert r["instructions"]["min"] == r["instructions"]["max"] and r["data_dependent_layers"] == [], name
