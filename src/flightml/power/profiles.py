"""Target profiles: one TOML file per MCU, each figure with its datasheet source and a checked flag.

A profile file has `part`, `core` and `notes`, then one table per figure:
`[clock_mhz] value = 80.0, source = "DS... Table ...", checked = true, note = "..."`.
Figures: clock_mhz, supply_v, run_current_ma or run_current_ua_per_mhz (one of the two),
sleep_current_ua, flash_kb, ram_kb, flash_wait_states, and optional wakeup_us.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from flightml.errors import InputError
from flightml.mcu.targets import TARGETS as CORE_FILES
from flightml.power.tomlcheck import check_keys, integer, number, read_toml, string

# verify_mcu.json target names to look for, in order, for each profile core: the core itself, then
# the cores whose data file lists it in `power_cores` (a cortex-m4f part accepts the cortex-m4 result).
TARGETS = {
    core: (*((core,) if core in CORE_FILES else ()), *(t.name for t in CORE_FILES.values() if core in t.power_cores))
    for core in dict.fromkeys([*CORE_FILES, *(c for t in CORE_FILES.values() for c in t.power_cores)])
}
CORES = tuple(TARGETS)
FIGURES = {
    "clock_mhz": "MHz",
    "supply_v": "V",
    "run_current_ma": "mA",
    "run_current_ua_per_mhz": "uA/MHz",
    "sleep_current_ua": "uA",
    "flash_kb": "KiB",
    "ram_kb": "KiB",
    "flash_wait_states": "",
    "wakeup_us": "us",
}
REQUIRED = ("clock_mhz", "supply_v", "sleep_current_ua", "flash_kb", "ram_kb", "flash_wait_states")


@dataclass(frozen=True)
class Figure:
    """One datasheet figure: value in the unit its key names, where it comes from, checked or not."""

    value: float
    source: str
    checked: bool
    note: str = ""


@dataclass(frozen=True)
class Profile:
    name: str
    file: str
    part: str
    core: str
    notes: str
    figures: dict[str, Figure] = field(default_factory=dict)

    def value(self, key: str, default: float = 0.0) -> float:
        return self.figures[key].value if key in self.figures else default

    @property
    def clock_mhz(self) -> float:
        return self.value("clock_mhz")

    @property
    def supply_v(self) -> float:
        return self.value("supply_v")

    @property
    def run_current_ma(self) -> float:
        """Run current at `clock_mhz`, mA (from the per-MHz figure when that is what the file gives)."""
        if "run_current_ma" in self.figures:
            return self.value("run_current_ma")
        return self.value("run_current_ua_per_mhz") * self.clock_mhz / 1000.0

    @property
    def unchecked(self) -> list[str]:
        return sorted(k for k, f in self.figures.items() if not f.checked)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "part": self.part,
            "core": self.core,
            "figures": {k: vars(f) for k, f in sorted(self.figures.items())},
            "unchecked": self.unchecked,
        }


def builtin_dir() -> Path:
    return Path(str(resources.files("flightml.power") / "profiles"))


def builtin_names() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.toml"))


def _figure(where: str, key: str, table: Any) -> Figure:
    check_keys(where, table, ("value", "source", "checked", "note"), ("value", "source", "checked"))
    if key == "flash_wait_states":
        value: float = integer(f"{where}.value", table["value"], minimum=0)
    else:
        value = number(f"{where}.value", table["value"], positive=True, unit=FIGURES[key])
    if not isinstance(table["checked"], bool):
        raise InputError(f"{where}.checked: expected true or false, got {table['checked']!r}")
    note = table.get("note", "")
    if not isinstance(note, str):
        raise InputError(f"{where}.note: expected a string, got {note!r}")
    return Figure(value, string(f"{where}.source", table["source"]), table["checked"], note)


def parse_profile(raw: dict[str, Any], origin: str, name: str) -> Profile:
    """Build a checked Profile from parsed TOML; errors name `origin` and the field."""
    check_keys(origin, raw, ("part", "core", "notes", *FIGURES), ("part", "core", *REQUIRED))
    core = raw["core"]
    if core not in CORES:
        raise InputError(f"{origin}: core: expected one of {', '.join(CORES)}, got {core!r}")
    has_ma, has_per_mhz = "run_current_ma" in raw, "run_current_ua_per_mhz" in raw
    if has_ma == has_per_mhz:
        raise InputError(f"{origin}: run_current_ma / run_current_ua_per_mhz: give exactly one of the two")
    notes = raw.get("notes", "")
    if not isinstance(notes, str):
        raise InputError(f"{origin}: notes: expected a string, got {notes!r}")
    figures = {k: _figure(f"{origin}: {k}", k, raw[k]) for k in FIGURES if k in raw}
    return Profile(name, origin, string(f"{origin}: part", raw["part"]), core, notes, figures)


def load_profile(spec: str | Path, base: Path | None = None) -> Profile:
    """A built-in profile by name (e.g. 'stm32l476') or a profile TOML path (relative to `base`)."""
    text = str(spec)
    if text.lower() in builtin_names():
        path = builtin_dir() / f"{text.lower()}.toml"
        origin = f"flightml:profiles/{path.name}"
    else:
        path = Path(text)
        if not path.is_absolute() and base is not None:
            path = base / path
        if not path.is_file():
            raise InputError(
                f"{path}: target profile not found (built-in profiles: {', '.join(builtin_names())})"
            )
        origin = str(path)
    return parse_profile(read_toml(path, "target profile"), origin, path.stem)
