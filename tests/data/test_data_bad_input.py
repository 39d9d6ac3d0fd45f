"""Bad input: one clear InputError naming the row or column, and exit code 2 from the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightml.cli import main
from flightml.data.stage import build_spectra
from flightml.errors import InputError

HEADER = ["id", "label", "0.45", "0.55", "0.65", "0.75"]


def _rows(*overrides: tuple[int, int, object]) -> list[list[object]]:
    rows: list[list[object]] = [list(HEADER)]
    for k, label in enumerate(["S", "C", "X", "V"] * 3):
        rows.append([f"obj{k}", label, 0.9, 1.0, 1.05, 1.1])
    for row, column, value in overrides:
        rows[row][column] = value
    return rows


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["id", "class", "0.45", "0.55"], ["a", "S", 1, 1]], "no label column 'label'"),
        (_rows((3, 1, "Zz")), r"line 4 \(obj2\): unknown class name 'Zz'"),
        (_rows((4, 3, "abc")), "line 5, column '0.55': 'abc' is not a number"),
        (_rows((5, 4, "-0.2")), "line 6, column '0.65': reflectance must be positive"),
        (_rows((5, 4, "0")), "line 6, column '0.65': reflectance must be positive"),
        (_rows((6, 5, "inf")), "line 7, column '0.75': reflectance must be positive and finite"),
        (_rows((0, 5, "0.550")), "duplicated wavelength 0.55 um in columns '0.55' and '0.550'"),
        (_rows((0, 5, "750nm")), "wavelength columns mix units"),
        (_rows((2, 1, "")), "line 3: empty label in column 'label'"),
        ([*_rows(), ["obj99", "O", 1, 1, 1, 1]], "class 'other' has 1 object"),
    ],
)
def test_bad_csv_is_one_clear_error(write_csv, data_config, rows: list[list[object]], message: str) -> None:
    path = write_csv(rows)
    with pytest.raises(InputError, match=message):
        build_spectra(data_config(source="csv", csv_path=str(path), bands=8))


def test_missing_cell_is_an_error_naming_the_row_under_the_strict_policy(write_csv, data_config) -> None:
    path = write_csv(_rows((7, 3, "")))
    with pytest.raises(InputError, match=r"line 8 \(obj6\) has no value at 0.55 um"):
        build_spectra(data_config(source="csv", csv_path=str(path), bands=8, coverage_policy="strict"))


@pytest.mark.parametrize(("cell", "what"), [("nan", "a reflectance"), ("NaN", "a reflectance"), ("NA", "a number")])
def test_nan_cell_is_an_error_naming_line_and_column(write_csv, data_config, cell: str, what: str) -> None:
    path = write_csv(_rows((7, 3, cell)))
    with pytest.raises(InputError, match=rf"line 8, column '0.55': '{cell}' is not {what}"):
        build_spectra(data_config(source="csv", csv_path=str(path), bands=8))


def test_all_rows_dropped_names_the_first(write_csv, data_config) -> None:
    rows = [list(HEADER), ["a", "S", 1, "", "", 1], ["b", "C", 1, "", "", 1]]
    with pytest.raises(InputError, match=r"no spectrum left .*2 dropped; first: .*line 2 \(a\): does not cover"):
        build_spectra(data_config(source="csv", csv_path=str(write_csv(rows)), bands=8))


def test_band_grid_not_overlapping_the_data(write_csv, data_config) -> None:
    path = write_csv(_rows())
    config = data_config(source="csv", csv_path=str(path), wavelength_min=1.0, wavelength_max=2.0)
    with pytest.raises(InputError, match=r"band grid 1-2 um .* does not overlap the data \(0.45-0.75 um\)"):
        build_spectra(config)
    with pytest.raises(InputError, match="extends beyond the Bus-DeMeo templates"):
        build_spectra(data_config(source="busdemeo", wavelength_min=0.3, wavelength_max=0.9))


def test_unknown_class_in_a_test_source(write_csv, data_config) -> None:
    rows = _rows((2, 1, "D"))
    config = data_config(
        train_source="busdemeo", test_source="csv", test_csv_path=str(write_csv(rows)), end_members="drop", n_train=50
    )
    spectra = build_spectra(config)
    assert spectra.y_test.size == 11  # the end member D is dropped by the policy, not an error
    keep = data_config(
        train_source="busdemeo",
        test_source="csv",
        test_csv_path=str(write_csv(rows)),
        labels="class",
        end_members="drop",
        n_train=50,
    )
    assert build_spectra(keep).y_test.size == 11


def test_test_class_unseen_in_training_is_left_out_counted_and_warned(write_csv, data_config, capsys) -> None:
    train = write_csv(_rows(), "train.csv")
    test = write_csv(_rows((2, 1, "D")), "test.csv")
    config = data_config(train_source="csv", csv_path=str(train), test_source="csv", test_csv_path=str(test))
    spectra = build_spectra(config)
    assert spectra.y_test.size == 11 and spectra.meta["unpredictable_test"] == {"other": 1}
    assert any("line 3 (obj1): class 'other' is not a training class" in row for row in spectra.meta["dropped_rows"])
    assert capsys.readouterr().err.count("flightml: warning: the test labels differ") == 1


def test_long_form_duplicated_wavelength_and_conflicting_label(write_csv, data_config) -> None:
    dup = [["id", "wavelength", "reflectance", "label"], ["a", 0.5, 1, "S"], ["a", 0.5, 1.1, "S"]]
    with pytest.raises(InputError, match=r"line 3: duplicated wavelength 0.5 in spectrum 'a'"):
        build_spectra(data_config(source="csv", csv_path=str(write_csv(dup))))
    conflict = [["id", "wavelength", "reflectance", "label"], ["a", 0.5, 1, "S"], ["a", 0.6, 1.1, "C"]]
    with pytest.raises(InputError, match="line 3: spectrum 'a' has label 'C', line 2 said 'S'"):
        build_spectra(data_config(source="csv", csv_path=str(write_csv(conflict))))


def test_config_cross_checks(data_config) -> None:
    with pytest.raises(InputError, match=r"needs data.csv_path"):
        data_config(source="csv")
    with pytest.raises(InputError, match="cannot be mixed"):
        data_config(train_source="reference", test_source="smass2")
    with pytest.raises(InputError, match="increasing range"):
        data_config(wavelength_min=0.9, wavelength_max=0.5)


def test_class_labels_split_needs_two_objects_per_class(data_config) -> None:
    with pytest.raises(InputError, match="smass2: class 'O' has 1 object"):
        build_spectra(data_config(source="smass2", labels="class", bands=48))


def test_cli_exit_code_2_and_one_line(write_csv, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(_rows((4, 3, "abc")))
    assert main(["data", "build", "--out", str(tmp_path / "run"), "--source", f"csv:{path}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "'abc' is not a number" in err
    assert main(["data", "build", "--out", str(tmp_path / "run"), "--source", "csv"]) == 2
    assert main(["data", "build", "--out", str(tmp_path / "run"), "--test-source", "smass3"]) == 2
    assert main(["data", "build", "--out", str(tmp_path / "run"), "--source", f"csv:{tmp_path / 'none.csv'}"]) == 2
    assert "CSV file not found" in capsys.readouterr().err
