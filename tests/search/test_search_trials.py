"""Trials: cached by config hash, resumed when interrupted, failures recorded with their reason."""

from __future__ import annotations

import json
from pathlib import Path

from flightml.search.runner import Planner, SearchSettings
from flightml.search.space import load_space
from flightml.search.trial import TRIAL, run_trial


def planner(tmp_path: Path, space: Path, mission: Path, stages: tuple[str, ...]) -> Planner:
    return Planner(SearchSettings(mission=mission, space=load_space(space), out=tmp_path / "s", stages=stages))


def test_same_config_same_key_and_cached(tmp_path: Path, tiny_space: Path, mission: Path) -> None:
    plan = planner(tmp_path, tiny_space, mission, ("data", "train"))
    values = {"model.conv_layers": 1, "model.channels.0": 2, "model.hidden": 4}
    spec = plan.spec(values)
    assert spec.key == plan.spec(dict(reversed(values.items()))).key != plan.spec({}).key
    first = run_trial(spec)
    assert first["status"] == "ok" and not first["cached"] and first["verdict"] == "unchecked"
    stamp = (spec.root / "model.pt").stat().st_mtime_ns
    again = run_trial(spec)
    assert again["cached"] and again["fp32_accuracy"] == first["fp32_accuracy"]
    assert (spec.root / "model.pt").stat().st_mtime_ns == stamp


def test_interrupted_trial_resumes_its_stages(
    tmp_path: Path, tiny_space: Path, mission: Path, fast_stages: tuple[str, ...]
) -> None:
    short = planner(tmp_path, tiny_space, mission, ("data", "train")).spec({})
    run_trial(short)
    (short.root / TRIAL).unlink()  # as if killed after training
    stamp = (short.root / "model.pt").stat().st_mtime_ns
    full = planner(tmp_path, tiny_space, mission, fast_stages).spec({})
    assert full.key == short.key
    row = run_trial(full)
    assert row["status"] == "ok" and row["int8_accuracy"] is not None
    assert (short.root / "model.pt").stat().st_mtime_ns == stamp  # train was skipped, not re-run


def test_bad_combination_is_a_result(tmp_path: Path, tiny_space: Path, mission: Path) -> None:
    spec = planner(tmp_path, tiny_space, mission, ("data",)).spec({"model.pool": 3})  # 16 bands not divisible by 3
    row = run_trial(spec)
    assert row["status"] == "error" and row["verdict"] == "error"
    assert row["reason"].startswith("config: ") and "model.pool" in row["reason"]
    assert json.loads((spec.root / TRIAL).read_text())["reason"] == row["reason"]


def test_failing_stage_is_a_result_naming_the_stage(tmp_path: Path, tiny_space: Path, mission: Path) -> None:
    missing = tmp_path / "missing.csv"
    plan = planner(tmp_path, tiny_space, mission, ("data", "train"))
    spec = plan.spec({"data.source": "csv", "data.csv_path": str(missing)})
    row = run_trial(spec)
    assert row["status"] == "error" and row["reason"].startswith("data: ") and "missing.csv" in row["reason"]
