"""Command-line flags for the [quant] settings, shared by `flightml run` and `flightml quantize`.

Flags override the configuration; values are checked like a config file (one-line InputError
naming `quant.<field>`).
"""

from __future__ import annotations

import argparse
from typing import Any

from flightml.config import Config, config_from_dict

FLAGS: tuple[tuple[str, str, type, str], ...] = (
    ("--quant-preset", "preset", str, "'reference' (the reference study's setting) or 'none'"),
    ("--calibration", "calibration", str, "minmax, entropy, percentile or distribution"),
    ("--percentile", "percentile", float, "percentile of 'percentile' calibration"),
    ("--calib-samples", "calib_samples", int, "calibration spectra"),
    ("--calib-selection", "calib_selection", str, "first, stratified or random"),
    ("--calib-batch", "calib_batch", int, "spectra per calibration inference"),
    ("--quant-format", "format", str, "qdq or qoperator"),
    ("--activation-type", "activation_type", str, "int8 or uint8"),
    ("--qat-epochs", "qat_epochs", int, "quantization-aware fine-tuning epochs (0 = none)"),
)


def add_quant_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("quantization (override [quant] in the configuration)")
    weights = group.add_mutually_exclusive_group()
    weights.add_argument(
        "--per-channel", dest="quant_per_channel", action="store_true", default=None, help="per-channel weights"
    )
    weights.add_argument(
        "--per-tensor", dest="quant_per_channel", action="store_false", default=None, help="per-tensor weights"
    )
    group.add_argument(
        "--bias-correction",
        dest="quant_bias_correction",
        action="store_true",
        default=None,
        help="correct int32 biases",
    )
    for flag, field, kind, text in FLAGS:
        group.add_argument(flag, dest=f"quant_{field}", type=kind, metavar=field.upper(), help=text)


def quant_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """{field: value} for the quant flags given on the command line."""
    fields = ["per_channel", "bias_correction", *(field for _, field, _, _ in FLAGS)]
    return {f: getattr(args, f"quant_{f}") for f in fields if getattr(args, f"quant_{f}", None) is not None}


def with_quant_overrides(config: Config, overrides: dict[str, Any]) -> Config:
    """`config` with [quant] fields replaced by `overrides` (checked)."""
    if not overrides:
        return config
    raw = config.to_dict()
    raw["quant"].update(overrides)
    return config_from_dict(raw, "command line")
