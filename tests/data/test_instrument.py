"""Instruments: file validation, band integration, synthetic and real spectra through them, label scores."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from flightml.cli import main
from flightml.config import Config, InstrumentConfig, load_config
from flightml.data.busdemeo import load_templates
from flightml.data.instrument import SHIPPED, from_meta, load_instrument, parse
from flightml.data.resample import natural_spline
from flightml.data.scores import label_scores
from flightml.data.stage import build_spectra
from flightml.errors import InputError

GOOD = 'unit = "nm"\ncentres = [500.0, 600.0, 700.0, 800.0]\nwidths = 40.0\n'


def _with_instrument(config: Config, name: str) -> Config:
    return dataclasses.replace(config, instrument=InstrumentConfig(file=name))


@pytest.mark.parametrize("name", ["smass2-grid", "spectrophotometer-16", "camera-8"])
def test_shipped_examples_load_and_weights_sum_to_one(name: str) -> None:
    instrument = load_instrument(name)
    assert instrument.bands == {"smass2-grid": 48, "spectrophotometer-16": 16, "camera-8": 8}[name]
    wavelengths, weights = instrument.sampling()
    assert np.allclose(weights.sum(axis=1), 1) and np.all(weights >= 0)
    assert wavelengths[0] >= 0.4 and wavelengths[-1] <= 0.97
    assert from_meta(instrument.to_meta()).to_meta() == instrument.to_meta()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('unit = "mm"\ncentres = [1.0, 2.0]\nwidths = 1.0\n', 'unit: expected "um" or "nm"'),
        ('unit = "nm"\nwidths = 40.0\n', "centres: missing"),
        ('unit = "nm"\ncentres = [600.0, 500.0]\nwidths = 40.0\n', "band centres must be at least 2 and increasing"),
        (GOOD.replace("40.0", "[40.0, 40.0]"), "widths: expected one number or 4 (one per band), got 2"),
        (GOOD.replace("40.0", "-1.0"), "widths: every value must be > 0"),
        (GOOD + 'shape = "box"\n', "shape: expected"),
        (GOOD + "colour = 1\n", "unknown key 'colour'"),
        (GOOD + '[noise]\nmodel = "dark"\n', 'noise.model: expected "snr" or "photon"'),
        (GOOD + "[noise]\nsnr = [50.0, 50.0]\n", "noise.snr: expected one number or 4"),
        (GOOD + "[noise]\nsnr = true\n", "noise.snr: expected a number or a list of numbers"),
        (GOOD + "[systematics]\nbad_bands = [5]\n", "systematics.bad_bands: band numbers must be in 1..4"),
        (GOOD + "[systematics]\ngain = 1\n", "unknown key 'systematics.gain'"),
        (GOOD + "[[band]]\nwavelengths = [1.0, 2.0]\nresponse = [1.0, 1.0]\n", "give either [[band]] response tables"),
        ('unit = "um"\n[[band]]\nwavelengths = [0.5, 0.4]\nresponse = [1.0, 1.0]\n', "band[1].wavelengths: expected"),
        ('unit = "um"\n[[band]]\nwavelengths = [0.4, 0.5]\nresponse = [0.0, 0.0]\n', "band[1].response: all zero"),
        ("unit = [", "not valid TOML"),
    ],
)
def test_bad_instrument_file_is_one_line_naming_file_and_field(tmp_path: Path, capsys, text: str, message: str) -> None:
    path = tmp_path / "inst.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(message)) as error:
        load_instrument(str(path))
    assert str(path) in str(error.value) and "\n" not in str(error.value)
    argv = ["data", "build", "--out", str(tmp_path / "run"), "--source", "smass2", "--instrument", str(path)]
    assert main(argv) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert not (tmp_path / "run" / "spectra.npz").exists()


def test_config_check_reads_the_instrument_and_its_band_count_must_suit_the_pool(tmp_path: Path, capsys) -> None:
    path = tmp_path / "three.toml"
    path.write_text('unit = "um"\ncentres = [0.5, 0.6, 0.7]\nwidths = 0.02\n', encoding="utf-8")
    config = tmp_path / "run.toml"
    config.write_text(f'[data]\nsource = "smass2"\n[instrument]\nfile = "{path}"\n', encoding="utf-8")
    assert main(["config", "--check", str(config)]) == 2
    assert capsys.readouterr().err.strip().endswith(f"{path}: 3 bands, not divisible by model.pool (2)")
    with pytest.raises(InputError, match="needs a source in um"):
        load_config(None, {"instrument.file": "camera-8"})


def test_missing_instrument_names_the_shipped_examples(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"instrument file not found .*camera-8, smass2-grid, spectrophotometer-16"):
        load_instrument(str(tmp_path / "none.toml"))


def test_tophat_integrates_a_line_to_its_centre_and_tables_match_shapes() -> None:
    tophat = parse({"unit": "um", "centres": [0.5, 0.6], "widths": 0.05}, "t")
    wavelengths, _ = tophat.sampling()
    assert np.allclose(tophat.integrate(2 * wavelengths[None, :])[0], [1.0, 1.2])
    bands = [{"wavelengths": [a, a + 0.05, a + 0.15, a + 0.2], "response": [0, 1, 1, 0]} for a in (0.4, 0.5)]
    table = parse({"unit": "um", "band": bands}, "t")
    assert np.allclose(table.centres, [0.5, 0.6])
    assert np.allclose(table.integrate(2 * table.sampling()[0][None, :])[0], [1.0, 1.2], atol=1e-9)


def test_bad_bands_are_interpolated_from_their_neighbours() -> None:
    instrument = parse(
        {"unit": "um", "centres": [0.5, 0.6, 0.7, 0.8], "widths": 0.02, "systematics": {"bad_bands": [2]}}, "t"
    )
    assert np.allclose(instrument.fill_bad(np.array([[1.0, 9.0, 1.4, 1.5]])), [[1.0, 1.2, 1.4, 1.5]])


def test_observe_noise_and_systematics_have_the_described_sizes() -> None:
    base = {"unit": "um", "centres": [0.45, 0.55, 0.65, 0.75], "widths": 0.02}
    snr = parse({**base, "noise": {"snr": 50.0}}, "t")
    rng = np.random.default_rng(0)
    ones = np.ones((20000, 4))
    assert np.allclose(snr.observe(ones, rng, 0.55, 1.0).std(axis=0), 1 / 50, rtol=0.05)
    photon = parse({**base, "noise": {"model": "photon", "signal_e": 10000.0, "read_e": 100.0}}, "t")
    assert np.allclose(photon.observe(ones, rng, 0.55, 1.0).std(axis=0), np.sqrt(10000 + 100**2) / 10000, rtol=0.05)
    calibrated = parse({**base, "noise": {"snr": 1e9}, "systematics": {"calibration_sd": 0.02, "slope_sd": 0.5}}, "t")
    spread = calibrated.observe(ones, rng, 0.55, 1.0).std(axis=0)
    expected = np.sqrt(0.02**2 + (0.5 * (calibrated.centres - 0.55)) ** 2)
    assert np.allclose(spread, expected, rtol=0.05)
    assert np.allclose(calibrated.observe(ones, rng, 0.55, 0.0), 1.0, atol=1e-6)
    assert np.allclose(snr.observe(ones, rng, 0.55, 1.0, noise_scale=0.5).std(axis=0), 0.5 / 50, rtol=0.05)
    assert np.array_equal(calibrated.observe(ones, rng, 0.55, 0.0, noise_scale=0.0), ones)


def test_noise_scale_applies_to_synthetic_training_spectra_only(data_config) -> None:
    config = data_config(source="busdemeo", n_train=400, n_test=400, slope_sd=0.0, depth_sd=0.0, end_members="drop")
    config = dataclasses.replace(config, data=dataclasses.replace(config.data, sigma_scale=0.0))
    silent = build_spectra(
        dataclasses.replace(config, instrument=InstrumentConfig("spectrophotometer-16", 0.0, noise_scale=0.0))
    )
    v = silent.class_names.index("V")  # one member class: its mean only
    assert silent.x_train[silent.y_train == v, 0].std(axis=0).max() < 1e-6
    assert silent.x_test[silent.y_test == v, 0].std(axis=0).max() > 0.01
    assert silent.meta["noise_scale"] == 0.0


def test_busdemeo_through_an_instrument_follows_the_integrated_template(data_config) -> None:
    config = data_config(source="busdemeo", n_train=2000, n_test=10, slope_sd=0.0, depth_sd=0.0, end_members="drop")
    config = _with_instrument(config, "camera-8")
    spectra = build_spectra(config)
    assert spectra.bands == 8 and np.allclose(spectra.wavelengths, load_instrument("camera-8").centres)
    assert spectra.meta["instrument"]["name"].startswith("8-filter")
    instrument = load_instrument("camera-8")
    templates = load_templates()
    v_mean = instrument.integrate(natural_spline(templates.wavelengths, templates.means["V"], instrument.sampling()[0]))
    v_mean = v_mean / np.interp(0.55, instrument.centres, v_mean)
    drawn = spectra.x_train[spectra.y_train == spectra.class_names.index("V"), 0].mean(axis=0)
    assert np.abs(drawn - v_mean).max() < 0.03
    assert np.array_equal(build_spectra(config).x_train, spectra.x_train)


def _csv(write_csv, wavelengths: list[float], name: str) -> Path:
    """S/C/X/V spectra 1 + 0.5 (lambda - 0.55), three of each."""
    rows: list[list[object]] = [["id", "label", *wavelengths]]
    for k, label in enumerate(("S", "C", "X", "V") * 3):
        rows.append([f"o{k}", label, *(1.0 + 0.5 * (w - 0.55) for w in wavelengths)])
    return write_csv(rows, name)


def test_csv_at_the_band_centres_is_used_as_is_and_other_wavelengths_are_integrated(write_csv, data_config) -> None:
    instrument = load_instrument("camera-8")
    centres = [round(float(c), 6) for c in instrument.centres]
    at_bands = _csv(write_csv, centres, "bands.csv")
    fine = [round(0.40 + 0.01 * k, 2) for k in range(58)]
    other = _csv(write_csv, fine, "fine.csv")
    for path, expect_exact in ((at_bands, True), (other, False)):
        config = data_config(train_source="busdemeo", test_source="csv", test_csv_path=str(path), n_train=50)
        spectra = build_spectra(_with_instrument(config, "camera-8"))
        raw = 1.0 + 0.5 * (np.array(centres) - 0.55)
        expected = raw / np.interp(0.55, np.array(centres), raw)
        assert np.allclose(spectra.x_test[:, 0], expected, atol=1e-6 if expect_exact else 1e-3)


def test_labels_without_other_against_a_model_with_other_warn_once_and_score_both(
    write_csv, data_config, capsys
) -> None:
    path = _csv(write_csv, [round(0.40 + 0.01 * k, 2) for k in range(58)], "scxv.csv")
    config = data_config(train_source="busdemeo", test_source="csv", test_csv_path=str(path), n_train=50)
    spectra = build_spectra(_with_instrument(config, "spectrophotometer-16"))
    assert spectra.class_names == ["S", "C", "X", "V", "other"] and spectra.meta["unlabelled_classes"] == ["other"]
    assert capsys.readouterr().err.count("flightml: warning: the test labels differ") == 1
    truth = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    predicted = np.array([0, 1, 4, 3, 4, 1, 1, 3])
    confidence = np.array([0.9, 0.4, 0.9, 0.9, 0.9, 0.9, 0.9, 0.95])
    scores = label_scores(truth, predicted, spectra.class_names, spectra.meta, confidence, 0.5)
    assert scores["accuracy_as_errors"] == 5 / 8 and scores["accuracy_abstaining"] == 5 / 6
    assert scores["abstention_rate"] == 2 / 8 and scores["unlabelled_classes"] == ["other"]
    assert scores["reject"] == {
        "confidence": 0.5, "coverage": 5 / 8, "accuracy": 4 / 5, "rejected_other": 2, "rejected_low_confidence": 1
    }  # fmt: skip


def test_unpredictable_test_spectra_count_as_errors_only_in_the_first_figure() -> None:
    meta = {"unpredictable_test": {"other": 2}, "unlabelled_classes": []}
    scores = label_scores(np.array([0, 1]), np.array([0, 1]), ["S", "C"], meta)
    assert scores["accuracy_as_errors"] == 0.5 and scores["accuracy_abstaining"] == 1.0


def test_shipped_examples_are_documented_files() -> None:
    for path in SHIPPED.glob("*.toml"):
        assert path.read_text(encoding="utf-8").startswith("# "), path


def test_the_documented_instrument_example_is_valid() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    block = page.split("```toml instrument\n", 1)[1].split("```", 1)[0]
    instrument = parse(tomllib.loads(block), "docs")
    assert instrument.bands == 4 and instrument.calibration_sd[0] == 0.01


def test_data_build_prints_both_baseline_figures_when_labels_differ(write_csv, tmp_path: Path, capsys) -> None:
    path = _csv(write_csv, [round(0.40 + 0.01 * k, 2) for k in range(58)], "scxv.csv")
    config = tmp_path / "run.toml"
    config.write_text(
        f'[data]\ntrain_source = "busdemeo"\ntest_source = "csv"\ntest_csv_path = "{path}"\nn_train = 50\n'
        '[quant]\ncalib_samples = 8\n[instrument]\nfile = "spectrophotometer-16"\n',
        encoding="utf-8",
    )
    assert main(["data", "build", "--out", str(tmp_path / "run"), "--config", str(config)]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("warning: the test labels differ") == 1
    assert "labels differ: accuracy" in captured.out and "as abstentions (abstention rate" in captured.out
