"""Current traces: reading INA219, PPK2 and Joulescope CSV exports, writing flightml's INA219 CSV.

Formats:
- ina219-csv (flightml's own): `# key=value` header lines (adc, conversion_us, shunt_ohms, ...),
  then `t_s,current_ma,bus_v,power_mw,ovf[,marker]`.
- ppk2-csv (nRF Connect Power Profiler export): `Timestamp(ms),Current(uA)[,D0-D7]`, the digital
  channels as one string of 0/1 characters, D0 first. No voltage column: pass the supply voltage.
- joulescope-csv (Joulescope UI export): `#time,current,voltage,power,charge,energy` in SI units
  (s, A, V, W, C, J), optionally general-purpose inputs `in0`, `in1`.
Units come from the header; an unknown unit or a missing column is an InputError naming the file.
Rows that do not parse, non-finite values and time that does not increase are InputErrors naming the
row (1-based file line).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from flightml.artifacts import atomic_write_text
from flightml.csvfast import parse_numbers
from flightml.errors import InputError

FORMATS = ("ina219-csv", "ppk2-csv", "joulescope-csv")
CURRENT_SCALE = {"a": 1.0, "ma": 1e-3, "ua": 1e-6, "na": 1e-9}
TIME_SCALE = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
CHUNK_ROWS = 1 << 18  # lines parsed at a time
NUMERIC_META = ("conversion_us", "cycle_us", "shunt_ohms", "max_current_a", "burst")
# Largest current each format's instrument measures, A: a larger value means a unit mix-up.
SENSOR_RANGE_A = {"ppk2-csv": 1.0, "joulescope-csv": 10.0}


@dataclass
class Trace:
    """Samples in SI units; `marker` holds the chosen digital channel (0/1) when there is one."""

    file: str
    format: str
    t_s: np.ndarray
    current_a: np.ndarray
    voltage_v: np.ndarray | None
    overflow: np.ndarray
    markers: dict[str, np.ndarray] = field(default_factory=dict)
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def conversion_us(self) -> float | None:
        """The sensor's averaging time per sample, when the file states it."""
        value = self.meta.get("conversion_us")
        return float(value) if value else None


def _header(path: Path) -> tuple[list[str], int, dict[str, str]]:
    """The header row, its 1-based line number and the `# key=value` metadata above it."""
    if not path.is_file():
        raise InputError(f"{path}: trace file not found")
    meta: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for number, line in enumerate(handle, start=1):
                row = next(csv.reader([line]), [])
                if not row or not "".join(row).strip():
                    continue
                first = row[0].strip()
                if first.startswith("#") and len(row) == 1:
                    meta.update(dict(re.findall(r"(\w+)=(\S+)", first)))
                    continue
                return [c.strip().lstrip("#").strip() for c in row], number, meta
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a text CSV file ({exc})") from None
    raise InputError(f"{path}: empty trace (no header row)")


def _parse_rows(
    path: Path, header: list[str], lines: list[str], first: int, columns: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Row by row (the slow path): names the first row that is short, not a number or not finite."""
    values, numbers = [], []
    for number, line in enumerate(lines, start=first):
        row = next(csv.reader([line]), [])
        if not row or not "".join(row).strip():
            continue
        if len(row) != len(header):
            raise InputError(f"{path}: row {number}: {len(row)} fields, expected {len(header)} (truncated file?)")
        cells = []
        for c in columns:
            try:
                cells.append(float(row[c]))
            except ValueError:
                raise InputError(f"{path}: row {number}: column '{header[c]}' is not a number: {row[c]!r}") from None
            if not np.isfinite(cells[-1]):
                raise InputError(f"{path}: row {number}: column '{header[c]}' is not finite: {row[c]!r}")
        values.append(cells)
        numbers.append(number)
    return np.array(values, dtype=np.float64).reshape(-1, len(columns)), np.array(numbers, dtype=np.int64)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 22), b"")) + 1


def _read_columns(path: Path, header: list[str], header_line: int, columns: list[int]) -> tuple[np.ndarray, ...]:
    """(data [rows, len(columns)] float64, the 1-based line of each row), read CHUNK_ROWS lines at a time
    with numpy's C parser into one preallocated array; a chunk it refuses is re-read row by row to name
    the bad row (or to skip blank lines)."""
    data = np.empty((_count_lines(path), len(columns)), dtype=np.float64)
    numbers = np.empty(len(data), dtype=np.int64)
    filled = 0
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for _ in range(header_line):
            handle.readline()
        first = header_line + 1
        while lines := list(itertools.islice(handle, CHUNK_ROWS)):
            block = parse_numbers(lines, len(header), columns)
            if block is None:
                block, rows = _parse_rows(path, header, lines, first, columns)
            else:
                rows = np.arange(first, first + len(lines), dtype=np.int64)
            data[filled : filled + len(block)] = block
            numbers[filled : filled + len(block)] = rows
            filled += len(block)
            first += len(lines)
    if not filled:
        raise InputError(f"{path}: trace has a header but no samples")
    return data[:filled], numbers[:filled]


def _column(path: Path, header: list[str], pattern: str, what: str) -> tuple[int, str]:
    for i, name in enumerate(header):
        m = re.fullmatch(pattern, name.strip(), flags=re.IGNORECASE)
        if m:
            return i, (m.group(1) or "").lower() if m.groups() else ""
    raise InputError(f"{path}: no {what} column (header: {', '.join(header)})")


def _unit(path: Path, name: str, unit: str, table: dict[str, float]) -> float:
    if unit not in table:
        raise InputError(f"{path}: column '{name}': unit '{unit}' not understood (expected one of {', '.join(table)})")
    return table[unit]


def _check_time(path: Path, t: np.ndarray, lines: np.ndarray) -> None:
    bad = np.nonzero(np.diff(t) <= 0)[0]
    if bad.size:
        i = bad[0] + 1
        raise InputError(f"{path}: row {lines[i]}: time does not increase ({t[i]:.9g} s after {t[i - 1]:.9g} s)")


def _read_ina219(path: Path) -> Trace:
    header, start, meta = _header(path)
    ti, _ = _column(path, header, r"t_s()", "t_s (seconds)")
    ci, cu = _column(path, header, r"current_(\w+)", "current_<unit>")
    scale = _unit(path, header[ci], cu, CURRENT_SCALE)
    optional = [next((i for i, h in enumerate(header) if h == name), None) for name in ("bus_v", "ovf", "marker")]
    extra = [c for c in optional if c is not None]
    data, lines = _read_columns(path, header, start, [ti, ci, *extra])
    get = {c: data[:, 2 + k] for k, c in enumerate(extra)}
    vi, oi, mi = optional
    return Trace(str(path), "ina219-csv", data[:, 0], data[:, 1] * scale,
                 get[vi] if vi is not None else None,
                 get[oi] != 0 if oi is not None else np.zeros(len(lines), bool),
                 {"marker": get[mi].astype(np.int8)} if mi is not None else {},
                 lines, meta)


def _ppk2_bits(path: Path, values: np.ndarray, lines: np.ndarray, name: str) -> np.ndarray:
    """The 0/1 bits of PPK2's `D0-D7` column (8 characters, D0 first) from its values read as numbers."""
    digits = np.stack([(values // 10 ** (7 - k)) % 10 for k in range(8)], axis=1)
    bad = np.flatnonzero((values != np.floor(values)) | (values >= 1e8) | (values < 0) | (digits > 1).any(axis=1))
    if bad.size:
        raise InputError(f"{path}: row {lines[bad[0]]}: {name} must be 8 characters of 0/1, got {values[bad[0]]:g}")
    return digits.astype(np.int8)


def _check_ppk2_width(path: Path, start: int, column: int) -> None:
    """Each `D0-D7` cell has exactly 8 characters (a shorter one would be read with leading zeros)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if number > start and line.strip():
                cell = line.rstrip("\r\n").split(",")[column].strip()
                if not re.fullmatch(r"[01]{8}", cell):
                    raise InputError(f"{path}: row {number}: D0-D7 must be 8 characters of 0/1, got {cell!r}")


def _read_ppk2(path: Path) -> Trace:
    """PPK2 export; the digital channels as one `D0-D7` column or as separate `D0`..`D7` columns."""
    header, start, meta = _header(path)
    ti, tu = _column(path, header, r"timestamp\((\w+)\)", "Timestamp(<unit>)")
    ci, cu = _column(path, header, r"current\((\w+)\)", "Current(<unit>)")
    t_scale = _unit(path, header[ti], tu, TIME_SCALE)
    c_scale = _unit(path, header[ci], cu, CURRENT_SCALE)
    packed = next((i for i, h in enumerate(header) if h.upper() == "D0-D7"), None)
    single = {h.upper(): i for i, h in enumerate(header) if re.fullmatch(r"D[0-7]", h.strip(), re.IGNORECASE)}
    channels = [packed] if packed is not None else list(single.values())
    data, lines = _read_columns(path, header, start, [ti, ci, *channels])
    markers: dict[str, np.ndarray] = {}
    if packed is not None:
        _check_ppk2_width(path, start, packed)
        bits = _ppk2_bits(path, data[:, 2], lines, "D0-D7")
        markers = {f"D{k}": bits[:, k] for k in range(8)}
    for k, name in enumerate(single if packed is None else ()):
        column = data[:, 2 + k]
        bad = np.flatnonzero((column != 0) & (column != 1))
        if bad.size:
            raise InputError(f"{path}: row {lines[bad[0]]}: {name} must be 0 or 1, got {column[bad[0]]:g}")
        markers[name] = column.astype(np.int8)
    return Trace(str(path), "ppk2-csv", data[:, 0] * t_scale, data[:, 1] * c_scale, None,
                 np.zeros(len(lines), bool), markers, lines, meta)


def _read_joulescope(path: Path) -> Trace:
    header, start, meta = _header(path)
    ti, _ = _column(path, header, r"(time)", "time (s)")
    ci, _ = _column(path, header, r"(current|i)", "current (A)")
    vi = next((i for i, h in enumerate(header) if h.lower() in ("voltage", "v")), None)
    ins = [i for i, h in enumerate(header) if re.fullmatch(r"in\d", h.lower())]
    data, lines = _read_columns(path, header, start, [ti, ci] + ([vi] if vi is not None else []) + ins)
    k = 3 if vi is not None else 2
    markers = {header[c].lower(): data[:, k + j].astype(np.int8) for j, c in enumerate(ins)}
    return Trace(str(path), "joulescope-csv", data[:, 0], data[:, 1], data[:, 2] if vi is not None else None,
                 np.zeros(len(lines), bool), markers, lines, meta)


def _check_meta(path: Path, meta: dict[str, str]) -> None:
    """Header values flightml reads are positive finite numbers."""
    for key in NUMERIC_META:
        if key in meta:
            try:
                value = float(meta[key])
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"{path}: header {key}={meta[key]}: expected a positive number")


def _check_physics(path: Path, trace: Trace) -> None:
    """Currents within the sensor's range (a unit mix-up otherwise), not negative on balance with the
    largest swing negative (a reversed shunt), voltages positive."""
    limit = SENSOR_RANGE_A.get(trace.format)
    if trace.format == "ina219-csv" and "max_current_a" in trace.meta:
        limit = 1.5 * float(trace.meta["max_current_a"])
    peak = float(np.abs(trace.current_a).max())
    if limit is not None and peak > limit:
        raise InputError(
            f"{path}: current peaks at {peak:.4g} A, beyond the sensor's {limit:.4g} A range "
            "(is the column's unit in the header right?)"
        )
    if trace.current_a.mean() < 0 and -trace.current_a.min() > trace.current_a.max():
        raise InputError(f"{path}: the current is negative in most samples (reversed shunt or probe?)")
    if trace.voltage_v is not None and (trace.voltage_v <= 0).any():
        row = trace.lines[int(np.flatnonzero(trace.voltage_v <= 0)[0])]
        raise InputError(f"{path}: row {row}: supply voltage must be > 0 V")


def read_trace(path: str | Path, fmt: str = "ina219-csv") -> Trace:
    """Read and validate a trace file in `fmt` (one of FORMATS)."""
    path = Path(path)
    readers = {"ina219-csv": _read_ina219, "ppk2-csv": _read_ppk2, "joulescope-csv": _read_joulescope}
    if fmt not in readers:
        raise InputError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    trace = readers[fmt](path)
    _check_meta(path, trace.meta)
    _check_time(path, trace.t_s, trace.lines)
    _check_physics(path, trace)
    return trace


def write_ina219_csv(path: Path, columns: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Write flightml's INA219 CSV atomically: `# k=v` header, then t_s,current_ma,bus_v,power_mw,ovf[,marker]."""
    out = io.StringIO()
    out.write("# flightml ina219 trace\n")
    out.write("# " + " ".join(f"{k}={v}" for k, v in sorted(meta.items())) + "\n")
    names = [n for n in ("t_s", "current_ma", "bus_v", "power_mw", "ovf", "marker") if n in columns]
    out.write(",".join(names) + "\n")
    fmt = {"t_s": "{:.6f}", "current_ma": "{:.6f}", "bus_v": "{:.3f}", "power_mw": "{:.5f}", "ovf": "{:d}",
           "marker": "{:d}"}
    cols = [columns[n] for n in names]
    for row in zip(*cols, strict=True):
        out.write(",".join(fmt[n].format(int(v) if n in ("ovf", "marker") else float(v))
                           for n, v in zip(names, row, strict=True)) + "\n")
    atomic_write_text(path, out.getvalue())
