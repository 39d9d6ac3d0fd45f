"""The `budget` pipeline stage and the shared run-directory entry point of `flightml budget`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from flightml.artifacts import RunDir, atomic_write_json
from flightml.config import Config
from flightml.power.energy import budget_document, summary_values
from flightml.power.mcu import VERIFY_MCU, TargetSkipped, read_mcu_figures
from flightml.power.mission import load_mission, with_clock

BUDGET = "budget.json"


def run_budget(
    run: RunDir,
    mission_file: str | Path | None,
    profile: str | None = None,
    clock_mhz: float | None = None,
    flash_wait_states: int | None = None,
) -> dict[str, Any]:
    """Check RUN against a mission: write RUN/budget.json, update the summary, return the document.
    `clock_mhz` / `flash_wait_states` (command line) override the mission's and the profile's."""
    mission = load_mission(mission_file, profile)
    if clock_mhz is not None or flash_wait_states is not None:
        mission = replace(mission, profile=with_clock(mission.profile, clock_mhz, flash_wait_states, "command line"))
    mcu = read_mcu_figures(run, mission.profile)
    doc = budget_document(mission, mcu, str(run.path(VERIFY_MCU)))
    atomic_write_json(run.path(BUDGET), doc)
    run.update_summary(summary_values(doc))
    return doc


def budget_stage(run: RunDir, config: Config) -> None:
    """Pipeline stage: budget.json + summary; a failing verdict is recorded, not raised. When the
    mission's target was skipped (no ARM toolchain), budget.json says the budget was not measured."""
    try:
        run_budget(run, config.mission.file or None)
    except TargetSkipped as skipped:
        mission = load_mission(config.mission.file or None, None)
        doc = {"verdict": "not measured", "reason": str(skipped), "mission": {"name": mission.name}}
        atomic_write_json(run.path(BUDGET), doc)
        run.update_summary({"verdict": "not measured"})
