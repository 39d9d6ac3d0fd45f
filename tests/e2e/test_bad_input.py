"""Bad input: one line on stderr naming the file or field, exit code 2, nothing half-written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from flightml.cli import main


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    err = capsys.readouterr().err
    return code, err


def assert_one_line_error(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("flightml: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[data]\nbogus = 1\n", "data.bogus"),
        ("[data]\nbands = 'many'\n", "data.bands: expected an integer"),
        ("[data]\nbands = 4\n", "data.bands: must be >= 8"),
        ("[train]\nepochs = 0\n", "train.epochs: must be >= 1"),
        ("[data]\nnoise = -0.5\n", "data.noise: must be >= 0.0"),
    ],
)
def test_bad_config_values(tmp_path: Path, capsys, toml: str, needle: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    code, err = run_cli(["run", "--out", str(tmp_path / "out"), "--config", str(config)], capsys)
    assert code == 2
    assert_one_line_error(err, "bad.toml", needle)
    assert not (tmp_path / "out").exists()


def test_output_directory_holding_another_run(small_run: Path, capsys) -> None:
    code, err = run_cli(["run", "--out", str(small_run)], capsys)
    assert code == 2
    assert_one_line_error(err, str(small_run), "already holds a flightml run")


def test_output_directory_with_foreign_files(tmp_path: Path, capsys) -> None:
    (tmp_path / "thesis.tex").write_text("precious")
    code, err = run_cli(["run", "--out", str(tmp_path)], capsys)
    assert code == 2
    assert_one_line_error(err, "not empty")
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.tex"]


@pytest.mark.parametrize(
    ("stage", "victim", "content", "needle"),
    [
        ("quantize", "model_fp32.onnx", b"\x89PNG\r\n\x1a\n garbage", "not an ONNX file"),
        ("quantize", "model_fp32.onnx", None, "missing"),
        ("evaluate", "model_int8.onnx", b"", "not an ONNX"),
        ("evaluate", "model_fp32.onnx", b"hello world, not protobuf", "model_fp32.onnx"),
    ],
)
def test_missing_or_corrupt_onnx(
    small_run: Path, tmp_path: Path, capsys, stage: str, victim: str, content: bytes | None, needle: str
) -> None:
    run = tmp_path / "run"
    subprocess.run(["cp", "-r", str(small_run), str(run)], check=True)
    (run / "model_int8.onnx").unlink() if stage == "quantize" else None
    if content is None:
        (run / victim).unlink()
    else:
        (run / victim).write_bytes(content)
    before = sorted(p.name for p in run.iterdir())
    code, err = run_cli([stage, str(run)], capsys)
    assert code == 2
    assert_one_line_error(err, victim, needle)
    assert sorted(p.name for p in run.iterdir()) == before


def test_stage_on_a_directory_that_is_not_a_run(tmp_path: Path, capsys) -> None:
    code, err = run_cli(["train", str(tmp_path)], capsys)
    assert code == 2
    assert_one_line_error(err, "not a flightml run")
