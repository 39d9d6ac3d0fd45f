"""Reading RUN/verify_mcu.json (written by the verify stage) for the target a profile names.

When the entry holds the worst sample's instruction-class counts, the cycles are re-costed at the
profile's flash wait states (bound: no accelerator; typical: with the core's accelerator), so the
budget never depends on the wait states verify happened to use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flightml.artifacts import RunDir, read_json
from flightml.errors import InputError
from flightml.power.profiles import CORE_FILES, TARGETS, Profile

VERIFY_MCU = "verify_mcu.json"


def _producer(run: RunDir, target: str) -> str:
    return f"'flightml verify {run.root} --target {target}' (or 'flightml run' with {target} in [verify] targets)"


@dataclass(frozen=True)
class McuFigures:
    """Cycle and footprint figures of one emulated target (cycles, bytes)."""

    target: str
    cycles_median: float
    cycles_max: float
    flash_bytes: int
    ram_bytes: int
    verify_clock_mhz: float | None
    verify_wait_states: int | None


def _field(where: str, entry: dict[str, Any], key: str) -> Any:
    if key not in entry:
        raise InputError(f"{where}.{key}: missing; re-run the verify stage")
    return entry[key]


def _count(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InputError(f"{where}: expected a non-negative number, got {value!r}")
    return float(value)


def _recount(where: str, counts: dict[str, Any], name: str, ws: int) -> tuple[float, float, int]:
    """(typical with the accelerator, bound, wait states): the worst sample's instruction-class counts
    re-costed at the profile's (or the command line's) flash wait states."""
    from flightml.mcu.timing import estimate_cycles, typical_cycles

    checked = {k: int(_count(f"{where}.{k}", v)) for k, v in counts.items()}
    target = CORE_FILES[name]
    return float(typical_cycles(checked, target, ws)), float(estimate_cycles(checked, target, ws)), ws


class TargetSkipped(Exception):
    """The matching target was skipped (toolchain missing): no figures to check, not bad input."""


def read_mcu_figures(run: RunDir, profile: Profile) -> McuFigures:
    """The figures of the verify target matching `profile.core`, or an InputError naming what is missing."""
    path = run.path(VERIFY_MCU)
    names = TARGETS[profile.core]
    if not path.is_file():
        raise InputError(f"{path}: missing; produce it with {_producer(run, names[0])}")
    data = read_json(path, "MCU verification result")
    targets = data.get("targets") if isinstance(data, dict) else None
    if not isinstance(targets, dict):
        raise InputError(f"{path}: 'targets' missing or not an object; re-run {_producer(run, names[0])}")
    name = next((n for n in names if n in targets), None)
    if name is None:
        raise InputError(
            f"{path}: no target {' or '.join(names)} for profile '{profile.name}' (core {profile.core}); "
            f"found {', '.join(sorted(targets)) or 'none'}; run {_producer(run, names[0])}"
        )
    entry = targets[name]
    where = f"{path}: targets.{name}"
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected an object")
    status = entry.get("status")
    if status == "skipped":
        raise TargetSkipped(f"{name} was not run ({entry.get('reason') or 'skipped'})")
    if status != "ok":
        raise InputError(f"{where}.status is {status!r}, not 'ok'; the cycle figures cannot be used")
    cycles = _field(where, entry, "cycles_est")
    if not isinstance(cycles, dict):
        raise InputError(f"{where}.cycles_est: expected an object with min, median, max")
    median = _count(f"{where}.cycles_est.median", _field(f"{where}.cycles_est", cycles, "median"))
    worst = _count(f"{where}.cycles_est.max", _field(f"{where}.cycles_est", cycles, "max"))
    if median <= 0 or worst < median:
        raise InputError(f"{where}.cycles_est: expected 0 < median <= max, got {median} and {worst}")
    clock = entry.get("clock_mhz")
    ws = entry.get("flash_wait_states")
    if isinstance(entry.get("counts"), dict) and name in CORE_FILES:
        median, worst, ws = _recount(f"{where}.counts", entry["counts"], name, int(profile.value("flash_wait_states")))
    return McuFigures(
        target=name,
        cycles_median=median,
        cycles_max=worst,
        flash_bytes=int(_count(f"{where}.flash_bytes", _field(where, entry, "flash_bytes"))),
        ram_bytes=int(_count(f"{where}.ram_bytes", _field(where, entry, "ram_bytes"))),
        verify_clock_mhz=float(clock) if isinstance(clock, (int, float)) else None,
        verify_wait_states=int(ws) if isinstance(ws, int) and not isinstance(ws, bool) else None,
    )
