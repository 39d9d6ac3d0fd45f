"""Link failures, faults and hangs are reported as such, with the reason."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from flightml.mcu.verify import verify_mcu_targets

pytestmark = pytest.mark.mcu
SETTINGS = {"clock_mhz": 80.0, "flash_wait_states": 0, "wcet_margin": 1.2}


def _variant(synth: tuple, tmp_path: Path, old: str, new: str) -> Path:
    import shutil

    c_dir = tmp_path / "c"
    shutil.copytree(synth[0], c_dir)
    text = (c_dir / "model.c").read_text()
    assert old in text
    (c_dir / "model.c").write_text(text.replace(old, new))
    return c_dir


def _one(c_dir: Path, synth: tuple, target: str, timeout_s: float = 30.0) -> dict:
    _, x, ref = synth
    return verify_mcu_targets(c_dir, x[:2], ref[:2], [target], timeout_s=timeout_s, **SETTINGS)["targets"][target]


def test_ram_overflow_on_16k_part_is_a_link_error(synth: tuple, tmp_path: Path) -> None:
    c_dir = _variant(synth, tmp_path, "int8_t bytes[2368];", "int8_t bytes[20000];")
    r = _one(c_dir, synth, "cortex-m0")
    assert r["status"] == "link-error"
    assert re.search(r"RAM overflowed by \d+ bytes", r["reason"])
    assert _one(c_dir, synth, "cortex-m4")["status"] == "ok"  # 4 MB of RAM on the MPS2 board


@pytest.mark.parametrize(("target", "fault"), [("cortex-m0", "HardFault"), ("cortex-m4", "UsageFault")])
def test_fault_is_reported(synth: tuple, tmp_path: Path, target: str, fault: str) -> None:
    udf = '    fm_status_t rc;\n    int i;\n    __asm__ volatile("udf #0");\n'
    c_dir = _variant(synth, tmp_path, "    fm_status_t rc;\n    int i;\n", udf)
    r = _one(c_dir, synth, target)
    assert r["status"] == "fault" and fault in r["reason"]
    assert r["instructions"] is None


def test_hang_is_a_timeout(synth: tuple, tmp_path: Path) -> None:
    spin = "    fm_status_t rc;\n    int i;\n    volatile int spin = 1;\n    while (spin) {\n    }\n"
    c_dir = _variant(synth, tmp_path, "    fm_status_t rc;\n    int i;\n", spin)
    r = _one(c_dir, synth, "cortex-m3", timeout_s=3.0)
    assert r["status"] == "timeout" and "hang" in r["reason"]


def test_missing_counts_fail(synth: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    from flightml.mcu import qemu

    real = qemu.run_elf

    def drop_last(*args: object, **kwargs: object) -> qemu.RunResult:
        result = real(*args, **kwargs)
        return qemu.RunResult(result.exit_code, result.timed_out, result.output, result.snapshots[:-1], result.stderr)

    monkeypatch.setattr(qemu, "run_elf", drop_last)
    r = _one(synth[0], synth, "cortex-m4")
    assert r["status"] == "fault" and "instruction counts missing" in r["reason"]


def test_bad_inputs_are_input_errors(synth: tuple) -> None:
    from flightml.errors import InputError

    c_dir, x, ref = synth
    with pytest.raises(InputError, match="inputs"):
        verify_mcu_targets(c_dir, x[:, :10], ref, ["cortex-m4"], timeout_s=5.0, **SETTINGS)
    with pytest.raises(InputError, match="unknown target"):
        verify_mcu_targets(c_dir, x, ref, ["cortex-m5"], timeout_s=5.0, **SETTINGS)
    with pytest.raises(InputError, match="int8"):
        verify_mcu_targets(c_dir, x.astype(np.int16), ref, ["cortex-m4"], timeout_s=5.0, **SETTINGS)
