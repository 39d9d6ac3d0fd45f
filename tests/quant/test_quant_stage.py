"""The quantize stage with QAT: qat.json, the report's QAT check, byte-identical output whatever the threads."""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib
import torch
from quant_helpers import small_config

from flightml.artifacts import RunDir, read_json
from flightml.quantize.stage import quantize_stage
from flightml.report.base import Figures
from flightml.report.sections import quantization

matplotlib.use("Agg")


def _copy(src: Path, dst: Path) -> RunDir:
    shutil.copytree(src, dst)
    return RunDir(dst)


def test_qat_stage_is_deterministic_and_reported(small_run: Path, tmp_path: Path) -> None:
    config = small_config(preset="reference", qat_epochs=1)
    outputs = []
    for threads in (1, 2):
        run = _copy(small_run, tmp_path / f"t{threads}")
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            quantize_stage(run, config)
        finally:
            torch.set_num_threads(previous)
        outputs.append(run.path("model_int8.onnx").read_bytes())
    assert outputs[0] == outputs[1]
    qat = read_json(run.path("qat.json"))
    assert len(qat["epochs"]) == 1 and len(qat["activation_scales"]) == 5
    section = quantization.render(run, Figures(run.root))
    assert section is not None
    assert [(c.name, c.passed) for c in section.checks] == [("QAT scales kept in the int8 model", True)]
    assert run.path("model_qat_fp32.onnx").exists()
    quantize_stage(run, small_config())  # re-quantized without QAT: the QAT artifacts go
    assert not run.path("qat.json").exists() and not run.path("model_qat_fp32.onnx").exists()


def test_default_quantize_is_deterministic(small_run: Path, tmp_path: Path) -> None:
    run = _copy(small_run, tmp_path / "again")
    quantize_stage(run, small_config())
    assert run.path("model_int8.onnx").read_bytes() == (small_run / "model_int8.onnx").read_bytes()
