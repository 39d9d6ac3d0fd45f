"""Worst-case response time of the inference task under FreeRTOS: fixed-priority response-time analysis.

The mission file may describe the core's other work (`[rtos]` and `[tasks.NAME]`, see
missions/example.toml). The inference task's worst-case response time is the smallest fixed point of

    R = C + B + sum over interfering j of ceil(R / T_j) x C_j        (Joseph & Pandya; Audsley et al.)

where C is the inference WCET (with its margin) plus one integrity scrub step (the generated task runs
one before each inference), B the longest blocking by lower-priority work (critical sections), and
the interfering set is every interrupt, every task of higher or equal priority (equal priority:
FreeRTOS time slicing may run it first, counted as interference, an upper bound) and the kernel tick
(period 1 / tick_hz, its handler's WCET). Iteration stops at the fixed point or once R exceeds the
deadline (unschedulable). Assumes: independent tasks, deadlines <= periods, release jitter 0,
context-switch cost folded into each C_j.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flightml.errors import InputError
from flightml.power.tomlcheck import check_keys, integer, number


@dataclass(frozen=True)
class Load:
    """One source of interference: period and WCET in microseconds."""

    name: str
    period_us: float
    wcet_us: float
    priority: int | None  # None: an interrupt (preempts every task)


@dataclass(frozen=True)
class Rtos:
    tick_hz: float
    tick_us: float
    inference_priority: int
    scrub_step_us: float
    blocking_us: float
    loads: tuple[Load, ...]

    def interfering(self) -> list[Load]:
        """The kernel tick, every interrupt and every task at or above the inference priority."""
        tick = Load("kernel tick", 1e6 / self.tick_hz, self.tick_us, None)
        hp = [x for x in self.loads if x.priority is None or x.priority >= self.inference_priority]
        return [tick, *hp]


def response_time(c: float, interfering: list[tuple[float, float]], deadline: float, blocking: float = 0.0) -> float:
    """Smallest R = c + blocking + sum ceil(R / T_j) C_j over `interfering` [(C_j, T_j)]; the first
    iterate above `deadline` when there is none within it (then R > deadline: unschedulable)."""
    r = c + blocking + sum(cj for cj, _ in interfering)
    while r <= deadline:
        nxt = c + blocking + sum(math.ceil(r / tj - 1e-12) * cj for cj, tj in interfering)
        if nxt == r:
            return r
        r = nxt
    return r


def parse_rtos(origin: str, raw: Any, tasks: Any) -> Rtos:
    """`[rtos]` and the `[tasks.NAME]` tables of a mission file, checked (errors name the field)."""
    where = f"{origin}: rtos"
    keys = ("tick_hz", "tick_us", "inference_priority", "scrub_step_us", "blocking_us")
    check_keys(where, raw, keys, ("tick_hz", "tick_us", "inference_priority", "scrub_step_us"))
    if not isinstance(tasks, dict):
        raise InputError(f"{origin}: tasks: expected [tasks.NAME] tables")
    loads = tuple(_load(f"{origin}: tasks.{name}", name, table) for name, table in tasks.items())
    return Rtos(
        tick_hz=number(f"{where}.tick_hz", raw["tick_hz"], positive=True, unit="Hz"),
        tick_us=number(f"{where}.tick_us", raw["tick_us"], minimum=0.0, unit="us"),
        inference_priority=integer(f"{where}.inference_priority", raw["inference_priority"]),
        scrub_step_us=number(f"{where}.scrub_step_us", raw["scrub_step_us"], minimum=0.0, unit="us"),
        blocking_us=number(f"{where}.blocking_us", raw.get("blocking_us", 0.0), minimum=0.0, unit="us"),
        loads=loads,
    )


def _load(where: str, name: str, table: Any) -> Load:
    check_keys(where, table, ("period_ms", "wcet_us", "priority", "interrupt"), ("period_ms", "wcet_us"))
    interrupt = table.get("interrupt", False)
    if not isinstance(interrupt, bool):
        raise InputError(f"{where}.interrupt: expected true or false, got {interrupt!r}")
    if interrupt == ("priority" in table):
        raise InputError(f"{where}: give either priority (a task) or interrupt = true")
    period_us = number(f"{where}.period_ms", table["period_ms"], positive=True, unit="ms") * 1000.0
    wcet = number(f"{where}.wcet_us", table["wcet_us"], minimum=0.0, unit="us")
    priority = None if interrupt else integer(f"{where}.priority", table["priority"])
    return Load(name, period_us, wcet, priority)


def analysis(rtos: Rtos, inference_wcet_us: float, deadline_us: float) -> dict[str, Any]:
    """The response-time analysis of the inference task, as recorded in budget.json."""
    c = inference_wcet_us + rtos.scrub_step_us
    loads = rtos.interfering()
    r = response_time(c, [(x.wcet_us, x.period_us) for x in loads], deadline_us, rtos.blocking_us)
    return {
        "c_us": c,
        "inference_us": inference_wcet_us,
        "scrub_step_us": rtos.scrub_step_us,
        "blocking_us": rtos.blocking_us,
        "deadline_us": deadline_us,
        "response_us": r,
        "schedulable": r <= deadline_us,
        "interference": [
            {
                "name": x.name,
                "period_us": x.period_us,
                "wcet_us": x.wcet_us,
                "priority": "interrupt" if x.priority is None else x.priority,
                "preemptions": math.ceil(r / x.period_us - 1e-12),
            }
            for x in loads
        ],
    }
