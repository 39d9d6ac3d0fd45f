"""Simulate an INA219 trace from known figures, analyse it, recover energy (2%) and peak (5%)."""

import json
from pathlib import Path

import pytest

from flightml.cli import main
from flightml.power.analyze import analyze
from flightml.power.simulate import BenchFigures, write_simulated
from flightml.power.traces import read_trace


@pytest.mark.parametrize(
    ("adc", "inference_s"),
    [
        ("9bit", 20e-3),
        ("10bit", 20e-3),
        ("11bit", 20e-3),
        ("12bit", 4.4e-3),
        ("avg8", 20e-3),
        ("avg128", 0.5),
        ("9bit", 50e-6),  # shorter than one 84 us conversion: bursts
        ("12bit", 50e-6),  # shorter than one 532 us conversion: bursts
    ],
)
def test_round_trip_recovers_energy_and_peak(tmp_path: Path, adc: str, inference_s: float):
    fig = BenchFigures(inference_s, 10.2, 0.5, 3.3)
    path = tmp_path / "trace.csv"
    meta = write_simulated(path, fig, adc=adc, windows=15, seed=3)
    doc = analyze(read_trace(path), marker="marker")
    assert doc["energy_uj_per_inference"] == pytest.approx(fig.energy_uj, rel=0.02)
    assert doc["peak_current_ma"] == pytest.approx(fig.run_current_ma, rel=0.05)
    assert doc["clean_windows"] == 15 and doc["resolved"]
    if inference_s * 1e6 < 532:
        assert meta["burst"] > 1


def test_round_trip_by_threshold_without_marker(tmp_path: Path):
    fig = BenchFigures(5e-3, 10.2, 0.5, 3.3)
    path = tmp_path / "trace.csv"
    write_simulated(path, fig, adc="10bit", windows=10, seed=4)
    doc = analyze(read_trace(path), threshold_ma=5.0)
    assert doc["energy_uj_per_inference"] == pytest.approx(fig.energy_uj, rel=0.02)


def test_simulation_is_deterministic_for_a_seed(tmp_path: Path):
    fig = BenchFigures(1e-3, 10.0, 1.0, 3.3)
    write_simulated(tmp_path / "a.csv", fig, seed=7)
    write_simulated(tmp_path / "b.csv", fig, seed=7)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_cli_simulate_from_a_run_then_analyze_into_the_run(make_run, tmp_path: Path, capsys):
    run = make_run()
    assert main(["budget", str(run)]) == 0
    trace = tmp_path / "sim.csv"
    assert main(["power", "simulate", str(run), "--out", str(trace), "--adc", "11bit", "--windows", "8"]) == 0
    assert main(["power", "analyze", str(trace), "--marker", "marker", "--run", str(run)]) == 0
    doc = json.loads((run / "power_trace.json").read_text())
    assert doc["energy_uj_per_inference"] == pytest.approx(doc["modelled"]["energy_uj_typical"], rel=0.03)
    assert doc["peak_current_ma"] == pytest.approx(doc["modelled"]["peak_current_ma"], rel=0.05)


@pytest.mark.parametrize(("inference_s", "warning"), [(50e-6, "fewer than 3 sensor samples"), (4.4e-3, "edges")])
def test_unbursted_short_inferences_are_never_silent(tmp_path: Path, inference_s: float, warning: str):
    path = tmp_path / "trace.csv"
    write_simulated(path, BenchFigures(inference_s, 10.2, 0.5, 3.3), adc="12bit", windows=15, burst=1, seed=3)
    doc = analyze(read_trace(path), marker="marker")
    assert any(warning in note for note in doc["notes"])
