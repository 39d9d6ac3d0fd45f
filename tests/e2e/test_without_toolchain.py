"""On a laptop without the ARM toolchain the run still completes, says once what it skipped, and
the verdict is 'incomplete' (budget not measured), never a pass or a crash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from flightml.pipeline import get_stage, open_run


def test_missing_toolchain_gives_an_incomplete_verdict(
    small_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import flightml.mcu.verify

    monkeypatch.setattr(flightml.mcu.verify, "missing_tools", lambda: ["arm-none-eabi-gcc", "qemu-system-arm"])
    root = tmp_path / "laptop"
    shutil.copytree(small_run, root)
    run = open_run(root)
    for name in ("verify_mcu", "budget", "report"):
        run.run_stage(get_stage(name))
    err = capsys.readouterr().err
    assert err.count("skipped MCU targets") == 1 and "make setup" in err
    assert json.loads((root / "budget.json").read_text())["verdict"] == "not measured"
    summary = json.loads((root / "summary.json").read_text())
    assert "budget" in summary["checks_not_measured"]
    assert "bit-exact on cortex-m4" in summary["checks_not_measured"]
    assert summary["verdict"] == ("fail" if summary["checks_failed"] else "incomplete")
