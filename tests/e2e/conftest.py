"""A small end-to-end run shared by the e2e tests (a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

SMALL_TOML = """
[data]
n_train = 600
n_test = 200
[train]
epochs = 4
[quant]
calib_samples = 50
[evaluate]
latency_calls = 50
warmup_calls = 5
throughput_batch = 64
"""


@pytest.fixture(scope="session")
def small_config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cfg") / "small.toml"
    path.write_text(SMALL_TOML)
    return path


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory, small_config_file: Path) -> Path:
    from flightml.cli import main

    root = tmp_path_factory.mktemp("runs") / "small"
    assert main(["run", "--out", str(root), "--config", str(small_config_file)]) == 0
    return root
