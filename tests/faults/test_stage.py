"""The faults stage, its report section and the `flightml faults` command."""

from __future__ import annotations

import json
import shutil

import pytest

from flightml.artifacts import RunDir, read_json
from flightml.cli import main
from flightml.config import Config
from flightml.faults.stage import FAULTS, faults_stage
from flightml.pipeline import Run, get_stage, open_run
from flightml.report.base import Figures
from flightml.report.sections import faults as section


@pytest.mark.slow
def test_stage_writes_faults_json_summary_and_section(run_dir: RunDir, tmp_path) -> None:
    run = RunDir(tmp_path / "run")
    shutil.copytree(run_dir.root, run.root)
    faults_stage(run, Config())
    doc = read_json(run.path(FAULTS))
    assert [r["flips"] for r in doc["by_flips"]] == [1, 2, 5, 10, 20]
    assert doc["c_check"]["outputs_equal_reference"] == 1.0 and doc["c_check"]["clean_image_passes"]
    assert doc["c_check"]["selftest_agrees_with_crc"] == 1.0
    assert doc["selftest"]["detection_rate"] == 1.0
    summary = run.summary()["faults"]
    assert set(summary) == {"accuracy_at_1_flip", "accuracy_at_10_flips", "selftest_detection_rate"}
    assert summary["accuracy_at_1_flip"] >= summary["accuracy_at_10_flips"] - 0.02
    sens = doc["sensitivity"]
    assert {r["layer"] for r in sens["per_layer"]} == {0, 1, 2, 3} and len(sens["worst_single_flips"]) == 10
    rendered = section.render(run, Figures(run.root))
    assert rendered is not None and rendered.order == 60 and len(rendered.figures) == 2
    assert all(check.passed for check in rendered.checks)


def test_section_absent_without_artifact(tmp_path) -> None:
    assert section.render(RunDir(tmp_path), Figures(tmp_path)) is None


def test_command_small_campaign_and_errors(run_dir: RunDir, tmp_path, capsys) -> None:
    run = tmp_path / "run"
    shutil.copytree(run_dir.root, run)
    rc = main(["faults", str(run), "--flips", "1", "3", "--trials", "10", "--samples", "16", "--sweep-elements", "0",
               "--c-trials", "2", "--no-costs", "--where", "weights", "--protect"])
    assert rc == 0
    assert (run / "c" / "fixedpoint" / "integrity.c").is_file()
    assert read_json(run / FAULTS)["sensitivity"] is None
    capsys.readouterr()
    assert main(["faults", str(tmp_path / "missing")]) == 2
    assert "missing" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["faults", str(empty)]) == 2
    assert "compile" in capsys.readouterr().err
    assert main(["faults", str(run), "--flips", "0"]) == 2
    assert "--flips" in capsys.readouterr().err


def test_command_takes_the_runs_settings_and_records_its_options(run_dir: RunDir, tmp_path) -> None:
    run = tmp_path / "run"
    shutil.copytree(run_dir.root, run)
    manifest = read_json(run / "manifest.json")
    manifest["config"]["faults"]["trials"] = 3
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert main(["faults", str(run), "--flips", "1", "--samples", "8", "--sweep-elements", "0", "--c-trials", "0",
                 "--no-costs"]) == 0
    assert read_json(run / FAULTS)["settings"]["trials"] == 3  # not given: the run's setting
    recorded = read_json(run / "manifest.json")["config"]["faults"]
    assert recorded["flips"] == [1] and recorded["samples"] == 8 and recorded["trials"] == 3


def test_protect_goes_through_the_compile_stage_and_survives_resume(run_dir: RunDir, tmp_path) -> None:
    run = tmp_path / "run"
    shutil.copytree(run_dir.root, run)
    assert main(["faults", str(run), "--flips", "1", "--trials", "2", "--samples", "8", "--sweep-elements", "0",
                 "--c-trials", "0", "--no-costs", "--protect", "--scrub-chunk", "256"]) == 0
    headers = sorted(run.glob("c/*/integrity.h"))
    assert len(headers) == 2 and all("SCRUB_CHUNK_BYTES 256u" in h.read_text() for h in headers)
    assert read_json(run / "manifest.json")["config"]["faults"]["scrub_chunk_bytes"] == 256
    compile_stage = get_stage("compile")
    assert open_run(run).run_stage(compile_stage, resume=True) == "skipped"  # the manifest's config made c/
    assert Run(run, Config()).run_stage(compile_stage, resume=True) == "ran"  # another config redoes it
    assert all("SCRUB_CHUNK_BYTES 512u" in h.read_text() for h in headers)
