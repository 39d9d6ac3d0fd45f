"""A whole search in the local process pool: results, report, Pareto plot, resume from the cache, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flightml.search.export import export_trial
from flightml.search.runner import SearchSettings, search
from flightml.search.space import load_space


def test_search_writes_report_and_resumes(
    tmp_path: Path, tiny_space: Path, mission: Path, fast_stages: tuple[str, ...]
) -> None:
    out = tmp_path / "search"
    settings = SearchSettings(
        mission=mission,
        space=load_space(tiny_space),
        out=out,
        trials=3,
        strategy="random",
        workers=2,
        use_ray=False,
        progress=False,
        stages=fast_stages,
    )
    doc = search(settings)
    assert doc["trials_run"] == 3 and doc["reference"]["status"] == "ok"
    assert doc["executor"] == "local process pool"
    assert all(row["int8_accuracy"] is not None and not row["cached"] for row in doc["rows"])
    for name in ("results.json", "search_report.md", "search_report.html", "pareto.png"):
        assert (out / name).is_file()
    assert "## Pareto front" in (out / "search_report.md").read_text()
    again = search(settings)
    assert all(row["cached"] for row in again["rows"])
    assert [r["trial"] for r in again["rows"]] == [r["trial"] for r in doc["rows"]]
    stored = json.loads((out / "results.json").read_text())
    assert stored["rows"][0]["int8_accuracy"] == doc["rows"][0]["int8_accuracy"]

    run = export_trial(out, doc["rows"][0]["trial"][:8], tmp_path / "run")
    assert (run / "report.html").is_file() and (run / "summary.json").is_file()


def test_search_without_ray_says_so_once(
    tmp_path: Path,
    tiny_space: Path,
    mission: Path,
    fast_stages: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("flightml.search.executors.ray_available", lambda: False)
    settings = SearchSettings(
        mission=mission,
        space=load_space(tiny_space),
        out=tmp_path / "s",
        trials=1,
        strategy="random",
        workers=1,
        progress=False,
        stages=("data",),
    )
    search(settings)
    err = capsys.readouterr().err
    assert err.count("Ray is not installed") == 1 and "pip install 'flightml[search]'" in err
