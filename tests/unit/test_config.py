"""Config loading: defaults round-trip, and every bad value names its field."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from flightml.config import Config, config_from_dict, default_toml, load_config
from flightml.errors import InputError


def test_default_toml_loads_back_to_the_defaults() -> None:
    assert config_from_dict(tomllib.loads(default_toml())) == Config()


def test_every_default_field_is_documented() -> None:
    text = default_toml()
    for line_index, line in enumerate(text.splitlines()):
        if "=" in line and not line.startswith("#"):
            assert text.splitlines()[line_index - 1].startswith("# "), line


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"data": {"colour": 1}}, "unknown key 'data.colour'"),
        ({"gpu": {}}, "unknown section 'gpu'"),
        ({"data": {"bands": "64"}}, "data.bands: expected an integer"),
        ({"data": {"bands": 4}}, "data.bands: must be >= 8"),
        ({"data": {"noise": -0.1}}, "data.noise: must be >= 0.0"),
        ({"train": {"epochs": 0}}, "train.epochs: must be >= 1"),
        ({"train": {"lr": True}}, "train.lr: expected a number"),
        ({"quant": {"format": "qint4"}}, "quant.format: expected one of"),
        ({"model": {"kernel_size": 4}}, "model.kernel_size must be odd"),
        ({"model": {"conv_channels": [8, "x"]}}, "model.conv_channels[1]: expected an integer"),
        ({"data": {"n_train": 100}, "quant": {"calib_samples": 300}}, "quant.calib_samples (300) exceeds"),
    ],
)
def test_bad_values_name_the_field(raw: dict, message: str) -> None:
    with pytest.raises(InputError, match=None) as info:
        config_from_dict(raw, "my.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("my.toml")


def test_load_config_reports_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[data\nbands = 3")
    with pytest.raises(InputError, match=r"bad\.toml: not valid TOML"):
        load_config(path)


def test_load_config_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_overrides_apply_on_top_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[train]\nepochs = 5\n")
    config = load_config(path, {"train.lr": 0.01})
    assert (config.train.epochs, config.train.lr) == (5, 0.01)
