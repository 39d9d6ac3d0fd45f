"""Helpers for the data tests: configs with overrides and small CSV files."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightml.config import Config, load_config


def make_config(**data: object) -> Config:
    """The default config with `data.<key>` overrides (and 8 calibration samples, so small n_train is valid)."""
    return load_config(None, {"quant.calib_samples": 8, **{f"data.{key}": value for key, value in data.items()}})


@pytest.fixture
def data_config():
    """`data_config(source="smass2", ...)`: the default config with data overrides."""
    return make_config


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write rows (lists of cells) as a CSV file and return its path."""

    def write(rows: list[list[object]], name: str = "spectra.csv") -> Path:
        path = tmp_path / name
        path.write_text("\n".join(",".join(str(c) for c in row) for row in rows) + "\n", encoding="utf-8")
        return path

    return write
