"""Every data source: shapes, labels, determinism, splits and mixed train/test sources."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from flightml.data import reference
from flightml.data.busdemeo import load_templates
from flightml.data.stage import build_spectra
from flightml.data.taxonomy import complex_of


def test_reference_source_is_unchanged(data_config) -> None:
    built = build_spectra(data_config(n_train=50, n_test=20, bands=32))
    direct = reference.generate(50, 20, 32, 0.03, 0)
    np.testing.assert_array_equal(built.x_train, direct.x_train)
    np.testing.assert_array_equal(built.y_test, direct.y_test)


def test_busdemeo_complexes_deterministic_and_normalised(data_config) -> None:
    config = data_config(source="busdemeo", n_train=400, n_test=100, bands=32)
    a, b = build_spectra(config), build_spectra(config)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert a.class_names == ["S", "C", "X", "V", "other"]
    assert a.x_train.shape == (400, 1, 32) and a.x_test.shape == (100, 1, 32)
    assert a.wavelengths[0] == pytest.approx(0.45) and a.wavelengths[-1] == pytest.approx(2.45)
    assert np.all(a.x_train > 0)
    at_ref = np.array([np.interp(0.55, a.wavelengths, row) for row in a.x_train[:, 0]])
    np.testing.assert_allclose(at_ref, 1.0, atol=1e-6)
    assert not np.array_equal(a.x_train[:100], a.x_test)


def test_busdemeo_mean_of_noiseless_draws_follows_the_template(data_config) -> None:
    config = data_config(
        source="busdemeo",
        labels="class",
        n_train=3000,
        n_test=4,
        bands=42,
        noise=0.0,
        slope_sd=0.0,
        depth_sd=0.0,
        end_members="drop",
        wavelength_min=0.45,
        wavelength_max=2.5,
    )
    spectra = build_spectra(config)
    s = spectra.class_names.index("S")
    mean = spectra.x_train[spectra.y_train == s, 0].mean(axis=0)
    template = load_templates().means["S"]
    assert np.max(np.abs(mean[:41] - template / template[2])) < 0.03


def test_busdemeo_end_member_and_undefined_sigma_policies(data_config) -> None:
    drop = build_spectra(data_config(source="busdemeo", end_members="drop", n_train=50, n_test=10))
    assert drop.class_names == ["S", "C", "X", "V"]
    classes = build_spectra(data_config(source="busdemeo", labels="class", n_train=200, n_test=10))
    assert {"Cg", "O", "R"} <= set(classes.class_names) and "Xn" not in classes.class_names
    no_undefined = build_spectra(
        data_config(source="busdemeo", labels="class", undefined_sigma="drop", n_train=200, n_test=10)
    )
    assert not {"Cg", "O", "R"} & set(no_undefined.class_names)
    with_xn = build_spectra(data_config(source="busdemeo", labels="class", include_xn=True, n_train=200, n_test=10))
    assert "Xn" in with_xn.class_names


def test_smass2_stratified_split_by_object(data_config) -> None:
    spectra = build_spectra(data_config(source="smass2", bands=48))
    assert spectra.class_names == ["S", "C", "X", "V", "other"]
    assert spectra.y_train.size + spectra.y_test.size == 1339
    train, test = np.bincount(spectra.y_train), np.bincount(spectra.y_test)
    np.testing.assert_allclose(test / (train + test), 0.3, atol=0.02)
    assert spectra.meta["dropped"] == {"smass2": 2}
    other = build_spectra(data_config(source="smass2", bands=48, split_seed=1))
    assert not np.array_equal(other.y_test, spectra.y_test) or not np.array_equal(other.x_test, spectra.x_test)


def test_smass2_end_members_dropped_keeps_s_c_x_v(data_config) -> None:
    spectra = build_spectra(data_config(source="smass2", end_members="drop", bands=48))
    counts = Counter(spectra.class_names[i] for i in np.concatenate([spectra.y_train, spectra.y_test]))
    assert counts == {"S": 547, "C": 397, "X": 238, "V": 35}


def test_sim_to_real_grid_is_the_shared_range(data_config) -> None:
    spectra = build_spectra(
        data_config(train_source="busdemeo", test_source="smass2", end_members="drop", bands=48, n_train=200)
    )
    assert spectra.wavelengths[0] == pytest.approx(0.45) and spectra.wavelengths[-1] == pytest.approx(0.92)
    assert spectra.y_train.size == 200 and spectra.y_test.size == 547 + 397 + 238 + 35
    assert spectra.meta["train_source"] == "busdemeo" and spectra.meta["test_source"] == "smass2"


def _wide_rows(wavelengths: list[str], n_per_class: int = 4) -> list[list[object]]:
    rows: list[list[object]] = [["id", "label", *wavelengths]]
    values = [float(w.rstrip("nmu")) for w in wavelengths]
    values = [v / 1000 if v > 100 else v for v in values]
    for k, label in enumerate(["S", "Sq", "C", "Xk"] * n_per_class):
        rows.append([f"obj{k}", label, *(f"{(1 + 0.1 * k) * (0.5 + w):.4f}" for w in values)])
    return rows


@pytest.mark.parametrize(
    "columns",
    [
        ["0.45", "0.55", "0.65", "0.75"],
        ["450", "550", "650", "750"],
        ["450nm", "550nm", "650nm", "750nm"],
        ["0.45um", "0.55um", "0.65um", "0.75um"],
    ],
)
def test_csv_wide_form_units_and_normalisation(write_csv, columns: list[str], data_config) -> None:
    path = write_csv(_wide_rows(columns))
    spectra = build_spectra(data_config(source="csv", csv_path=str(path), bands=8))
    assert spectra.class_names == ["S", "C", "X"]
    assert spectra.wavelengths[0] == pytest.approx(0.45) and spectra.wavelengths[-1] == pytest.approx(0.75)
    x = np.concatenate([spectra.x_train, spectra.x_test])[:, 0]
    expected = (0.5 + spectra.wavelengths) / (0.5 + 0.55)
    np.testing.assert_allclose(x, np.broadcast_to(expected, x.shape), rtol=1e-5)


def test_csv_long_form(write_csv, data_config) -> None:
    rows: list[list[object]] = [["id", "wavelength_um", "reflectance", "label"]]
    for k, label in enumerate(["S", "C", "V"] * 3):
        for w in (0.5, 0.55, 0.6, 0.7):
            rows.append([f"a{k}", w, round(1 + k * 0.01 + (w - 0.55), 4), label])
    spectra = build_spectra(data_config(source="csv", csv_path=str(write_csv(rows)), bands=8))
    assert spectra.class_names == ["S", "C", "V"]
    assert spectra.y_train.size + spectra.y_test.size == 9


def test_csv_missing_values_interpolated_or_row_dropped_and_counted(write_csv, data_config) -> None:
    rows = _wide_rows(["0.45", "0.50", "0.55", "0.60", "0.65", "0.70", "0.75"])
    rows[1][4] = ""  # one missing sample: interpolated
    rows[2][4:7] = ["", "", ""]  # 0.2 um gap: dropped
    spectra = build_spectra(data_config(source="csv", csv_path=str(write_csv(rows)), bands=8))
    assert spectra.y_train.size + spectra.y_test.size == 15
    assert sum(spectra.meta["dropped"].values()) == 1
    assert "line 3" in spectra.meta["dropped_rows"][0]


def test_train_busdemeo_test_csv(write_csv, data_config) -> None:
    rows = _wide_rows(["0.45", "0.55", "0.65", "0.75", "0.85", "0.95"], n_per_class=2)
    path = write_csv(rows)
    spectra = build_spectra(
        data_config(train_source="busdemeo", test_source="csv", test_csv_path=str(path), bands=16, n_train=100)
    )
    assert spectra.meta["test_source"] == f"csv:{path}"
    assert spectra.y_test.size == 8 and spectra.x_train.shape == (100, 1, 16)
    assert spectra.wavelengths[-1] == pytest.approx(0.95)
    assert {spectra.class_names[i] for i in spectra.y_test} == {"S", "C", "X"}
    assert complex_of("Sq") == "S"
