"""`csv:FILE` source: the user's spectra, wide or long form.

Wide form: one row per spectrum; a label column (`data.label_column`), optionally an id column
(`data.id_column`), and one column per wavelength named by its value ("0.55", "550", "550nm",
"0.55um"). Other columns are ignored (listed in the artifact's meta). Long form (detected by columns
`wavelength…` and `reflectance`): one row per (spectrum id, wavelength) with the id and label columns.

Wavelength unit: `data.unit` ('um' or 'nm'), else a suffix in the column names, else detected: all
values within 0.1-30 are µm, within 100-30000 nm. An empty cell is a missing value (not measured;
handled by data.coverage_policy); 'nan', 'NA', any other non-number, an infinite or a non-positive
reflectance, an empty label and duplicated wavelengths are errors naming the line and column.

The file is streamed: CHUNK_LINES lines at a time, the wide form's numbers parsed by numpy's C parser
(a chunk it refuses is re-read cell by cell to name the bad cell).
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from flightml.csvfast import parse_numbers
from flightml.data.table import SpectrumTable
from flightml.errors import InputError

_WAVELENGTH = re.compile(r"^\s*((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(um|µm|micron|nm)?\s*$")
CHUNK_LINES = 1 << 15


def read_table(path: Path, *, unit: str, label_column: str, id_column: str) -> SpectrumTable:
    """Read `path` into a SpectrumTable with wavelengths in µm (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: CSV file not found")
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            header = [h.strip() for h in next(csv.reader([first]), [])]
            if not header:
                raise InputError(f"{path}: empty file")
            if label_column not in header:
                raise InputError(
                    f"{path}: no label column '{label_column}' (data.label_column); columns: {', '.join(header)}"
                )
            lower = [h.lower() for h in header]
            long_form = "reflectance" in lower and any(h.startswith("wavelength") for h in lower)
            reader = _read_long if long_form else _read_wide
            return reader(path, header, _chunks(path, handle, len(header)), unit, label_column, id_column)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None


Chunk = tuple[int, list[str]]  # (line number of the first line, the lines)


def _chunks(path: Path, handle: TextIO, width: int) -> Iterator[Chunk]:
    """The data lines after the header, CHUNK_LINES at a time; InputError when there are none."""
    first, seen = 2, False
    while lines := list(itertools.islice(handle, CHUNK_LINES)):
        seen = seen or any(line.strip().strip(",") for line in lines)
        yield first, lines
        first += len(lines)
    if not seen:
        raise InputError(f"{path}: no data rows")


def _rows(path: Path, chunk: Chunk, width: int) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of the non-blank rows of a chunk; a row of the wrong width is an InputError."""
    first, lines = chunk
    for line, row in enumerate(csv.reader(lines), start=first):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            raise InputError(f"{path} line {line}: {len(row)} cells, the header has {width}")
        yield line, row


def _label(path: Path, line: int, row: list[str], column: int, name: str) -> str:
    label = row[column].strip()
    if not label:
        raise InputError(f"{path} line {line}: empty label in column '{name}'")
    return label


def _reflectance(path: Path, line: int, column: str, cell: str) -> float:
    text = cell.strip()
    if not text:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{path} line {line}, column '{column}': {text!r} is not a number") from None
    if math.isnan(value):
        raise InputError(
            f"{path} line {line}, column '{column}': {text!r} is not a reflectance (leave the cell empty when "
            "not measured; data.coverage_policy then applies)"
        )
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


def _wide_fast(
    chunk: Chunk, width: int, wanted: list[int], text_columns: tuple[int, int | None]
) -> tuple[np.ndarray, list[tuple[int, str, str]]] | None:
    """A chunk of unquoted rows, every reflectance a positive finite number, parsed by numpy's C parser:
    (values, (line, label, id) per row); None sends the chunk to the cell-by-cell path."""
    first, lines = chunk
    values = parse_numbers(lines, width, wanted)
    if values is None or not (values > 0).all():
        return None
    label_at, id_at = text_columns
    cells = [line.split(",", max(label_at, id_at or 0) + 1) for line in lines]
    return values, [(first + i, c[label_at], c[id_at] if id_at is not None else "") for i, c in enumerate(cells)]


def _read_wide(
    path: Path, header: list[str], body: Iterator[Chunk], unit: str, label_column: str, id_column: str
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
    wanted = [columns[k] for k in order]
    blocks, lines, labels, ids = [], [], [], []
    for chunk in body:
        block = _wide_fast(chunk, len(header), wanted, (label_at, id_at))
        if block is None:
            rows = list(_rows(path, chunk, len(header)))
            block = np.array(
                [[_reflectance(path, line, header[c], row[c]) for c in wanted] for line, row in rows]
            ).reshape(-1, len(wanted))
            parsed = [(line, row[label_at], row[id_at] if id_at is not None else "") for line, row in rows]
        else:
            parsed = block[1]
            block = block[0]
        for line, label, ident in parsed:
            if not label.strip():
                raise InputError(f"{path} line {line}: empty label in column '{label_column}'")
            lines.append(line)
            labels.append(label.strip())
            ids.append(ident.strip())
        blocks.append(block)
    values = np.concatenate(blocks)
    names = [f"{path} line {line}" + (f" ({ident})" if ident else "") for line, ident in zip(lines, ids, strict=True)]
    return SpectrumTable(
        name=f"csv:{path}",
        wavelengths=wavelengths[order],
        values=values,
        labels=labels,
        rows=names,
        objects=[ident or name for ident, name in zip(ids, names, strict=True)],
    )


def _read_long(
    path: Path, header: list[str], body: Iterator[Chunk], unit: str, label_column: str, id_column: str
) -> SpectrumTable:
    if id_column not in header:
        raise InputError(f"{path}: long form needs an id column '{id_column}' (data.id_column)")
    lower = [h.lower() for h in header]
    wl_at = next(i for i, h in enumerate(lower) if h.startswith("wavelength"))
    refl_at, label_at, id_at = lower.index("reflectance"), header.index(label_column), header.index(id_column)
    suffix = lower[wl_at].removeprefix("wavelength").strip("_ ()[]")
    spectra: dict[str, dict[float, float]] = {}
    labels: dict[str, tuple[str, int]] = {}
    for line, row in (item for chunk in body for item in _rows(path, chunk, len(header))):
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
