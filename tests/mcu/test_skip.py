"""Without the toolchain, MCU targets are skipped with one clear line (runs everywhere)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flightml.mcu import verify


def test_missing_toolchain_skips_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    monkeypatch.setattr(verify, "missing_tools", lambda: ["arm-none-eabi-gcc", "qemu-system-arm"])
    x = np.zeros((2, 64), np.int8)
    result = verify.verify_mcu_targets(
        tmp_path,
        x,
        np.zeros((2, 4), np.int8),
        ["host", "cortex-m4", "cortex-m0"],
        timeout_s=5.0,
        clock_mhz=80.0,
        flash_wait_states=0,
        wcet_margin=1.2,
    )
    assert list(result["targets"]) == ["cortex-m4", "cortex-m0"]
    for r in result["targets"].values():
        assert set(r) == set(verify.RESULT_KEYS)
        assert r["status"] == "skipped" and "make setup" in r["reason"]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cortex-m4, cortex-m0" in err[0] and "apt-get install" in err[0]


def test_target_names_expand() -> None:
    assert verify.mcu_targets(["host"]) == []
    assert verify.mcu_targets(["all", "cortex-m4"])[0] == "cortex-m0" and len(verify.mcu_targets(["all"])) == 9
