"""The plugin's counters are exact on every core: a hand-written routine (counter_probe.c) with a
known number of instructions per class, taken branches and flash data reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightml.mcu import footprint, qemu, timing
from flightml.mcu.build import build_program
from flightml.mcu.targets import TARGETS

pytestmark = pytest.mark.mcu
PROBE = Path(__file__).parent / "counter_probe.c"
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
    extra = timing.estimate_cycles(delta, target.timing, 4) - timing.estimate_cycles(delta, target.timing, 0)
    assert extra == 4 * (EXPECTED["taken"] + EXPECTED["flash_reads"])
