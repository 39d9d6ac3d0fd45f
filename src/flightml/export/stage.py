"""The `export` stage: model.pt -> model_fp32.onnx (opset 13, dynamic batch), checked for parity.

Writes export.json with the checker result and the max |ORT - PyTorch| logit difference over the
test set. The legacy TorchScript exporter is used on purpose: it gives plain opset-13 Conv/Gemm
graphs and byte-identical files for the same weights.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

from flightml.artifacts import RunDir, atomic_output_path, atomic_write_json
from flightml.config import Config
from flightml.data import load_spectra
from flightml.data.stage import SPECTRA
from flightml.errors import FlightmlError
from flightml.onnx_io import load_onnx
from flightml.ort_session import ort_session
from flightml.train.stage import load_model

FP32 = "model_fp32.onnx"
EXPORT_REPORT = "export.json"
INPUT_NAME = "spectrum"
OUTPUT_NAME = "logits"
OPSET = 13
PARITY_TOLERANCE = 1e-4


def export_onnx(model: nn.Module, bands: int, path) -> None:
    """Write `model` as ONNX opset 13 with input `spectrum` [batch, 1, bands] and output `logits`."""
    example = torch.zeros(1, 1, bands)
    with atomic_output_path(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example,),
            str(tmp),
            opset_version=OPSET,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            dynamo=False,
        )


def export_stage(run: RunDir, config: Config) -> None:
    spectra = load_spectra(run.require(SPECTRA, "data"))
    model = load_model(run, config)
    export_onnx(model, spectra.bands, run.path(FP32))
    load_onnx(run.path(FP32))
    with torch.no_grad():
        expected = model(torch.from_numpy(spectra.x_test)).numpy()
    got = ort_session(run.path(FP32)).run([OUTPUT_NAME], {INPUT_NAME: spectra.x_test})[0]
    max_diff = float(np.max(np.abs(got - expected)))
    atomic_write_json(
        run.path(EXPORT_REPORT),
        {"opset": OPSET, "checker": "passed", "parity_max_abs_diff": max_diff, "tolerance": PARITY_TOLERANCE},
    )
    if max_diff > PARITY_TOLERANCE:
        raise FlightmlError(
            f"{run.path(FP32)}: ONNX and PyTorch logits differ by {max_diff:.2e} (> {PARITY_TOLERANCE})"
        )
