"""Session fixtures: the reference network (SpectrumNet, 2 epochs) quantized per-tensor, per-channel
and as a QOperator model, all from one trained model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from flightml.data import load_spectra
from refnet import quantize_variant, reference_run


@dataclass
class RefNet:
    fp32: Path
    int8: Path
    int8_pc: Path
    int8_qop: Path
    spectra: object


@pytest.fixture(scope="session")
def refnet(tmp_path_factory: pytest.TempPathFactory) -> RefNet:
    run = reference_run(tmp_path_factory.mktemp("refnet") / "run")
    return RefNet(
        run.path("model_fp32.onnx"),
        run.path("model_int8.onnx"),
        quantize_variant(run, "model_int8_pc", per_channel=True),
        quantize_variant(run, "model_int8_qop", per_channel=False, format="qoperator"),
        load_spectra(run.path("spectra.npz")),
    )
