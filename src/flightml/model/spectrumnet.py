"""SpectrumNet: Conv1d+ReLU blocks, one MaxPool1d, Flatten, Linear+ReLU, Linear.

Uses only ops the flightml compiler supports (Conv, Relu, MaxPool, Flatten, Gemm). Input float32
[batch, 1, bands]; output logits float32 [batch, classes]. The reference configuration (channels
8 and 16, kernel 3, pool 2, hidden 64, 64 bands, 4 classes) has 33,524 parameters.
"""

from __future__ import annotations

import torch
from torch import nn

from flightml.config import ModelConfig


class SpectrumNet(nn.Module):
    def __init__(self, bands: int, classes: int, conv_channels: list[int], kernel_size: int, pool: int, hidden: int):
        super().__init__()
        layers: list[nn.Module] = []
        in_channels = 1
        for out_channels in conv_channels:
            layers += [nn.Conv1d(in_channels, out_channels, kernel_size, padding=kernel_size // 2), nn.ReLU()]
            in_channels = out_channels
        if pool > 1:
            layers.append(nn.MaxPool1d(pool))
        layers += [
            nn.Flatten(),
            nn.Linear(in_channels * (bands // pool), hidden),
            nn.ReLU(),
            nn.Linear(hidden, classes),
        ]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def build_model(config: ModelConfig, bands: int, classes: int) -> SpectrumNet:
    """A freshly initialised SpectrumNet (initialisation follows the current torch seed)."""
    return SpectrumNet(bands, classes, list(config.conv_channels), config.kernel_size, config.pool, config.hidden)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
