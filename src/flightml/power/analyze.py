"""Trace analysis: idle baseline, inference windows, energy per inference, peak, duty cycle, power.

Each sample stands for the interval since the previous one (an INA219 reading is the average of its
last conversion). Windows come from a marker channel (samples where it is high) or from a current
threshold, widened by `pad` samples each side so partial conversions at the edges are included.
Energy per window = sum((I - baseline) x V x dt), divided by `burst` (inferences per window); the
result is the median over clean windows (as MLPerf Tiny's EnergyRunner reports). Windows touching an
overflow/clipped sample, a time gap or the trace ends are flagged and left out of the median.
Peak current is the sustained level inside a window (trimmed mean of its interior samples), which is
what a sensor averaging over one conversion can see; the raw maximum sample is reported beside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flightml.errors import InputError
from flightml.power.traces import Trace

SCHEMA = "flightml.power_trace/1"
PLOT_POINTS = 4000


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive index ranges where `mask` is true."""
    padded = np.concatenate([[False], mask.astype(bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(int)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _widen(runs: list[tuple[int, int]], pad: int, n: int) -> list[tuple[int, int, int, int]]:
    """(start, end, first_active, last_active), widened by pad and merged when they touch."""
    out: list[list[int]] = []
    for a, b in runs:
        s, e = max(a - pad, 0), min(b + pad, n - 1)
        if out and s <= out[-1][1] + 1:
            out[-1][1], out[-1][3] = e, b
        else:
            out.append([s, e, a, b])
    return [(s, e, a, b) for s, e, a, b in out]


def _active_mask(trace: Trace, marker: str | None, threshold_ma: float | None) -> tuple[np.ndarray, str]:
    if marker is not None:
        if marker not in trace.markers:
            known = ", ".join(sorted(trace.markers)) or "none"
            raise InputError(f"{trace.file}: no marker channel '{marker}' (channels: {known})")
        return trace.markers[marker] != 0, f"marker {marker}"
    if threshold_ma is not None:
        return trace.current_a * 1e3 > threshold_ma, f"threshold {threshold_ma:g} mA"
    lo, hi = np.percentile(trace.current_a, [5.0, 99.5])
    threshold = (lo + hi) / 2.0
    return trace.current_a > threshold, f"auto threshold {threshold * 1e3:.4g} mA"


def analyze(
    trace: Trace,
    *,
    marker: str | None = None,
    threshold_ma: float | None = None,
    burst: int | None = None,
    voltage_v: float | None = None,
    pad: int = 2,
    gap_factor: float = 3.0,
) -> dict[str, Any]:
    """Analyse `trace`; returns the power_trace.json document (energies uJ, currents mA, power mW)."""
    n = trace.t_s.size
    if n < 8:
        raise InputError(f"{trace.file}: only {n} samples; need at least 8 to find a baseline and windows")
    if trace.voltage_v is not None:
        volts = trace.voltage_v
    elif voltage_v is not None:
        volts = np.full(n, float(voltage_v))
    else:
        raise InputError(f"{trace.file}: trace has no voltage column; pass --voltage V (the supply voltage)")
    burst = burst if burst is not None else int(trace.meta.get("burst", 1))
    if burst < 1:
        raise InputError(f"--burst: must be >= 1, got {burst}")
    dt = np.diff(trace.t_s)
    dt_med = float(np.median(dt))
    dt = np.concatenate([[dt_med], dt])
    gaps = np.flatnonzero(dt > gap_factor * dt_med)
    mask, how = _active_mask(trace, marker, threshold_ma)
    windows = _widen(_runs(mask), pad, n)
    if not windows:
        raise InputError(f"{trace.file}: no inference windows found ({how})")
    outside = np.ones(n, bool)
    for s, e, _, _ in windows:
        outside[s : e + 1] = False
    quiet = outside & ~trace.overflow
    if quiet.sum() < 3:
        raise InputError(f"{trace.file}: no idle samples outside the windows ({how}); cannot find a baseline")
    base = float(np.median(trace.current_a[quiet]))
    conversion_s = (trace.conversion_us or dt_med * 1e6) * 1e-6
    result = []
    for s, e, a, b in windows:
        sl = slice(s, e + 1)
        energy = float(np.sum((trace.current_a[sl] - base) * volts[sl] * dt[sl])) * 1e6 / burst
        interior = trace.current_a[a + 1 : b] if b - a >= 4 else trace.current_a[a : b + 1]
        lo, hi = np.percentile(interior, [10, 90])
        kept = interior[(interior >= lo) & (interior <= hi)]
        flags = []
        if trace.overflow[sl].any():
            flags.append("overflow")
        if np.any((gaps > s) & (gaps <= e)):
            flags.append("gap")
        if s == 0 or e == n - 1:
            flags.append("edge")
        if b - a + 1 < 3:
            flags.append("short")
        result.append({
            "row": int(trace.lines[s]) if trace.lines.size else s,
            "t0_s": float(trace.t_s[a]), "t1_s": float(trace.t_s[b]),
            "duration_s": float((b - a + 1) * dt_med),
            "energy_uj": energy,
            "peak_ma": float(np.mean(kept if kept.size else interior)) * 1e3,
            "max_sample_ma": float(trace.current_a[sl].max()) * 1e3,
            "flags": flags,
        })
    clean = [w for w in result if not set(w["flags"]) & {"overflow", "gap", "edge"}]
    if not clean:
        first = result[0]
        raise InputError(
            f"{trace.file}: row {first['row']}: every inference window is flagged "
            f"({', '.join(sorted({f for w in result for f in w['flags']}))}); no trustworthy energy"
        )
    energies = np.array([w["energy_uj"] for w in clean])
    window_s = float(np.median([w["duration_s"] for w in clean]))
    per_inference_s = window_s / burst
    notes = []
    resolved = True
    if any("short" in w["flags"] for w in clean):
        resolved = False
        notes.append(
            f"windows span fewer than 3 sensor samples ({conversion_s * 1e6:.0f} us conversions): the inference is "
            "shorter than the sensor resolves, a marker read once per conversion can miss it entirely, and energy "
            "and peak are not resolved; run bursts of repeated inferences per marked window and pass --burst N"
        )
    edge_bound = dt_med / window_s
    if resolved and edge_bound > 0.02:
        notes.append(
            f"windows span only ~{window_s / dt_med:.0f} sensor samples: partial conversions at the window edges "
            f"can shift one window's energy by up to ~{edge_bound:.0%}; for 2% use bursts spanning 50+ samples"
        )
    if len(clean) < len(result):
        notes.append(f"{len(result) - len(clean)} of {len(result)} windows flagged and left out of the median")
    if gaps.size:
        notes.append(f"{gaps.size} time gaps longer than {gap_factor:g} x the median sample interval")
    total = float(np.sum(dt))
    stride = max(1, n // PLOT_POINTS)
    return {
        "schema": SCHEMA,
        "file": trace.file,
        "format": trace.format,
        "windows_from": how,
        "burst": burst,
        "samples": n,
        "sample_interval_us": dt_med * 1e6,
        "conversion_us": conversion_s * 1e6,
        "baseline_ma": base * 1e3,
        "energy_uj_per_inference": float(np.median(energies)),
        "energy_uj_spread": {"min": float(energies.min()), "max": float(energies.max()),
                             "iqr": float(np.subtract(*np.percentile(energies, [75, 25])))},
        "peak_current_ma": max(w["peak_ma"] for w in clean),
        "max_sample_ma": max(w["max_sample_ma"] for w in clean),
        "inference_us": per_inference_s * 1e6,
        "edge_error_bound": edge_bound,
        "duty_cycle": float(sum(w["duration_s"] for w in result)) / total,
        "avg_power_mw": float(np.sum(trace.current_a * volts * dt)) / total * 1e3,
        "windows": result,
        "clean_windows": len(clean),
        "resolved": resolved,
        "notes": notes,
        "plot": {"t_s": trace.t_s[::stride].round(6).tolist(),
                 "current_ma": (trace.current_a[::stride] * 1e3).round(5).tolist()},
    }
