"""Session fixtures: a small trained run (data, train, export, quantize with the default settings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightml.config import Config, config_from_dict
from flightml.pipeline import run_pipeline

SMALL = {"data": {"n_train": 600, "n_test": 200}, "train": {"epochs": 4}}


def small_config(**quant: object) -> Config:
    return config_from_dict({**SMALL, "quant": dict(quant)}, "test")


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("quant") / "run"
    run_pipeline(small_config(), root, stages=["data", "train", "export", "quantize"])
    return root
