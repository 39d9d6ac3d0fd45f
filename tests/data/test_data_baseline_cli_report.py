"""The nearest-template baseline, `flightml data` and the real-data report section."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from flightml.artifacts import RunDir, atomic_write_json, read_json
from flightml.cli import main
from flightml.commands.data import add_data_source_args, data_overrides
from flightml.data.baseline import BASELINE, baseline_metrics, baseline_stage, template_matrix
from flightml.data.busdemeo import load_templates
from flightml.data.resample import natural_spline
from flightml.data.spectra import Spectra
from flightml.data.stage import build_spectra, data_stage
from flightml.report.base import Figures
from flightml.report.sections import real_data


def _template_spectra(names: list[str], labels: str) -> Spectra:
    """The Bus-DeMeo means themselves as the test set, on a 0.45-2.45 um grid."""
    templates = load_templates()
    grid = np.linspace(0.45, 2.45, 64)
    x = natural_spline(templates.wavelengths, np.stack([templates.means[n] for n in names]), grid)
    x = x[:, None, :].astype(np.float32) * 1.7  # scale must not matter: the baseline normalises at 0.55 um
    classes = sorted(set(names)) if labels == "class" else ["S", "C", "X", "V", "other"]
    from flightml.data.taxonomy import map_label

    y = np.array([classes.index(map_label(n, labels, "other")) for n in names])
    meta = {"unit": "um", "labels": labels, "end_members": "other"}
    return Spectra(x, y, x, y, grid, classes, meta)


def test_baseline_recovers_the_templates_themselves() -> None:
    names = ["S", "Sq", "C", "Ch", "Xk", "X", "V", "D", "A"]
    for labels in ("class", "complex"):
        metrics = baseline_metrics(_template_spectra(names, labels))
        assert metrics is not None and metrics["accuracy"] == 1.0
        assert np.trace(np.array(metrics["confusion"])) == len(names)


def test_baseline_not_applicable_to_the_reference_source(data_config) -> None:
    spectra = build_spectra(data_config(n_train=20, n_test=10))
    assert baseline_metrics(spectra) is None and template_matrix(spectra) is None


def test_data_stage_and_baseline_stage_write_artifacts_and_summary(tmp_path: Path, data_config) -> None:
    config = data_config(source="smass2", bands=48)
    run = RunDir(tmp_path / "run")
    data_stage(run, config)
    baseline_stage(run, config)
    result = read_json(run.path(BASELINE))
    assert result["applicable"] and 0.7 < result["accuracy"] < 0.95
    summary = run.summary()
    assert summary["data"]["source"] == "smass2" and summary["baseline_accuracy"] == result["accuracy"]
    assert set(summary["baseline_per_class_recall"]) == {"S", "C", "X", "V", "other"}

    section = real_data.render(run, Figures(run.root))
    assert section is not None and "nearest template" in section.markdown and not section.checks
    classes = len(result["class_names"])
    perfect = np.diag(np.array(result["confusion"]).sum(axis=1)).tolist()
    evaluation = {key: {"accuracy": 1.0, "confusion": perfect} for key in ("fp32", "int8")}
    atomic_write_json(run.path("evaluation.json"), {"class_names": result["class_names"], **evaluation})
    baseline_stage(run, config)
    summary = run.summary()
    assert summary["int8_per_class_recall"] == dict.fromkeys(result["class_names"], 1.0)
    assert summary["fp32_minus_baseline_accuracy"] == pytest.approx(1.0 - result["accuracy"])
    section = real_data.render(run, Figures(run.root))
    assert section.checks[0].passed is True and "network int8" in section.markdown
    assert len(section.markdown.split("Confusion,")) == 4 and classes == 5
    assert section.figures[0].is_file()


def test_report_section_absent_or_not_applicable(tmp_path: Path, data_config) -> None:
    run = RunDir(tmp_path / "run")
    assert real_data.render(run, Figures(run.root)) is None
    config = data_config(n_train=20, n_test=10)
    data_stage(run, config)
    baseline_stage(run, config)
    assert read_json(run.path(BASELINE))["applicable"] is False
    section = real_data.render(run, Figures(run.root))
    assert section is not None and "not applicable" in section.markdown


def test_data_info_lists_sources_and_citations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    for text in ("reference", "busdemeo", "smass2", "csv:FILE", "Icarus 202", "Icarus 158", "1339 spectra"):
        assert text in out


def test_data_build_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[data]\nbands = 32\nn_train = 300\nn_test = 50\n")
    out = tmp_path / "run"
    assert main(["data", "build", "--out", str(out), "--config", str(config), "--source", "busdemeo"]) == 0
    assert (out / "spectra.npz").is_file() and (out / BASELINE).is_file()
    assert "baseline accuracy" in capsys.readouterr().out


def test_data_overrides_from_flags() -> None:
    parser = argparse.ArgumentParser()
    add_data_source_args(parser)
    args = parser.parse_args(["--train-source", "busdemeo", "--test-source", "csv:obs.csv"])
    assert data_overrides(args) == {
        "data.train_source": "busdemeo",
        "data.test_source": "csv",
        "data.test_csv_path": "obs.csv",
    }
    args = parser.parse_args(["--source", "csv:a.csv"])
    assert data_overrides(args) == {"data.source": "csv", "data.csv_path": "a.csv"}
    assert data_overrides(parser.parse_args([])) == {}


def test_data_build_cli_train_busdemeo_test_csv(write_csv, tmp_path: Path) -> None:
    rows = [["id", "label", "450nm", "550nm", "650nm", "750nm", "850nm"]]
    rows += [[f"o{k}", label, 0.9, 1.0, 1.05, 1.1, 1.12] for k, label in enumerate(["S", "C", "X", "V"])]
    config = tmp_path / "c.toml"
    config.write_text("[data]\nbands = 16\nn_train = 300\n")
    out = tmp_path / "run"
    argv = ["data", "build", "--out", str(out), "--config", str(config), "--train-source", "busdemeo"]
    assert main([*argv, "--test-source", f"csv:{write_csv(rows)}"]) == 0
    summary = read_json(out / "summary.json")
    assert summary["data"]["n_test"] == 4 and summary["data"]["train_source"] == "busdemeo"
    assert summary["baseline_accuracy"] is not None
