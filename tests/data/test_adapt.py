"""Generator knobs (slope centre, sigma scale), the learning-rate schedule and opt-in self-training on unlabelled
real spectra."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from flightml.config import load_config
from flightml.data.spectra import load_spectra, save_spectra
from flightml.data.stage import build_spectra
from flightml.errors import InputError
from flightml.pipeline import run_pipeline
from flightml.train.stage import _lr_factor

NOISELESS = {
    "source": "busdemeo", "labels": "class", "n_train": 200, "n_test": 4, "noise": 0.0, "slope_sd": 0.0,
    "depth_sd": 0.0, "end_members": "drop", "wavelength_min": 0.45, "wavelength_max": 0.92, "bands": 48,
}  # fmt: skip


def test_slope_mean_tilts_every_spectrum_by_exactly_that_slope(data_config) -> None:
    flat, tilted = (build_spectra(data_config(**NOISELESS, slope_mean=m)) for m in (0.0, 0.2))
    expected = 1 + 0.2 * (flat.wavelengths - 0.55)
    np.testing.assert_allclose(tilted.x_train[:, 0] / flat.x_train[:, 0], np.broadcast_to(expected, (200, 48)), 1e-5)


def test_sigma_scale_zero_leaves_each_class_its_mean(data_config) -> None:
    for scale, spread in ((0.0, lambda s: s < 1e-6), (1.0, lambda s: s > 1e-3)):
        spectra = build_spectra(data_config(**NOISELESS, sigma_scale=scale))
        s = spectra.x_train[spectra.y_train == spectra.class_names.index("S"), 0]
        assert spread(float(s.std(axis=0).max()))


def _unlabelled_csv(write_csv) -> Path:
    """Sloped spectra every 0.04 um over 0.44-0.92; the label cells are not class names (never read)."""
    rng = np.random.default_rng(0)
    waves = np.round(np.arange(0.44, 0.93, 0.04), 2)
    rows: list[list[object]] = [["id", "label", *(f"{w:.2f}" for w in waves)]]
    for k in range(40):
        slope = rng.normal(0.3, 0.2)
        rows.append([f"u{k}", "?", *(f"{1 + slope * (w - 0.55):.4f}" for w in waves)])
    return write_csv(rows, "unlabelled.csv")


def _adapt_config(path: Path, **train: object):
    overrides = {"data.train_source": "busdemeo", "data.test_source": "smass2", "data.n_train": 256,
                 "data.n_test": 8, "data.end_members": "drop", "data.wavelength_min": 0.44,
                 "data.wavelength_max": 0.92, "data.bands": 48, "train.epochs": 2, "train.adapt_epochs": 1,
                 "train.adapt_rounds": 2, "quant.calib_samples": 8, "train.adapt_unlabelled": str(path)}  # fmt: skip
    return load_config(None, {**overrides, **{f"train.{k}": v for k, v in train.items()}})


def test_unlabelled_spectra_reach_the_grid_without_their_labels(write_csv, tmp_path: Path) -> None:
    spectra = build_spectra(_adapt_config(_unlabelled_csv(write_csv)))
    assert spectra.x_unlabelled is not None and spectra.x_unlabelled.shape == (40, 1, 48)
    assert spectra.meta["unlabelled"]["spectra"] == 40
    np.testing.assert_allclose(np.interp(0.55, spectra.wavelengths, spectra.x_unlabelled[0, 0]), 1.0, atol=1e-6)
    save_spectra(tmp_path / "s.npz", spectra)
    np.testing.assert_array_equal(load_spectra(tmp_path / "s.npz").x_unlabelled, spectra.x_unlabelled)


def test_self_training_rounds_are_recorded_and_deterministic(write_csv, tmp_path: Path) -> None:
    config = _adapt_config(_unlabelled_csv(write_csv), adapt_threshold=0.0)
    weights = []
    for name in ("a", "b"):
        run = run_pipeline(config, tmp_path / name, stages=["data", "train"])
        rounds = json.loads(run.dir.path("training_history.json").read_text())["adaptation"]
        assert [r["round"] for r in rounds] == [1, 2]
        assert all(r["labelled"] == r["unlabelled"] == 40 for r in rounds)
        weights.append(run.dir.path("model.pt").read_bytes())
    assert weights[0] == weights[1]
    none = run_pipeline(
        _adapt_config(_unlabelled_csv(write_csv), adapt_threshold=1.0), tmp_path / "c", stages=["data", "train"]
    )
    rounds = json.loads(none.dir.path("training_history.json").read_text())["adaptation"]
    assert all(r["labelled"] < 40 for r in rounds)


def test_bad_adapt_unlabelled_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.csv: CSV file not found"):
        build_spectra(_adapt_config(tmp_path / "missing.csv"))
    with pytest.raises(InputError, match=r"train\.adapt_unlabelled needs a source in um"):
        load_config(None, {"train.adapt_unlabelled": "x.csv"})
    with pytest.raises(InputError, match="adapt_threshold"):
        load_config(None, {"train.adapt_threshold": 1.5})
    with pytest.raises(InputError, match="adapt_rounds"):
        load_config(None, {"train.adapt_rounds": 0})


def test_cosine_schedule_decays_lr_from_full_to_zero_and_is_wired_into_training(tmp_path: Path) -> None:
    cosine, constant = _lr_factor("cosine", 10), _lr_factor("constant", 10)
    assert [round(cosine(s), 6) for s in (0, 5, 10)] == [1.0, 0.5, 0.0]
    assert [constant(s) for s in (0, 5, 10)] == [1.0, 1.0, 1.0]
    overrides = {"data.source": "busdemeo", "data.n_train": 64, "data.n_test": 8, "data.end_members": "drop",
                 "data.wavelength_min": 0.44, "data.wavelength_max": 0.92, "data.bands": 16,
                 "train.epochs": 2, "quant.calib_samples": 8}  # fmt: skip
    weights = [
        run_pipeline(load_config(None, {**overrides, "train.lr_schedule": s}), tmp_path / s, stages=["data", "train"])
        .dir.path("model.pt")
        .read_bytes()
        for s in ("constant", "cosine")
    ]
    assert weights[0] != weights[1]
    with pytest.raises(InputError, match="lr_schedule"):
        load_config(None, {"train.lr_schedule": "step"})


TRAIN_ONLY = {
    "data.source": "busdemeo", "data.n_train": 64, "data.n_test": 8, "data.end_members": "drop",
    "data.wavelength_min": 0.44, "data.wavelength_max": 0.92, "data.bands": 16, "train.epochs": 2,
    "quant.calib_samples": 8,
}  # fmt: skip


def _weights(tmp_path: Path, name: str, **overrides: object) -> bytes:
    config = load_config(None, {**TRAIN_ONLY, **overrides})
    return run_pipeline(config, tmp_path / name, stages=["data", "train"]).dir.path("model.pt").read_bytes()


def test_label_smoothing_mixup_and_ema_change_training_deterministically(tmp_path: Path) -> None:
    plain = _weights(tmp_path, "plain")
    assert _weights(tmp_path, "zeros", **{"train.label_smoothing": 0.0, "train.mixup": 0.0, "train.ema": 0.0}) == plain
    for key, value in (("train.label_smoothing", 0.1), ("train.mixup", 0.4), ("train.ema", 0.99)):
        once = _weights(tmp_path, f"{key}-a", **{key: value})
        assert once != plain, key
        assert _weights(tmp_path, f"{key}-b", **{key: value}) == once, key
    for key, bad in (("train.label_smoothing", 0.6), ("train.mixup", -1.0), ("train.ema", 1.0), ("train.mixup", "x")):
        with pytest.raises(InputError, match=key.split(".")[1]):
            load_config(None, {key: bad})


def test_class_weights_set_the_label_frequencies(data_config) -> None:
    spectra = build_spectra(data_config(**{**NOISELESS, "labels": "complex", "n_train": 4000},
                                        class_weights="S=6, C=2,X=1,V=1"))  # fmt: skip
    share = np.bincount(spectra.y_train) / spectra.y_train.size
    expected = {"S": 0.6, "C": 0.2, "X": 0.1, "V": 0.1}
    for k, name in enumerate(spectra.class_names):
        assert abs(share[k] - expected[name]) < 0.03, name
    uniform = build_spectra(data_config(**{**NOISELESS, "labels": "complex"}))
    assert np.array_equal(uniform.x_train, build_spectra(data_config(**{**NOISELESS, "labels": "complex"})).x_train)
    with pytest.raises(InputError, match=r"data\.class_weights: expected a weight for each of S, C, X, V and no"):
        build_spectra(data_config(**{**NOISELESS, "labels": "complex"}, class_weights="S=1,C=1,X=1"))
    for bad in ("S=1,C", "S=0,C=1", "S=1,S=2", "=1", "S=x", "S=inf"):
        with pytest.raises(InputError, match=r"data\.class_weights: expected 'LABEL=WEIGHT"):
            load_config(None, {"data.class_weights": bad})
