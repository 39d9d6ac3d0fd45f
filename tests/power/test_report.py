from pathlib import Path

from flightml.artifacts import RunDir
from flightml.cli import main
from flightml.report.base import Figures
from flightml.report.sections import budget


def test_section_absent_without_budget(tmp_path: Path):
    assert budget.render(RunDir(tmp_path), Figures(tmp_path)) is None


def test_section_has_a_check_per_line_and_the_trace(make_run, tmp_path: Path):
    run = make_run({"cortex-m4": {"ram_bytes": 110_000}})
    assert main(["budget", str(run)]) == 1
    section = budget.render(RunDir(run), Figures(run))
    assert section is not None and len(section.figures) == 1
    failed = [c.name for c in section.checks if c.passed is False]
    assert failed == ["budget: ram"]
    trace = tmp_path / "sim.csv"
    assert main(["power", "simulate", str(run), "--out", str(trace), "--windows", "5"]) == 0
    assert main(["power", "analyze", str(trace), "--marker", "marker", "--run", str(run)]) == 0
    section = budget.render(RunDir(run), Figures(run))
    assert len(section.figures) == 2 and all(p.is_file() for p in section.figures)
    assert "| energy per inference (uJ) |" in section.markdown
    assert section.checks[-1].name == "power trace resolved" and section.checks[-1].passed
