"""Estimated cycles from instruction-class counts: a documented per-core timing model.

The plugin counts executed instructions by class (fm_insncount.c). Each class costs a fixed number
of cycles per core: the `[timing]` table of the core's data file (mcu/cores/*.toml), from the Arm
Technical Reference Manuals' instruction timing tables (the M7 dual-issue halves are an
approximation).

Flash wait states W: each taken control transfer adds W (the refetch from flash) and each data read
from flash adds W (the plugin counts every read in the target's flash range: weights, constants,
literal pools, TBB/TBH tables). Sequential instruction fetch is assumed hidden by the prefetch
buffer. The **bound** (used for WCET) assumes no flash accelerator or cache; the **typical**
estimate multiplies those wait-state penalties by the fractions the core's `[accelerator]` table
gives (and says what it assumes). Both are estimates, never measurements: bus contention and
interrupts are not modelled (interference is the response-time analysis' job, flightml.power.rta).
"""

from __future__ import annotations

from flightml.mcu.targets import Target

WAIT_STATE_CLASSES = ("taken", "flash_reads")


def cycles_by_class(counts: dict[str, int], target: Target, flash_wait_states: int) -> dict[str, float]:
    """The bound's cycles split by instruction class, plus the two wait-state charges."""
    split = {name: cost * counts.get(name, 0) for name, cost in target.timing.items()}
    split.update({f"ws_{name}": flash_wait_states * counts.get(name, 0) for name in WAIT_STATE_CLASSES})
    return split


def estimate_cycles(counts: dict[str, int], target: Target, flash_wait_states: int = 0) -> int:
    """Estimated cycles (the bound: no accelerator) of `counts` (plugin counter deltas) on `target`."""
    return round(sum(cycles_by_class(counts, target, flash_wait_states).values()))


def typical_cycles(counts: dict[str, int], target: Target, flash_wait_states: int = 0) -> int:
    """Estimated cycles with the target's flash accelerator: the wait-state charges scaled by its fractions."""
    split = cycles_by_class(counts, target, flash_wait_states)
    acc = target.accelerator
    split["ws_taken"] *= acc.taken_ws_fraction
    split["ws_flash_reads"] *= acc.flash_read_ws_fraction
    return round(sum(split.values()))


def wcet(max_cycles: int, margin: float, clock_mhz: float) -> tuple[int, float]:
    """WCET bound from the largest estimated cycle count: (cycles x margin, microseconds at clock_mhz)."""
    bound = round(max_cycles * margin)
    return bound, bound / clock_mhz
