"""Session fixtures: a small trained run (data, train, export, quantize with the default settings)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from quant_helpers import small_config

from flightml.pipeline import run_pipeline


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("quant") / "run"
    run_pipeline(small_config(), root, stages=["data", "train", "export", "quantize"])
    return root
