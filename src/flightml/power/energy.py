"""The energy model and the budget verdict.

Model (figures from the profile, cycles from verify_mcu.json, times recomputed at the profile clock):
  t_inf      = cycles / clock                       (median cycles: typical; max cycles: WCET)
  E_inf      = t_wcet x V x I_run + t_wake x V x I_run   (worst case, uJ; wake-up at run current)
  P_avg      = (E_inf + V x I_sleep x (T - t_wcet - t_wake)) / T
  I_peak     = I_run (datasheet run current at the clock; the sensor-visible sustained peak)
Each budget line is (name, value, limit, passed); the verdict passes when every line passes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flightml.power.mcu import McuFigures
from flightml.power.mission import Mission
from flightml.power.rta import analysis

SCHEMA = "flightml.budget/1"


@dataclass(frozen=True)
class Line:
    """One budget line: `value` must be <= `limit` (both in `unit`)."""

    name: str
    value: float
    limit: float
    unit: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class EnergyModel:
    inference_us: float
    wcet_us: float
    run_current_ma: float
    sleep_current_ua: float
    wakeup_us: float
    energy_uj_per_inference: float
    energy_uj_typical: float
    avg_power_mw: float
    peak_current_ma: float
    duty_cycle: float


def energy_model(mission: Mission, mcu: McuFigures) -> EnergyModel:
    """Energy per inference (uJ), average power (mW) and peak current (mA) at the mission period."""
    p = mission.profile
    v, i_run, i_sleep_ma = p.supply_v, p.run_current_ma, p.value("sleep_current_ua") / 1000.0
    t_typ_s = mcu.cycles_median / (p.clock_mhz * 1e6)
    t_wcet_s = mcu.cycles_max / (p.clock_mhz * 1e6)
    t_wake_s = p.value("wakeup_us") * 1e-6
    e_wake_uj = t_wake_s * v * i_run * 1e3
    e_wcet_uj = t_wcet_s * v * i_run * 1e3 + e_wake_uj
    e_typ_uj = t_typ_s * v * i_run * 1e3 + e_wake_uj
    active_s = min(t_wcet_s + t_wake_s, mission.period_s)
    sleep_uj = v * i_sleep_ma * (mission.period_s - active_s) * 1e3
    return EnergyModel(
        inference_us=t_typ_s * 1e6,
        wcet_us=t_wcet_s * 1e6,
        run_current_ma=i_run,
        sleep_current_ua=i_sleep_ma * 1000.0,
        wakeup_us=t_wake_s * 1e6,
        energy_uj_per_inference=e_wcet_uj,
        energy_uj_typical=e_typ_uj,
        avg_power_mw=(e_wcet_uj + sleep_uj) / mission.period_s / 1e3,
        peak_current_ma=i_run,
        duty_cycle=active_s / mission.period_s,
    )


def _line(name: str, value: float, limit: float, unit: str, detail: str) -> Line:
    ok = value <= limit
    shown = f"{value:.0f} {unit} {'<=' if ok else '>'} {limit:.0f}" if unit == "B" else (
        f"{value:.4g} {unit} {'<=' if ok else '>'} {limit:.4g}")
    return Line(name, value, limit, unit, ok, f"{name}: {shown} {unit} ({detail})")


def budget_lines(mission: Mission, mcu: McuFigures, model: EnergyModel) -> list[Line]:
    """Every budget line, in report order."""
    p, keep = mission.profile, 1.0 - mission.memory_margin
    reserve = 1.0 - mission.power_margin
    lines = [
        _line("flash", mcu.flash_bytes, p.value("flash_kb") * 1024 * keep, "B",
              f"{p.value('flash_kb'):g} KiB flash less {mission.memory_margin:.0%} margin"),
        _line("ram", mcu.ram_bytes, p.value("ram_kb") * 1024 * keep, "B",
              f"{p.value('ram_kb'):g} KiB RAM less {mission.memory_margin:.0%} margin"),
        _line("wcet", model.wcet_us * mission.wcet_margin, mission.deadline_ms * 1000.0, "us",
              f"WCET {model.wcet_us:.4g} us x margin {mission.wcet_margin:g} at {p.clock_mhz:g} MHz "
              f"vs deadline {mission.deadline_ms:g} ms"),
    ]
    if mission.rtos is not None:
        rta = analysis(mission.rtos, model.wcet_us * mission.wcet_margin, mission.deadline_ms * 1000.0)
        lines.append(_line("response_time", rta["response_us"], rta["deadline_us"], "us",
                           f"FreeRTOS fixed-priority response time: WCET x margin + scrub step "
                           f"{rta['c_us']:.4g} us, blocking {rta['blocking_us']:g} us, interference from "
                           f"{', '.join(x['name'] for x in rta['interference'])}"))
    if mission.energy_budget_uj is not None:
        lines.append(_line("energy", model.energy_uj_per_inference, mission.energy_budget_uj, "uJ",
                           "worst-case energy per inference vs budget"))
    if mission.avg_power_budget_mw is not None:
        lines.append(_line("avg_power", model.avg_power_mw, mission.avg_power_budget_mw * reserve, "mW",
                           f"average at a {mission.period_s:g} s period vs budget less {mission.power_margin:.0%}"))
    for mode in mission.modes:
        lines.append(_line(f"{mode.name}.power", mode.other_loads_mw + model.avg_power_mw,
                           mode.power_limit_mw * reserve, "mW",
                           f"other loads {mode.other_loads_mw:g} mW + inference average, "
                           f"limit {mode.power_limit_mw:g} mW less {mission.power_margin:.0%}"))
        lines.append(_line(f"{mode.name}.peak", mode.other_peak_ma + model.peak_current_ma,
                           mode.current_limit_ma * reserve, "mA",
                           f"other peak {mode.other_peak_ma:g} mA + inference peak, "
                           f"limit {mode.current_limit_ma:g} mA less {mission.power_margin:.0%}"))
    return lines


def budget_document(mission: Mission, mcu: McuFigures, verify_path: str) -> dict[str, Any]:
    """The content of budget.json (schema flightml.budget/1)."""
    model = energy_model(mission, mcu)
    lines = budget_lines(mission, mcu, model)
    p = mission.profile
    notes = [f"profile figures not checked against a datasheet: {', '.join(p.unchecked)}"] if p.unchecked else []
    if mcu.verify_wait_states is not None and mcu.verify_wait_states != int(p.value("flash_wait_states")):
        notes.append(
            f"cycles were estimated with {mcu.verify_wait_states} flash wait states; the profile has "
            f"{int(p.value('flash_wait_states'))} at {p.clock_mhz:g} MHz: set [verify] flash_wait_states to match"
        )
    modes = {}
    for mode in mission.modes:
        power = next(line for line in lines if line.name == f"{mode.name}.power")
        peak = next(line for line in lines if line.name == f"{mode.name}.peak")
        modes[mode.name] = {
            "margin_mw": power.limit - power.value,
            "peak_margin_ma": peak.limit - peak.value,
            "passed": power.passed and peak.passed,
        }
    failing = [line.detail for line in lines if not line.passed]
    return {
        "schema": SCHEMA,
        "mission": {"file": mission.file, "name": mission.name, "period_s": mission.period_s,
                    "deadline_ms": mission.deadline_ms,
                    "margins": {"wcet": mission.wcet_margin, "memory": mission.memory_margin,
                                "power": mission.power_margin}},
        "profile": p.to_dict(),
        "target": mcu.target,
        "inputs": {"verify_mcu": verify_path, **asdict(mcu)},
        "model": asdict(model),
        "wcet_margin": (mission.deadline_ms * 1000.0) / model.wcet_us,
        "lines": [asdict(line) for line in lines],
        "power_modes": modes,
        "rta": analysis(mission.rtos, model.wcet_us * mission.wcet_margin, mission.deadline_ms * 1000.0)
        if mission.rtos is not None else None,
        "notes": notes,
        "failing": failing,
        "verdict": "fail" if failing else "pass",
    }


def summary_values(doc: dict[str, Any]) -> dict[str, Any]:
    """The summary.json keys the budget contributes."""
    model = doc["model"]
    return {
        "energy_uj_per_inference": model["energy_uj_per_inference"],
        "avg_power_mw": model["avg_power_mw"],
        "peak_current_ma": model["peak_current_ma"],
        "wcet_margin": doc["wcet_margin"],
        "verdict": doc["verdict"],
        "power_modes": {name: {"margin_mw": m["margin_mw"], "peak_margin_ma": m["peak_margin_ma"]}
                        for name, m in doc["power_modes"].items()},
    }
