"""Synthesize a realistic INA219 trace from known figures (or from a run's energy model).

The true current is idle, with `windows` bursts of `burst` back-to-back inferences at run current.
The INA219 runs continuous shunt+bus conversions (cycle = 2 x conversion time); each reading is the
true mean current over its shunt conversion, plus noise, at the ADC's resolution, through the
calibration's integer arithmetic; the host reads it `latency_s` after conversion-ready, and the
marker GPIO is sampled at that moment. Truth (baseline-subtracted energy per inference, run current
as peak) goes into the file header so a round trip can be checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from flightml.errors import InputError
from flightml.power.ina219 import ADC, BUS_LSB_V, calibrate
from flightml.power.sim_ina219 import Waveform, current_code, shunt_code
from flightml.power.traces import write_ina219_csv

MIN_CYCLES_PER_WINDOW = 100  # bursts are sized to span at least this many sensor cycles


@dataclass(frozen=True)
class BenchFigures:
    """What the bench sees: one inference's duration (s), run and idle current (mA), supply (V)."""

    inference_s: float
    run_current_ma: float
    idle_current_ma: float
    supply_v: float

    @property
    def energy_uj(self) -> float:
        """Baseline-subtracted energy of one inference, uJ."""
        return self.inference_s * (self.run_current_ma - self.idle_current_ma) * self.supply_v * 1e3


def auto_burst(inference_s: float, adc: str) -> int:
    """Inferences per burst so one burst spans MIN_CYCLES_PER_WINDOW sensor cycles."""
    cycle_s = 2 * ADC[adc][1] * 1e-6
    return max(1, math.ceil(MIN_CYCLES_PER_WINDOW * cycle_s / inference_s))


def synthesize(
    fig: BenchFigures,
    *,
    adc: str = "12bit",
    windows: int = 20,
    burst: int | None = None,
    shunt_ohms: float = 1.0,
    max_current_a: float = 0.1,
    noise_v: float = 5e-6,
    latency_s: float = 150e-6,
    seed: int = 0,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Trace columns (t_s, current_ma, bus_v, power_mw, ovf, marker) and header metadata."""
    if adc not in ADC:
        raise InputError(f"--adc: expected one of {', '.join(ADC)}, got {adc!r}")
    if fig.inference_s <= 0 or fig.run_current_ma <= fig.idle_current_ma or windows < 1:
        raise InputError("simulate: need inference_s > 0, run current above idle current and windows >= 1")
    cal = calibrate(shunt_ohms, max_current_a)
    burst = burst or auto_burst(fig.inference_s, adc)
    rng = np.random.default_rng(seed)
    conv_s, bits = ADC[adc][1] * 1e-6, ADC[adc][2]
    cycle_s = 2 * conv_s
    active_s = burst * fig.inference_s
    gap_s = max(active_s, 20 * cycle_s)
    starts = 10 * cycle_s + np.arange(windows) * (active_s + gap_s) + rng.uniform(0, cycle_s, windows)
    total_s = starts[-1] + active_s + gap_s
    edges = np.concatenate([[0.0], np.column_stack([starts, starts + active_s]).ravel(), [total_s]])
    levels = np.tile([fig.idle_current_ma, fig.run_current_ma], windows + 1)[: edges.size - 1] * 1e-3
    wave = Waveform(edges, levels)
    k = np.arange(int(total_s / cycle_s) - 1)
    shunt = shunt_code(wave.mean(k * cycle_s, k * cycle_s + conv_s) * shunt_ohms, bits, cal.shunt_range_v, noise_v, rng)
    counts, over = current_code(shunt, cal.cal)
    bus_counts = round(fig.supply_v / BUS_LSB_V)
    read_t = (k + 1) * cycle_s + latency_s + rng.uniform(0, 20e-6, k.size)
    marker = np.zeros(k.size, dtype=np.int64)
    for s in starts:
        marker[(read_t >= s) & (read_t < s + active_s)] = 1
    power = np.trunc(counts * bus_counts / 5000.0)
    columns = {
        "t_s": read_t,
        "current_ma": counts * cal.current_lsb_a * 1e3,
        "bus_v": np.full(k.size, bus_counts * BUS_LSB_V),
        "power_mw": power * cal.power_lsb_w * 1e3,
        "ovf": (over | (power > 0xFFFF) | (np.abs(shunt) * 1e-5 >= cal.shunt_range_v * 0.999)).astype(np.int64),
        "marker": marker,
    }
    meta = {
        "source": "simulated", "adc": adc, "conversion_us": ADC[adc][1], "cycle_us": cycle_s * 1e6,
        "shunt_ohms": shunt_ohms, "max_current_a": max_current_a, "calibration": cal.cal,
        "current_lsb_a": f"{cal.current_lsb_a:.6e}", "burst": burst, "seed": seed,
        "truth_inference_us": f"{fig.inference_s * 1e6:.3f}", "truth_energy_uj": f"{fig.energy_uj:.6f}",
        "truth_peak_ma": f"{fig.run_current_ma:.6f}", "truth_idle_ma": f"{fig.idle_current_ma:.6f}",
    }
    return columns, meta


def write_simulated(path: Path, fig: BenchFigures, **kwargs: Any) -> dict[str, Any]:
    """Synthesize and write an ina219-csv trace; returns its header metadata."""
    columns, meta = synthesize(fig, **kwargs)
    write_ina219_csv(path, columns, meta)
    return meta
