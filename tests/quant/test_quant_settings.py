"""Quantization settings: checked config fields, CLI flags, calibration selection, the reference preset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flightml.cli import main
from flightml.config import QuantConfig, config_from_dict
from flightml.errors import InputError
from flightml.quantize.stage import REFERENCE, calibration_indices, effective


@pytest.mark.parametrize(
    ("quant", "expected"),
    [
        ({"calibration": "kl"}, "quant.calibration: expected one of"),
        ({"percentile": 120.0}, "quant.percentile: must be <= 100.0"),
        ({"calib_samples": 0}, "quant.calib_samples: must be >= 1"),
        ({"calib_selection": "best"}, "quant.calib_selection: expected one of"),
        ({"per_channel": "yes"}, "quant.per_channel: expected true or false"),
        ({"qat_epochs": -1}, "quant.qat_epochs: must be >= 0"),
        ({"preset": "tflite"}, "quant.preset: expected one of"),
        ({"granularity": "tensor"}, "unknown key 'quant.granularity'"),
        ({"calib_samples": 5000}, "quant.calib_samples (5000) exceeds data.n_train"),
    ],
)
def test_bad_quant_settings_are_one_line_input_errors(quant: dict, expected: str) -> None:
    with pytest.raises(InputError) as info:
        config_from_dict({"quant": quant}, "cfg.toml")
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_cli_flag_exits_2_with_one_line(small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quantize", str(small_run), "--calibration", "kl"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "quant.calibration" in err


def test_calibration_selection() -> None:
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 3, 3])
    first = calibration_indices(y, QuantConfig(calib_samples=5))
    assert first.tolist() == [0, 1, 2, 3, 4]
    strat = calibration_indices(y, QuantConfig(calib_samples=8, calib_selection="stratified"))
    assert len(set(strat.tolist())) == 8 and np.all(np.diff(strat) > 0)
    assert sorted(np.bincount(y[strat]).tolist()) == [1, 2, 2, 3]
    rand = calibration_indices(y, QuantConfig(calib_samples=6, calib_selection="random", calib_seed=3))
    assert (
        rand.tolist()
        == calibration_indices(y, QuantConfig(calib_samples=6, calib_selection="random", calib_seed=3)).tolist()
    )
    assert len(set(rand.tolist())) == 6


def test_reference_preset_replaces_fields() -> None:
    quant = effective(QuantConfig(preset="reference", per_channel=True, calib_samples=50, qat_epochs=3))
    assert {k: getattr(quant, k) for k in REFERENCE} == REFERENCE
    assert quant.qat_epochs == 3
    assert effective(QuantConfig()).per_channel is True


def test_cli_flags_override_quant_fields() -> None:
    from flightml.cli import build_parser
    from flightml.config import Config
    from flightml.quantize.cli import quant_overrides, with_quant_overrides

    args = build_parser().parse_args(["run", "--per-tensor", "--qat-epochs", "10", "--calibration", "entropy"])
    assert quant_overrides(args) == {"per_channel": False, "qat_epochs": 10, "calibration": "entropy"}
    config = with_quant_overrides(Config(), quant_overrides(args))
    assert (config.quant.per_channel, config.quant.qat_epochs, config.quant.calibration) == (False, 10, "entropy")
    assert quant_overrides(build_parser().parse_args(["run"])) == {}
