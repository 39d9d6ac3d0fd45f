"""A tiny search space (tiny data, 1 epoch) and the stages the fast search tests run."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY_SPACE = """
[base.data]
n_train = 60
n_test = 40
bands = 16
[base.model]
conv_channels = [4]
hidden = 8
[base.train]
epochs = 1
[base.quant]
calib_samples = 20
[base.evaluate]
latency_calls = 10
warmup_calls = 0
throughput_batch = 8
[base.verify]
mcu_samples = 4

[space.model]
conv_layers = [1, 2]
channels = [2, 4]
hidden = [4, 8]
"""
FAST_STAGES = ("data", "train", "export", "quantize", "evaluate")


@pytest.fixture()
def fast_stages() -> tuple[str, ...]:
    """The stages that need no C toolchain or emulator (the fast tests stop there)."""
    return FAST_STAGES


@pytest.fixture()
def tiny_space(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_SPACE)
    return path


@pytest.fixture()
def mission() -> Path:
    from flightml.power.mission import example_path

    return example_path()
