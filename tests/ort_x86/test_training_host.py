"""Training gives the same model on every x86 host with AVX2: the default run reproduces, byte for byte,
the int8 model trained and recorded on an AVX2-only AMD EPYC (fixture/), whatever this host's ISA."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightml.config import Config
from flightml.ort_session import ort_host
from flightml.pipeline import run_pipeline

FIXTURE_MODEL = Path(__file__).parent / "fixture" / "spectrumnet" / "model_int8.onnx"


@pytest.mark.slow
def test_default_training_reproduces_the_avx2_host_model(tmp_path: Path) -> None:
    host = ort_host()
    if not host["isa"]["avx2"]:
        pytest.skip(f"the fixture was trained on x86 with AVX2; this host is {host['machine']} without AVX2")
    run_pipeline(Config(), tmp_path / "run", stages=["data", "train", "export", "quantize"])
    assert (tmp_path / "run" / "model_int8.onnx").read_bytes() == FIXTURE_MODEL.read_bytes()
