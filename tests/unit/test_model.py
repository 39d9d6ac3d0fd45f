from __future__ import annotations

import torch

from flightml.config import ModelConfig
from flightml.model import build_model, count_params


def test_reference_network_has_33524_parameters() -> None:
    assert count_params(build_model(ModelConfig(), bands=64, classes=4)) == 33524


def test_model_takes_band_and_class_counts_from_data() -> None:
    model = build_model(ModelConfig(conv_channels=[4], pool=4, hidden=8), bands=48, classes=6)
    assert model(torch.zeros(2, 1, 48)).shape == (2, 6)
