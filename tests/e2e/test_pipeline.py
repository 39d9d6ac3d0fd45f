"""End to end on a small configuration: artifacts, manifest, summary, determinism, resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flightml.artifacts import sha256_file

CORE_ARTIFACTS = ("spectra.npz", "model.pt", "model_fp32.onnx", "model_int8.onnx", "evaluation.json")


def test_run_writes_every_artifact_and_the_report(small_run: Path) -> None:
    for name in (*CORE_ARTIFACTS, "manifest.json", "summary.json", "report.html", "report.md"):
        assert (small_run / name).is_file(), name
    html = (small_run / "report.html").read_text()
    assert "data:image/png;base64," in html and "Verdict" in html
    assert (small_run / "figures" / "size_accuracy.png").is_file()


def test_summary_has_the_reference_keys(small_run: Path) -> None:
    summary = json.loads((small_run / "summary.json").read_text())
    assert summary["params"] == 33524
    assert summary["int8_onnx_bytes"] <= 0.32 * summary["fp32_onnx_bytes"]
    assert summary["int8_weight_bytes"] == 33432 + 4 * 92
    for key in ("fp32_accuracy", "int8_accuracy", "ort_int8_accuracy", "ort_fp32_latency_us", "ort_int8_latency_us"):
        assert summary[key] > 0, key
    host = summary["ort_host"]
    assert set(host) >= {"cpu", "isa", "onnxruntime", "kernel_path", "exact", "saturates"}
    if host["exact"]:  # an exact host's default session is the exact integer semantics
        assert summary["ort_int8_accuracy"] == summary["int8_accuracy"]
    assert summary["verdict"] in ("pass", "fail")


def test_manifest_records_hashes_versions_and_times(small_run: Path) -> None:
    manifest = json.loads((small_run / "manifest.json").read_text())
    assert manifest["stages"]["quantize"]["outputs"]["model_int8.onnx"] == sha256_file(small_run / "model_int8.onnx")
    assert set(manifest["versions"]) >= {"torch", "onnx", "onnxruntime", "numpy"}
    assert all(stage["wall_s"] >= 0 for stage in manifest["stages"].values())
    assert manifest["config"]["data"]["n_train"] == 600


def test_one_thread_and_default_threads_give_identical_artifacts(
    small_run: Path, small_config_file: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = tmp_path / "one-thread"
    cmd = [sys.executable, "-m", "flightml", "run", "--out", str(out), "--config", str(small_config_file)]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    for name in ("spectra.npz", "model_fp32.onnx", "model_int8.onnx"):
        assert sha256_file(out / name) == sha256_file(small_run / name), name
    a = json.loads((out / "summary.json").read_text())
    b = json.loads((small_run / "summary.json").read_text())
    assert (a["fp32_accuracy"], a["int8_accuracy"]) == (b["fp32_accuracy"], b["int8_accuracy"])


def test_resume_skips_unchanged_stages(small_run: Path, small_config_file: Path, tmp_path: Path, capsys) -> None:
    from flightml.cli import main

    out = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(small_run), str(out)], check=True)
    assert main(["run", "--out", str(out), "--config", str(small_config_file), "--resume"]) == 0
    err = capsys.readouterr().err
    assert "[          data] skipped" in err and "[         train] skipped" in err


@pytest.mark.parametrize("stage", ["export", "quantize", "report"])
def test_single_stage_subcommands_rerun_on_a_run(small_run: Path, tmp_path: Path, stage: str) -> None:
    from flightml.cli import main

    out = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(small_run), str(out)], check=True)
    assert main([stage, str(out)]) == 0
