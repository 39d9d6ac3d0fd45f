"""Fixtures for the MCU tests: tools present (else skip), the synthetic package (reference shapes,
random weights, numpy reference) and a run directory with the reference network (2 epochs,
default int8 quantization, compiled fixedpoint with the board files). Session-cached."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from flightml.artifacts import RunDir
from flightml.config import QuantConfig
from refnet import reference_run

sys.path.insert(0, str(Path(__file__).parent))
import synthetic


@pytest.fixture(scope="session")
def tools() -> None:
    from flightml.mcu.toolchain import missing_tools

    missing = missing_tools()
    if missing:
        pytest.skip(f"MCU tests need {', '.join(missing)} (make setup)")


@pytest.fixture(scope="session")
def synth(tools: None, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    """(package dir, int8 inputs [24, 64], numpy reference outputs [24, 4])."""
    c_dir = synthetic.write_package(tmp_path_factory.mktemp("synth") / "c")
    x = np.random.default_rng(7).integers(-128, 128, (24, 64)).astype(np.int8)
    return c_dir, x, synthetic.reference(x)


@pytest.fixture(scope="session")
def ref_run(tools: None, tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    """The reference network with the default quantization settings, compiled fixedpoint with the
    board and integrity files (the compile stage)."""
    quant = {"per_channel": QuantConfig().per_channel}
    return reference_run(tmp_path_factory.mktemp("mcu_run") / "run", quant=quant, modes=("fixedpoint",))
