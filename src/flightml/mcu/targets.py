"""The Cortex-M targets, read from one data file per core (mcu/cores/*.toml, README.md there).

A Target holds everything flightml knows about a core: gcc flags, QEMU board, memory map, the
kernel sets that run on it (by name, preferred first), start-up file, timing table, default clock
and flash wait states, and the flash accelerator the typical estimate assumes. `TARGETS` is the
registry every module reads; adding a core is adding a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from flightml.errors import InputError
from flightml.power.tomlcheck import check_keys, integer, number, read_toml, string

TIMING_CLASSES = (
    "alu",
    "mul",
    "mac",
    "lmul",
    "div",
    "load",
    "load_p",
    "store",
    "store_p",
    "lsm",
    "lsm_regs",
    "branch",
    "call",
    "fp",
    "taken",
)
_TOP = (
    "description",
    "order",
    "cpu_flags",
    "kernels",
    "core_init",
    "stack_bytes",
    "power_cores",
    "timing_as",
    "qemu",
    "memory",
    "clock",
    "timing",
    "accelerator",
)
_NO_ACCELERATOR = {
    "name": "none",
    "taken_ws_fraction": 1.0,
    "flash_read_ws_fraction": 1.0,
    "assumes": "no accelerator: the typical estimate equals the bound",
}


@dataclass(frozen=True)
class Accelerator:
    """Flash accelerator / cache: fraction of the wait-state penalty left in the typical estimate."""

    name: str
    taken_ws_fraction: float
    flash_read_ws_fraction: float
    assumes: str


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    order: int
    cpu_flags: tuple[str, ...]
    machine: str
    flash_origin: int
    flash_size: int
    ram_origin: int
    ram_size: int
    stack_bytes: int
    kernel_sets: tuple[str, ...]
    core_init: str
    timing: dict[str, float]
    timing_source: str
    clock_mhz: float
    flash_wait_states: int
    clock_source: str
    accelerator: Accelerator
    power_cores: tuple[str, ...]

    def kernels(self, request: str = "auto") -> str:
        """The kernel set for `request`: 'auto' (the preferred one) or a set this core runs."""
        if request == "auto":
            return self.kernel_sets[0]
        if request not in self.kernel_sets:
            raise InputError(
                f"{self.name}: kernels {request!r} do not run here (use auto or {', '.join(self.kernel_sets)})"
            )
        return request


def cores_dir() -> Path:
    return Path(str(resources.files("flightml.mcu") / "cores"))


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise InputError(f"{where}: expected a non-empty list of strings, got {value!r}")
    return tuple(string(where, v) for v in value)


def _timing(where: str, table: Any) -> tuple[dict[str, float], str]:
    check_keys(where, table, ("source", *TIMING_CLASSES), ("source", *TIMING_CLASSES))
    return {k: number(f"{where}.{k}", table[k], minimum=0.0) for k in TIMING_CLASSES}, string(
        f"{where}.source", table["source"]
    )


def _accelerator(where: str, table: Any) -> Accelerator:
    keys = ("name", "taken_ws_fraction", "flash_read_ws_fraction", "assumes")
    check_keys(where, table, keys, keys)
    fractions = [number(f"{where}.{k}", table[k], minimum=0.0) for k in keys[1:3]]
    if max(fractions) > 1.0:
        raise InputError(f"{where}: ws fractions must be in [0, 1]")
    return Accelerator(string(f"{where}.name", table["name"]), *fractions, string(f"{where}.assumes", table["assumes"]))


def _parse(name: str, raw: dict[str, Any], raws: dict[str, dict[str, Any]]) -> Target:
    o = f"flightml:mcu/cores/{name}.toml"
    check_keys(
        o,
        raw,
        _TOP,
        ("description", "order", "cpu_flags", "kernels", "core_init", "stack_bytes", "qemu", "memory", "clock"),
    )
    source = raw
    if "timing_as" in raw:
        other = string(f"{o}: timing_as", raw["timing_as"])
        if other not in raws or "timing" not in raws[other]:
            raise InputError(f"{o}: timing_as: no core {other!r} with a [timing] table")
        source = raws[other]
    elif "timing" not in raw:
        raise InputError(f"{o}: timing: missing (give [timing] or timing_as)")
    timing, timing_source = _timing(f"{o}: timing", source["timing"])
    accel = raw.get("accelerator", source.get("accelerator", _NO_ACCELERATOR))
    mem = check_keys(
        f"{o}: memory",
        raw["memory"],
        ("flash_origin", "flash_size", "ram_origin", "ram_size"),
        ("flash_origin", "flash_size", "ram_origin", "ram_size"),
    )
    clock = check_keys(
        f"{o}: clock",
        raw["clock"],
        ("clock_mhz", "flash_wait_states", "source"),
        ("clock_mhz", "flash_wait_states", "source"),
    )
    qemu = check_keys(f"{o}: qemu", raw["qemu"], ("machine",), ("machine",))
    return Target(
        name=name,
        description=string(f"{o}: description", raw["description"]),
        order=integer(f"{o}: order", raw["order"]),
        cpu_flags=_strings(f"{o}: cpu_flags", raw["cpu_flags"]),
        machine=string(f"{o}: qemu.machine", qemu["machine"]),
        **{k: integer(f"{o}: memory.{k}", mem[k]) for k in mem},
        stack_bytes=integer(f"{o}: stack_bytes", raw["stack_bytes"], minimum=256),
        kernel_sets=_strings(f"{o}: kernels", raw["kernels"]),
        core_init=string(f"{o}: core_init", raw["core_init"]),
        timing=timing,
        timing_source=timing_source,
        clock_mhz=number(f"{o}: clock.clock_mhz", clock["clock_mhz"], positive=True, unit="MHz"),
        flash_wait_states=integer(f"{o}: clock.flash_wait_states", clock["flash_wait_states"]),
        clock_source=string(f"{o}: clock.source", clock["source"]),
        accelerator=_accelerator(f"{o}: accelerator", accel),
        power_cores=tuple(_strings(f"{o}: power_cores", raw["power_cores"])) if "power_cores" in raw else (),
    )


def load_targets(folder: Path | None = None) -> dict[str, Target]:
    """Every core file in `folder` (default: the built-in cores), in `order`."""
    folder = folder or cores_dir()
    raws = {p.stem: read_toml(p, "core file") for p in sorted(folder.glob("*.toml"))}
    targets = [_parse(name, raw, raws) for name, raw in raws.items()]
    return {t.name: t for t in sorted(targets, key=lambda t: (t.order, t.name))}


TARGETS: dict[str, Target] = load_targets()


def get_target(name: str) -> Target:
    """The target called `name`, or an InputError listing the known ones."""
    if name not in TARGETS:
        raise InputError(f"unknown target {name!r} (known: host, {', '.join(TARGETS)})")
    return TARGETS[name]
