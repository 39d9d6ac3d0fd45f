"""Mission files (mission.toml): target profile, period, deadline, margins, budgets, power modes.

Every key is checked; errors are one line naming the file and the dotted field. The built-in
example (`missions/example.toml`) is what `flightml init mission` writes and what a run uses when
`[mission] file` is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from flightml.errors import InputError
from flightml.power.profiles import Figure, Profile, load_profile
from flightml.power.rta import Rtos, parse_rtos
from flightml.power.tomlcheck import check_keys, integer, number, read_toml, string

PERIOD_MAX_S = 31_536_000.0  # one inference a year


@dataclass(frozen=True)
class PowerMode:
    """Other loads on the bus in one mode and the limits that apply (mW, mA, V)."""

    name: str
    other_loads_mw: float
    other_peak_ma: float
    power_limit_mw: float
    current_limit_ma: float
    bus_v: float


@dataclass(frozen=True)
class Mission:
    file: str
    name: str
    profile: Profile
    period_s: float
    deadline_ms: float
    wcet_margin: float
    memory_margin: float
    power_margin: float
    energy_budget_uj: float | None
    avg_power_budget_mw: float | None
    modes: tuple[PowerMode, ...]
    rtos: Rtos | None = None


def example_path() -> Path:
    return Path(str(resources.files("flightml.power") / "missions" / "example.toml"))


def example_text() -> str:
    return example_path().read_text(encoding="utf-8")


def _fraction(where: str, value: Any) -> float:
    value = number(where, value, minimum=0.0)
    if value >= 1.0:
        raise InputError(f"{where}: must be a fraction in [0, 1), got {value!r}")
    return value


def _mode(origin: str, name: str, table: Any, supply_v: float) -> PowerMode:
    where = f"{origin}: modes.{name}"
    known = ("other_loads_mw", "other_peak_ma", "power_limit_mw", "current_limit_ma", "bus_v")
    check_keys(where, table, known, ("other_loads_mw", "power_limit_mw", "current_limit_ma"))
    bus_v = number(f"{where}.bus_v", table.get("bus_v", supply_v), positive=True, unit="V")
    other_mw = number(f"{where}.other_loads_mw", table["other_loads_mw"], minimum=0.0, unit="mW")
    peak = table.get("other_peak_ma", other_mw / bus_v)
    return PowerMode(
        name,
        other_mw,
        number(f"{where}.other_peak_ma", peak, minimum=0.0, unit="mA"),
        number(f"{where}.power_limit_mw", table["power_limit_mw"], positive=True, unit="mW"),
        number(f"{where}.current_limit_ma", table["current_limit_ma"], positive=True, unit="mA"),
        bus_v,
    )


def parse_mission(raw: dict[str, Any], origin: str, base: Path, profile_override: str | None = None) -> Mission:
    """A checked Mission from parsed TOML; `profile_override` replaces `[mission] profile`."""
    check_keys(origin, raw, ("mission", "margins", "budget", "modes", "rtos", "tasks"), ("mission", "margins", "modes"))
    m = check_keys(f"{origin}: mission", raw["mission"],
                   ("name", "profile", "period_s", "deadline_ms", "clock_mhz", "flash_wait_states"),
                   ("profile", "period_s", "deadline_ms"))
    margins = check_keys(f"{origin}: margins", raw["margins"], ("wcet", "memory", "power"),
                         ("wcet", "memory", "power"))
    budget = check_keys(f"{origin}: budget", raw.get("budget", {}), ("energy_uj_per_inference", "avg_power_mw"))
    if "tasks" in raw and "rtos" not in raw:
        raise InputError(f"{origin}: tasks: need an [rtos] table (tick_hz, tick_us, inference_priority, scrub_step_us)")
    modes = raw["modes"]
    if not isinstance(modes, dict) or not modes:
        raise InputError(f"{origin}: modes: expected at least one [modes.NAME] table")
    profile = (
        load_profile(profile_override)
        if profile_override
        else load_profile(string(f"{origin}: mission.profile", m["profile"]), base)
    )
    profile = with_clock(
        profile,
        number(f"{origin}: mission.clock_mhz", m["clock_mhz"], positive=True, unit="MHz") if "clock_mhz" in m else None,
        integer(f"{origin}: mission.flash_wait_states", m["flash_wait_states"]) if "flash_wait_states" in m else None,
        f"{origin}: mission",
    )
    period_s = number(f"{origin}: mission.period_s", m["period_s"], positive=True, unit="s", maximum=PERIOD_MAX_S)
    deadline_ms = number(f"{origin}: mission.deadline_ms", m["deadline_ms"], positive=True, unit="ms")
    if deadline_ms > period_s * 1000.0:
        raise InputError(f"{origin}: mission.deadline_ms ({deadline_ms}) exceeds the period ({period_s * 1000.0} ms)")
    wcet = number(f"{origin}: margins.wcet", margins["wcet"], minimum=1.0)

    def optional(key: str, unit: str) -> float | None:
        return number(f"{origin}: budget.{key}", budget[key], positive=True, unit=unit) if key in budget else None

    return Mission(
        file=origin,
        name=string(f"{origin}: mission.name", m.get("name", Path(origin).stem)),
        profile=profile,
        period_s=period_s,
        deadline_ms=deadline_ms,
        wcet_margin=wcet,
        memory_margin=_fraction(f"{origin}: margins.memory", margins["memory"]),
        power_margin=_fraction(f"{origin}: margins.power", margins["power"]),
        energy_budget_uj=optional("energy_uj_per_inference", "uJ"),
        avg_power_budget_mw=optional("avg_power_mw", "mW"),
        modes=tuple(_mode(origin, name, table, profile.supply_v) for name, table in modes.items()),
        rtos=parse_rtos(origin, raw["rtos"], raw.get("tasks", {})) if "rtos" in raw else None,
    )


def with_clock(profile: Profile, clock_mhz: float | None, wait_states: int | None, source: str) -> Profile:
    """`profile` with its clock and/or flash wait states replaced (a mission key or a command-line option)."""
    figures = dict(profile.figures)
    for key, value in (("clock_mhz", clock_mhz), ("flash_wait_states", wait_states)):
        if value is not None:
            figures[key] = Figure(value, f"{source} (overrides the profile)", True)
    return replace(profile, figures=figures)


def load_mission(path: str | Path | None, profile_override: str | None = None) -> Mission:
    """Load a mission file; None or "" loads the built-in example."""
    builtin = path in (None, "")
    target = example_path() if builtin else Path(path)  # type: ignore[arg-type]
    raw = read_toml(target, "mission file")
    origin = "flightml:missions/example.toml" if builtin else str(target)
    return parse_mission(raw, origin, target.parent, profile_override)
