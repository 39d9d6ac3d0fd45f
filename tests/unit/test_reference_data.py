"""The reference generator reproduces the study's recipe and its artifact is byte-reproducible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flightml.data import load_spectra, save_spectra
from flightml.data.reference import class_shape, generate
from flightml.errors import InputError


def test_recipe_matches_the_reference_study() -> None:
    spectra = generate(5, 3, 64, 0.03, 0)
    rng = np.random.default_rng(0)
    b = np.linspace(0, 1, 64)
    for i in range(5):
        label = int(rng.integers(0, 4))
        expected = class_shape(label, b) + rng.normal(0, 0.03, 64)
        expected = (expected / expected.max()).astype(np.float32)
        assert spectra.y_train[i] == label
        np.testing.assert_array_equal(spectra.x_train[i, 0], expected)
    assert spectra.x_train.dtype == np.float32 and spectra.x_test.shape == (3, 1, 64)
    assert spectra.x_train.max() == pytest.approx(1.0)


def test_saved_spectra_are_byte_identical_and_round_trip(tmp_path: Path) -> None:
    spectra = generate(20, 10)
    save_spectra(tmp_path / "a.npz", spectra)
    save_spectra(tmp_path / "b.npz", generate(20, 10))
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    loaded = load_spectra(tmp_path / "a.npz")
    np.testing.assert_array_equal(loaded.x_test, spectra.x_test)
    assert loaded.class_names == ["S", "C", "X", "V"] and loaded.meta["source"] == "reference"


def test_nan_spectra_are_rejected(tmp_path: Path) -> None:
    spectra = generate(20, 10)
    spectra.x_train[3, 0, 5] = np.nan
    with pytest.raises(InputError, match="x_train row 3 has NaN"):
        spectra.validate("mine.csv")


def test_corrupt_spectra_file(tmp_path: Path) -> None:
    (tmp_path / "s.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError, match=r"s\.npz: not a flightml spectra file"):
        load_spectra(tmp_path / "s.npz")
