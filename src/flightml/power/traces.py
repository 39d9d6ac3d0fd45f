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
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from flightml.artifacts import atomic_write_text
from flightml.errors import InputError

FORMATS = ("ina219-csv", "ppk2-csv", "joulescope-csv")
CURRENT_SCALE = {"a": 1.0, "ma": 1e-3, "ua": 1e-6, "na": 1e-9}
TIME_SCALE = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


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


def _rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]], dict[str, str]]:
    """Header, data rows with their 1-based line numbers, and `# key=value` metadata."""
    if not path.is_file():
        raise InputError(f"{path}: trace file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a text CSV file ({exc})") from None
    meta: dict[str, str] = {}
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        first = row[0].strip()
        if header is None and first.startswith("#") and len(row) == 1:
            meta.update(dict(re.findall(r"(\w+)=(\S+)", first)))
            continue
        if header is None:
            header = [c.strip().lstrip("#").strip() for c in row]
            continue
        rows.append((number, row))
    if header is None:
        raise InputError(f"{path}: empty trace (no header row)")
    if not rows:
        raise InputError(f"{path}: trace has a header but no samples")
    return header, rows, meta


def _matrix(path: Path, header: list[str], rows: list[tuple[int, list[str]]], columns: list[int]) -> np.ndarray:
    out = np.empty((len(rows), len(columns)))
    for i, (number, row) in enumerate(rows):
        if len(row) != len(header):
            raise InputError(f"{path}: row {number}: {len(row)} fields, expected {len(header)} (truncated file?)")
        for j, c in enumerate(columns):
            try:
                out[i, j] = float(row[c])
            except ValueError:
                raise InputError(f"{path}: row {number}: column '{header[c]}' is not a number: {row[c]!r}") from None
            if not np.isfinite(out[i, j]):
                raise InputError(f"{path}: row {number}: column '{header[c]}' is not finite: {row[c]!r}")
    return out


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
    header, rows, meta = _rows(path)
    ti, _ = _column(path, header, r"t_s()", "t_s (seconds)")
    ci, cu = _column(path, header, r"current_(\w+)", "current_<unit>")
    cols = [ti, ci]
    vi = next((i for i, h in enumerate(header) if h == "bus_v"), None)
    oi = next((i for i, h in enumerate(header) if h == "ovf"), None)
    mi = next((i for i, h in enumerate(header) if h == "marker"), None)
    extra = [c for c in (vi, oi, mi) if c is not None]
    data = _matrix(path, header, rows, cols + extra)
    scale = _unit(path, header[ci], cu, CURRENT_SCALE)
    get = {c: data[:, 2 + k] for k, c in enumerate(extra)}
    trace = Trace(str(path), "ina219-csv", data[:, 0], data[:, 1] * scale,
                  get[vi] if vi is not None else None,
                  get[oi] != 0 if oi is not None else np.zeros(len(rows), bool),
                  {"marker": get[mi].astype(int)} if mi is not None else {},
                  np.array([n for n, _ in rows]), meta)
    return trace


def _read_ppk2(path: Path) -> Trace:
    header, rows, meta = _rows(path)
    ti, tu = _column(path, header, r"timestamp\((\w+)\)", "Timestamp(<unit>)")
    ci, cu = _column(path, header, r"current\((\w+)\)", "Current(<unit>)")
    data = _matrix(path, header, rows, [ti, ci])
    t_scale = _unit(path, header[ti], tu, TIME_SCALE)
    c_scale = _unit(path, header[ci], cu, CURRENT_SCALE)
    markers: dict[str, np.ndarray] = {}
    di = next((i for i, h in enumerate(header) if h.upper() == "D0-D7"), None)
    if di is not None:
        bits = [row[di].strip() for _, row in rows]
        for (number, _), b in zip(rows, bits, strict=True):
            if not re.fullmatch(r"[01]{8}", b):
                raise InputError(f"{path}: row {number}: D0-D7 must be 8 characters of 0/1, got {b!r}")
        arr = np.array([[int(c) for c in b] for b in bits])
        markers = {f"D{k}": arr[:, k] for k in range(8)}
    return Trace(str(path), "ppk2-csv", data[:, 0] * t_scale, data[:, 1] * c_scale, None,
                 np.zeros(len(rows), bool), markers, np.array([n for n, _ in rows]), meta)


def _read_joulescope(path: Path) -> Trace:
    header, rows, meta = _rows(path)
    ti, _ = _column(path, header, r"(time)", "time (s)")
    ci, _ = _column(path, header, r"(current|i)", "current (A)")
    vi = next((i for i, h in enumerate(header) if h.lower() in ("voltage", "v")), None)
    ins = [i for i, h in enumerate(header) if re.fullmatch(r"in\d", h.lower())]
    cols = [ti, ci] + ([vi] if vi is not None else []) + ins
    data = _matrix(path, header, rows, cols)
    k = 3 if vi is not None else 2
    markers = {header[c].lower(): data[:, k + j].astype(int) for j, c in enumerate(ins)}
    return Trace(str(path), "joulescope-csv", data[:, 0], data[:, 1], data[:, 2] if vi is not None else None,
                 np.zeros(len(rows), bool), markers, np.array([n for n, _ in rows]), meta)


def read_trace(path: str | Path, fmt: str = "ina219-csv") -> Trace:
    """Read and validate a trace file in `fmt` (one of FORMATS)."""
    path = Path(path)
    readers = {"ina219-csv": _read_ina219, "ppk2-csv": _read_ppk2, "joulescope-csv": _read_joulescope}
    if fmt not in readers:
        raise InputError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    trace = readers[fmt](path)
    _check_time(path, trace.t_s, trace.lines)
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
