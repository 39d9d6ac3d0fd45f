"""Fixtures: run directories holding a verify_mcu.json shaped like the verify stage's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flightml.power.mission import example_text


def target(**overrides: Any) -> dict[str, Any]:
    """A cortex-m4 target entry for the reference network at 80 MHz, 4 wait states."""
    entry = {
        "status": "ok",
        "instructions": {"min": 250000, "median": 251000, "max": 252000},
        "cycles_est": {"min": 340000, "median": 345000, "max": 352000},
        "clock_mhz": 80.0, "flash_wait_states": 4, "wcet_margin": 1.2, "wcet_cycles": 422400,
        "wcet_us": 5280.0, "flash_bytes": 41000, "weight_bytes": 35000, "code_bytes": 6000,
        "ram_bytes": 10240, "arena_bytes": 8192, "stack_bytes": 2048,
    }
    entry.update(overrides)
    return entry


@pytest.fixture
def make_run(tmp_path: Path):  # type: ignore[no-untyped-def]
    """make_run({target: overrides}) -> run directory with verify_mcu.json holding those targets."""

    def make(targets: dict[str, dict[str, Any]] | None = None, name: str = "run") -> Path:
        run = tmp_path / name
        run.mkdir()
        chosen = targets if targets is not None else {"cortex-m4": {}}
        data = {"targets": {k: target(**v) for k, v in chosen.items()}}
        (run / "verify_mcu.json").write_text(json.dumps(data))
        return run

    return make


@pytest.fixture
def write_mission(tmp_path: Path):  # type: ignore[no-untyped-def]
    """write_mission(old, new, ...) -> a copy of the example mission with text replacements."""

    def write(*pairs: str, name: str = "mission.toml") -> Path:
        text = example_text()
        for old, new in zip(pairs[::2], pairs[1::2], strict=True):
            assert old in text, old
            text = text.replace(old, new, 1)
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
