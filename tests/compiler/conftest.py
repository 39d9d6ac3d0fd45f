"""Session fixtures: the reference network (SpectrumNet, 2 epochs) quantized per-tensor and per-channel."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from refnet import build_refnet


@dataclass
class RefNet:
    fp32: Path
    int8: Path
    int8_pc: Path
    int8_qop: Path
    spectra: object


@pytest.fixture(scope="session")
def refnet(tmp_path_factory: pytest.TempPathFactory) -> RefNet:
    out = tmp_path_factory.mktemp("refnet")
    fp32, int8, spectra = build_refnet(out)
    _, int8_pc, _ = build_refnet(out, per_channel=True)
    _, int8_qop, _ = build_refnet(out, qoperator=True)
    return RefNet(fp32, int8, int8_pc, int8_qop, spectra)
