"""Shared helpers for the quantization tests: the small configuration."""

from __future__ import annotations

from flightml.config import Config, config_from_dict

SMALL = {"data": {"n_train": 600, "n_test": 200}, "train": {"epochs": 4}}


def small_config(**quant: object) -> Config:
    """The small test configuration with these [quant] fields."""
    return config_from_dict({**SMALL, "quant": dict(quant)}, "test")
