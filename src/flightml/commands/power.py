"""`flightml power capture|analyze|simulate|profiles`: the bench side of the power budget."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from flightml.artifacts import RunDir, atomic_write_json, check_writable_path, read_json
from flightml.config import check_number
from flightml.errors import InputError
from flightml.power import ina219
from flightml.power.analyze import analyze
from flightml.power.energy import energy_model
from flightml.power.mcu import read_mcu_figures
from flightml.power.mission import load_mission
from flightml.power.profiles import builtin_names, load_profile
from flightml.power.simulate import BenchFigures, write_simulated
from flightml.power.traces import FORMATS, read_trace, write_ina219_csv

POWER_TRACE = "power_trace.json"


def _address(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an I2C address like 0x40, got {text!r}") from None
    if not 0x03 <= value <= 0x77:
        raise argparse.ArgumentTypeError(f"I2C address must be in 0x03..0x77, got {text}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("power", help="INA219 capture, trace analysis and trace simulation")
    sub = parser.add_subparsers(dest="power_command", metavar="SUBCOMMAND", required=True)

    cap = sub.add_parser("capture", help="log current from an INA219 over I2C (smbus2) to a CSV trace")
    cap.add_argument("--bus", type=int, default=1, help="I2C bus number (/dev/i2c-N)")
    cap.add_argument("--address", type=_address, default=0x40, help="INA219 I2C address")
    cap.add_argument("--shunt-ohms", type=float, default=0.1, help="shunt resistance, ohm")
    cap.add_argument("--max-current-a", type=float, default=1.0, help="largest expected current, A")
    cap.add_argument("--adc", choices=tuple(ina219.ADC), default="12bit", help="ADC resolution or averaging")
    cap.add_argument("--duration", type=float, required=True, metavar="S", help="capture length, seconds")
    cap.add_argument("--out", type=Path, required=True, help="trace CSV to write")
    cap.add_argument("--marker-gpio", type=int, metavar="N", help="GPIO line marking inference windows (sysfs)")
    cap.set_defaults(handler=handle_capture)

    ana = sub.add_parser("analyze", help="energy per inference, peak, duty cycle and power from a trace")
    ana.add_argument("trace", type=Path, metavar="TRACE")
    ana.add_argument("--format", choices=FORMATS, default="ina219-csv")
    group = ana.add_mutually_exclusive_group()
    group.add_argument("--marker", metavar="CHANNEL", help="marker channel: marker (ina219), D0..D7 (ppk2), in0/in1")
    group.add_argument("--threshold-ma", type=float, metavar="X", help="inference = current above X mA")
    ana.add_argument("--burst", type=int, metavar="N", help="inferences per window (default: trace header or 1)")
    ana.add_argument("--voltage", type=float, metavar="V", help="supply voltage when the trace has none")
    ana.add_argument("--run", type=Path, metavar="RUN", help="also write RUN/power_trace.json for the report")
    ana.add_argument("--out", type=Path, metavar="JSON", help="write the analysis here")
    ana.set_defaults(handler=handle_analyze)

    sim = sub.add_parser("simulate", help="synthesize an INA219 trace from a run's energy model")
    sim.add_argument("run", type=Path, metavar="RUN")
    sim.add_argument("--mission", type=Path, metavar="FILE", help="mission TOML (default: built-in example)")
    sim.add_argument("--out", type=Path, required=True, help="trace CSV to write")
    sim.add_argument("--adc", choices=tuple(ina219.ADC), default="12bit")
    sim.add_argument("--windows", type=int, default=20, help="marked inference windows")
    sim.add_argument("--burst", type=int, help="inferences per window (default: enough for 100 sensor cycles)")
    sim.add_argument("--shunt-ohms", type=float, default=1.0)
    sim.add_argument("--max-current-a", type=float, default=0.1)
    sim.add_argument("--board-ma", type=float, default=0.0, help="board quiescent current added to the idle level")
    sim.add_argument("--seed", type=int, default=0)
    sim.set_defaults(handler=handle_simulate)

    prof = sub.add_parser("profiles", help="list the built-in target profiles and their unchecked figures")
    prof.set_defaults(handler=handle_profiles)


def _gpio_reader(line: int | None) -> Callable[[], int] | None:
    """A function reading the marker GPIO (sysfs, else libgpiod v2 on gpiochip0), or None with a note."""
    if line is None:
        return None
    path = Path(f"/sys/class/gpio/gpio{line}/value")
    if path.exists():
        return lambda: int(path.read_text().strip() or 0)
    try:
        import gpiod  # type: ignore[import-not-found]
        from gpiod.line import Direction, Value  # type: ignore[import-not-found]

        request = gpiod.request_lines(
            "/dev/gpiochip0", consumer="flightml", config={line: gpiod.LineSettings(direction=Direction.INPUT)}
        )
        return lambda: int(request.get_value(line) == Value.ACTIVE)
    except (ImportError, OSError, AttributeError, ValueError) as exc:
        print(f"note: GPIO {line} unavailable ({path} missing; gpiod: {exc}); capturing without a marker",
              file=sys.stderr)
        return None


def handle_capture(args: argparse.Namespace) -> int:
    check_number("--duration", args.duration, 0, 86400, above=True)
    check_number("--shunt-ohms", args.shunt_ohms, 0, 1000, above=True)
    check_number("--max-current-a", args.max_current_a, 0, 100, above=True)
    check_writable_path(args.out, "--out", directory=False)
    device = ina219.INA219(ina219.open_bus(args.bus), args.address, args.shunt_ohms, args.max_current_a, args.adc)
    marker = _gpio_reader(args.marker_gpio)
    samples = device.capture(args.duration, marker=marker)
    if not samples:
        raise InputError(f"INA219 at 0x{args.address:02x}: no samples in {args.duration} s")
    columns = {
        "t_s": np.array([s.t_s for s in samples]),
        "current_ma": np.array([s.current_a * 1e3 for s in samples]),
        "bus_v": np.array([s.bus_v for s in samples]),
        "power_mw": np.array([s.power_w * 1e3 for s in samples]),
        "ovf": np.array([int(s.overflow) for s in samples]),
    }
    if marker is not None:
        columns["marker"] = np.array([s.marker or 0 for s in samples])
    cal = device.calibration
    write_ina219_csv(args.out, columns, {
        "source": "capture", "adc": args.adc, "conversion_us": ina219.ADC[args.adc][1],
        "cycle_us": ina219.cycle_us(args.adc), "shunt_ohms": args.shunt_ohms, "max_current_a": args.max_current_a,
        "calibration": cal.cal, "current_lsb_a": f"{cal.current_lsb_a:.6e}",
    })
    flagged = int(columns["ovf"].sum())
    print(f"wrote {args.out}: {len(samples)} samples" + (f", {flagged} flagged overflow/clipped" if flagged else ""))
    return 0


def handle_analyze(args: argparse.Namespace) -> int:
    check_number("--voltage", args.voltage, 0, 1000, above=True)
    check_number("--threshold-ma", args.threshold_ma, 0, 1e6)
    check_number("--burst", args.burst, 1, 1e6)
    if args.out is not None:
        check_writable_path(args.out, "--out", directory=False)
    if args.run is not None and not args.run.is_dir():
        raise InputError(f"{args.run}: run directory not found")
    trace = read_trace(args.trace, args.format)
    doc = analyze(trace, marker=args.marker, threshold_ma=args.threshold_ma, burst=args.burst, voltage_v=args.voltage)
    if args.run is not None:
        budget = RunDir(args.run).path("budget.json")
        if budget.is_file():
            model = read_json(budget, "budget")["model"]
            doc["modelled"] = {k: model[k] for k in ("energy_uj_typical", "peak_current_ma", "inference_us")}
        with RunDir(args.run).lock():
            atomic_write_json(RunDir(args.run).path(POWER_TRACE), doc)
    if args.out is not None:
        atomic_write_json(args.out, doc)
    print(f"{args.trace}: {doc['clean_windows']}/{len(doc['windows'])} clean windows ({doc['windows_from']}, "
          f"burst {doc['burst']}), baseline {doc['baseline_ma']:.4g} mA")
    print(f"  energy per inference {doc['energy_uj_per_inference']:.4g} uJ (median), "
          f"peak {doc['peak_current_ma']:.4g} mA, inference {doc['inference_us']:.4g} us, "
          f"duty cycle {doc['duty_cycle']:.3g}, "
          f"average power {doc['avg_power_mw']:.4g} mW")
    for note in doc["notes"]:
        print(f"  WARNING: {note}" if not doc["resolved"] else f"  note: {note}")
    return 0


def handle_simulate(args: argparse.Namespace) -> int:
    check_number("--windows", args.windows, 1, 100_000)
    check_number("--burst", args.burst, 1, 1e6)
    check_number("--shunt-ohms", args.shunt_ohms, 0, 1000, above=True)
    check_number("--max-current-a", args.max_current_a, 0, 100, above=True)
    check_number("--board-ma", args.board_ma, 0, 1e5)
    check_number("--seed", args.seed, 0, 2**32 - 1)
    check_writable_path(args.out, "--out", directory=False)
    mission = load_mission(args.mission)
    run = RunDir(args.run)
    model = energy_model(mission, read_mcu_figures(run, mission.profile))
    fig = BenchFigures(model.inference_us * 1e-6, model.run_current_ma,
                       model.sleep_current_ua / 1000.0 + args.board_ma, mission.profile.supply_v)
    meta = write_simulated(args.out, fig, adc=args.adc, windows=args.windows, burst=args.burst,
                           shunt_ohms=args.shunt_ohms, max_current_a=args.max_current_a, seed=args.seed)
    print(f"wrote {args.out}: {args.windows} windows of {meta['burst']} inferences, {args.adc}; "
          f"truth {meta['truth_energy_uj']} uJ per inference, peak {meta['truth_peak_ma']} mA")
    return 0


def handle_profiles(args: argparse.Namespace) -> int:
    for name in builtin_names():
        p = load_profile(name)
        print(f"{name:12s} {p.core:14s} {p.clock_mhz:6g} MHz  {p.run_current_ma:7.4g} mA run  "
              f"unchecked: {', '.join(p.unchecked) or 'none'}")
    return 0
