"""`csv:FILE` source: the user's spectra, wide or long form.

Wide form: one row per spectrum; a label column (`data.label_column`), optionally an id column
(`data.id_column`), and one column per wavelength named by its value ("0.55", "550", "550nm",
"0.55um"). Other columns are ignored (listed in the artifact's meta). Long form (detected by columns
`wavelength…` and `reflectance`): one row per (spectrum id, wavelength) with the id and label columns.

Wavelength unit: `data.unit` ('um' or 'nm'), else a suffix in the column names, else detected: all
values within 0.1-30 are µm, within 100-30000 nm. Empty cells, 'nan' and 'NA' are missing values
(handled by the coverage policy); any other non-number, an infinite or a non-positive reflectance,
an empty label and duplicated wavelengths are errors naming the line and column.
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from pathlib import Path

import numpy as np

from flightml.data.table import SpectrumTable
from flightml.errors import InputError

_WAVELENGTH = re.compile(r"^\s*((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(um|µm|micron|nm)?\s*$")
_MISSING = {"", "nan", "na"}


def read_table(path: Path, *, unit: str, label_column: str, id_column: str) -> SpectrumTable:
    """Read `path` into a SpectrumTable with wavelengths in µm (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: CSV file not found")
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None
    if not rows:
        raise InputError(f"{path}: empty file")
    header = [h.strip() for h in rows[0]]
    body = [(line, row) for line, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row)]
    if not body:
        raise InputError(f"{path}: no data rows")
    for line, row in body:
        if len(row) != len(header):
            raise InputError(f"{path} line {line}: {len(row)} cells, the header has {len(header)}")
    if label_column not in header:
        raise InputError(f"{path}: no label column '{label_column}' (data.label_column); columns: {', '.join(header)}")
    lower = [h.lower() for h in header]
    long_form = "reflectance" in lower and any(h.startswith("wavelength") for h in lower)
    reader = _read_long if long_form else _read_wide
    return reader(path, header, body, unit, label_column, id_column)


def _label(path: Path, line: int, row: list[str], column: int, name: str) -> str:
    label = row[column].strip()
    if not label:
        raise InputError(f"{path} line {line}: empty label in column '{name}'")
    return label


def _reflectance(path: Path, line: int, column: str, cell: str) -> float:
    text = cell.strip()
    if text.lower() in _MISSING:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{path} line {line}, column '{column}': {text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{path} line {line}, column '{column}': reflectance must be positive and finite, got {text}")
    return value


def _to_um(path: Path, values: np.ndarray, suffixes: set[str], unit: str, where: str) -> np.ndarray:
    """Convert wavelengths to µm by the configured unit, the name suffix, or the value range."""
    suffix_units = {"nm" if s == "nm" else "um" for s in suffixes if s}
    if len(suffix_units) > 1 or (suffix_units and "" in suffixes):
        raise InputError(f"{path}: {where} mix units (nm, um, none); name them all alike")
    if unit == "auto":
        if suffix_units:
            unit = suffix_units.pop()
        elif values.min() >= 0.1 and values.max() <= 30:
            unit = "um"
        elif values.min() >= 100 and values.max() <= 30000:
            unit = "nm"
        else:
            raise InputError(
                f"{path}: cannot tell the unit of the {where} ({values.min():g}-{values.max():g}); set data.unit"
            )
    elif suffix_units and suffix_units != {unit}:
        raise InputError(f"{path}: {where} are in {suffix_units.pop()} but data.unit is {unit}")
    return values / 1000.0 if unit == "nm" else values


def _read_wide(
    path: Path, header: list[str], body: list[tuple[int, list[str]]], unit: str, label_column: str, id_column: str
) -> SpectrumTable:
    columns, raw, suffixes = [], [], set()
    for i, name in enumerate(header):
        match = _WAVELENGTH.match(name)
        if match and name not in (label_column, id_column):
            columns.append(i)
            raw.append(float(match.group(1)))
            suffixes.add(match.group(2) or "")
    if not columns:
        raise InputError(f"{path}: no wavelength columns (wide form needs columns named by wavelength, e.g. 0.55)")
    wavelengths = _to_um(path, np.array(raw), suffixes, unit, "wavelength columns")
    order = np.argsort(wavelengths, kind="stable")
    for a, b in itertools.pairwise(order):
        if abs(wavelengths[a] - wavelengths[b]) < 1e-9:
            raise InputError(
                f"{path}: duplicated wavelength {wavelengths[a]:g} um in columns "
                f"'{header[columns[a]]}' and '{header[columns[b]]}'"
            )
    label_at = header.index(label_column)
    id_at = header.index(id_column) if id_column in header else None
    values = np.array(
        [[_reflectance(path, line, header[columns[k]], row[columns[k]]) for k in order] for line, row in body]
    )
    labels = [_label(path, line, row, label_at, label_column) for line, row in body]
    ids = [row[id_at].strip() if id_at is not None else "" for _, row in body]
    names = [
        f"{path} line {line}" + (f" ({ident})" if ident else "") for (line, _), ident in zip(body, ids, strict=True)
    ]
    return SpectrumTable(
        name=f"csv:{path}",
        wavelengths=wavelengths[order],
        values=values,
        labels=labels,
        rows=names,
        objects=[ident or name for ident, name in zip(ids, names, strict=True)],
    )


def _read_long(
    path: Path, header: list[str], body: list[tuple[int, list[str]]], unit: str, label_column: str, id_column: str
) -> SpectrumTable:
    if id_column not in header:
        raise InputError(f"{path}: long form needs an id column '{id_column}' (data.id_column)")
    lower = [h.lower() for h in header]
    wl_at = next(i for i, h in enumerate(lower) if h.startswith("wavelength"))
    refl_at, label_at, id_at = lower.index("reflectance"), header.index(label_column), header.index(id_column)
    suffix = lower[wl_at].removeprefix("wavelength").strip("_ ()[]")
    spectra: dict[str, dict[float, float]] = {}
    labels: dict[str, tuple[str, int]] = {}
    for line, row in body:
        ident = row[id_at].strip()
        if not ident:
            raise InputError(f"{path} line {line}: empty id in column '{id_column}'")
        try:
            wavelength = float(row[wl_at])
        except ValueError:
            raise InputError(f"{path} line {line}, column '{header[wl_at]}': {row[wl_at]!r} is not a number") from None
        if not math.isfinite(wavelength) or wavelength <= 0:
            raise InputError(f"{path} line {line}, column '{header[wl_at]}': wavelength must be positive")
        label = _label(path, line, row, label_at, label_column)
        first = labels.setdefault(ident, (label, line))
        if first[0] != label:
            raise InputError(
                f"{path} line {line}: spectrum '{ident}' has label {label!r}, line {first[1]} said {first[0]!r}"
            )
        points = spectra.setdefault(ident, {})
        if wavelength in points:
            raise InputError(f"{path} line {line}: duplicated wavelength {row[wl_at].strip()} in spectrum '{ident}'")
        points[wavelength] = _reflectance(path, line, header[refl_at], row[refl_at])
    grid_raw = np.array(sorted({w for points in spectra.values() for w in points}))
    suffixes = {suffix} if suffix in ("um", "µm", "micron", "nm") else set()
    grid = _to_um(path, grid_raw, suffixes, unit, f"values of '{header[wl_at]}'")
    index = {w: i for i, w in enumerate(grid_raw)}
    values = np.full((len(spectra), grid.size), np.nan)
    for row_index, points in enumerate(spectra.values()):
        for wavelength, value in points.items():
            values[row_index, index[wavelength]] = value
    names = [f"{path} spectrum '{ident}' (line {labels[ident][1]})" for ident in spectra]
    return SpectrumTable(
        name=f"csv:{path}",
        wavelengths=grid,
        values=values,
        labels=[labels[ident][0] for ident in spectra],
        rows=names,
        objects=list(spectra),
    )
