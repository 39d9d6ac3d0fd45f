"""The quant_analysis stage, the sweep on a small configuration and the report section."""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib
import pytest
from quant_helpers import small_config

from flightml.artifacts import RunDir, read_json
from flightml.cli import main
from flightml.quantize.analysis import quant_analysis_stage, sqnr_db
from flightml.quantize.saturation import warning_line
from flightml.quantize.sweep import SWEEP_JSON, run_sweep
from flightml.report.base import Figures
from flightml.report.sections import quantization

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def analysed(small_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("analysed") / "run"
    shutil.copytree(small_run, root)
    quant_analysis_stage(RunDir(root), small_config())
    return root


def test_quant_report_and_summary(analysed: Path) -> None:
    report = read_json(analysed / "quant_report.json")
    layers = [row["layer"] for row in report["per_layer"]]
    assert layers == ["input", "Conv1+Relu", "Conv2+Relu", "MaxPool1", "Flatten1", "Gemm1+Relu", "Gemm2"]
    assert all(row["sqnr_db"] > 10 and row["max_abs_error"] >= 0 for row in report["per_layer"])
    assert len(report["confusion"]["fp32"]) == len(report["confusion"]["int8"]) == 4
    assert all(f["fp32"] != f["int8"] and f["fp32_margin"] >= 0 for f in report["changed_class"])
    worst = report["worst_logit_error"]
    assert all(f["fp32_margin"] <= 2 * worst for f in report["changed_class"])
    assert 0 <= report["margin_below_worst_error_fraction"] <= report["margin_below_twice_worst_error_fraction"] <= 1
    summary = read_json(analysed / "summary.json")
    assert summary["int8_accuracy_drop_pts"] == report["int8_accuracy_drop_pts"]
    assert summary["quant"]["settings"]["per_channel"] is True
    assert set(summary["quant"]["per_layer_sqnr_db"]) == set(layers)
    saturation = report["ort_x86_saturation"]
    assert summary["ort_saturating_host_int8_accuracy"] == saturation["saturating_host_accuracy"]
    assert saturation["exact_accuracy"] == report["int8_accuracy"]
    remedies = {row["remedy"]: row for row in saturation["remedies"]}
    assert len(remedies) == 3 and all(row["saturated_pair_fraction"] == 0.0 for row in remedies.values())
    assert [row["kind"] for row in saturation["per_layer"]] == ["conv", "conv_maxpool", "fc", "fc"]


def test_warning_line_only_when_the_host_saturates() -> None:
    host = {"saturates": True, "kernel_path": "x86 U8S8 AVX2 without VNNI", "cpu": "AMD EPYC"}
    line = warning_line({"ort_host": host, "ort_int8_accuracy": 0.908, "int8_accuracy": 0.979})
    assert line is not None and "\n" not in line and "0.9080" in line and "session.x64quantprecision=1" in line
    assert warning_line({"ort_host": {**host, "saturates": False}}) is None


def test_sqnr_of_exact_copy_is_capped() -> None:
    import numpy as np

    x = np.array([1.0, -2.0, 3.0])
    assert sqnr_db(x, x) == 200.0
    assert abs(sqnr_db(x, x * 1.1) - 20.0) < 1e-9


@pytest.mark.slow
def test_sweep_small_and_report_section(analysed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = run_sweep(analysed, small_config(), seeds=2, jobs=2, names=["reference", "default"])
    assert summary["seeds"] == [0, 1]
    assert summary["order"] == ["reference", "default"]
    row = summary["settings"]["default"]
    assert len(row["drop_pts"]) == 2 and row["worst_drop_pts"] == max(row["drop_pts"])
    assert (analysed / SWEEP_JSON).exists() and (analysed / "figures" / "sweep_quant.png").exists()
    assert (analysed / "sweep_quant" / "seed-1" / "model_fp32.onnx").exists()
    again = run_sweep(analysed, small_config(), seeds=2, jobs=1, names=["reference", "default"])
    assert again["settings"] == summary["settings"]  # same results whatever the worker count
    section = quantization.render(RunDir(analysed), Figures(analysed))
    assert section is not None and "SQNR" in section.markdown and "Settings sweep" in section.markdown
    assert all(f.exists() for f in section.figures) and len(section.figures) == 3
    assert [c.name for c in section.checks] == ["int8 drop over training seeds"]


def test_section_absent_without_artifacts(tmp_path: Path) -> None:
    assert quantization.render(RunDir(tmp_path), Figures(tmp_path)) is None


def test_sweep_cli_bad_input(analysed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "quant", str(analysed), "--settings", "nope"]) == 2
    assert "unknown setting 'nope'" in capsys.readouterr().err
    assert main(["sweep", "quant", str(analysed), "--seeds", "0"]) == 2
    assert main(["sweep", "quant", str(analysed.parent / "missing")]) == 2
