"""Estimated cycles from instruction-class counts: a documented per-core timing model.

The plugin counts executed instructions by class (fm_insncount.c). Each class costs a fixed number
of cycles per core, from the Arm Technical Reference Manuals (instruction timing tables):

| class | M0 | M0+ | M3 | M4 / M33 | M7 (dual-issue approximation) |
|---|---|---|---|---|---|
| alu (data processing, moves, compares, extends, IT) | 1 | 1 | 1 | 1 | 0.5 |
| mul (MUL, SMULxy, SMUAD) | 1 (single-cycle multiplier) | 1 | 1 | 1 | 1 |
| mac (MLA, MLS, SMLAD and friends) | - | - | 2 | 1 | 1 |
| lmul (UMULL, SMLAL, ...) | - | - | 5 (upper bound) | 1 | 1 |
| div (SDIV, UDIV) | - | - | 12 (upper bound) | 12 (upper bound) | 12 |
| load (single LDR) | 2 | 2 | 2 | 2 | 1 |
| load_p (load right after a load/store: pipelined) | 2 | 2 | 1 | 1 | 0.5 |
| store / store_p | 2 / 2 | 2 / 2 | 2 / 1 | 2 / 1 | 1 / 0.5 |
| lsm + lsm_regs (LDM, STM, PUSH, POP, LDRD, STRD) | 1 + N | 1 + N | 1 + N | 1 + N | 1 + N/2 |
| branch (executed; not taken) | 1 | 1 | 1 | 1 | 0.5 |
| call (BL, BLX) | 2 | 2 | 1 | 1 | 1 |
| fp (VFP instruction) | - | - | - | 1 | 1 |
| taken (extra per taken control transfer: pipeline refill) | 2 | 1 | 2 | 2 | 1 |

Flash wait states W (configurable): each taken transfer adds W (the refetch from flash) and each data
read from flash adds W (the plugin counts reads by address: weights and constants live in flash,
the arena in SRAM); sequential instruction fetch is assumed hidden by the prefetch buffer, and no
flash cache or accelerator is assumed (an upper-side estimate for parts that have one). These are
estimates, never measurements: caches, bus contention and interrupts are not modelled.
"""

from __future__ import annotations

_COMMON = {"alu": 1, "mul": 1, "branch": 1, "fp": 1, "lsm": 1, "lsm_regs": 1}
COSTS: dict[str, dict[str, float]] = {
    "cortex-m0": {
        **_COMMON,
        "mac": 1,
        "lmul": 1,
        "div": 12,
        "load": 2,
        "load_p": 2,
        "store": 2,
        "store_p": 2,
        "call": 2,
        "taken": 2,
    },
    "cortex-m0plus": {
        **_COMMON,
        "mac": 1,
        "lmul": 1,
        "div": 12,
        "load": 2,
        "load_p": 2,
        "store": 2,
        "store_p": 2,
        "call": 2,
        "taken": 1,
    },
    "cortex-m3": {
        **_COMMON,
        "mac": 2,
        "lmul": 5,
        "div": 12,
        "load": 2,
        "load_p": 1,
        "store": 2,
        "store_p": 1,
        "call": 1,
        "taken": 2,
    },
    "cortex-m4": {
        **_COMMON,
        "mac": 1,
        "lmul": 1,
        "div": 12,
        "load": 2,
        "load_p": 1,
        "store": 2,
        "store_p": 1,
        "call": 1,
        "taken": 2,
    },
    "cortex-m7": {
        "alu": 0.5,
        "mul": 1,
        "mac": 1,
        "lmul": 1,
        "div": 12,
        "load": 1,
        "load_p": 0.5,
        "store": 1,
        "store_p": 0.5,
        "lsm": 1,
        "lsm_regs": 0.5,
        "branch": 0.5,
        "call": 1,
        "fp": 1,
        "taken": 1,
    },
}
COSTS["cortex-m33"] = COSTS["cortex-m4"]
WAIT_STATE_CLASSES = ("taken", "flash_reads")


def estimate_cycles(counts: dict[str, int], core: str, flash_wait_states: int = 0) -> int:
    """Estimated cycles of one run of `counts` (plugin counter deltas) on `core` (a COSTS key)."""
    costs = COSTS[core]
    cycles = sum(costs[name] * counts.get(name, 0) for name in costs)
    cycles += flash_wait_states * sum(counts.get(name, 0) for name in WAIT_STATE_CLASSES)
    return round(cycles)


def wcet(max_cycles: int, margin: float, clock_mhz: float) -> tuple[int, float]:
    """WCET bound from the largest estimated cycle count: (cycles x margin, microseconds at clock_mhz)."""
    bound = round(max_cycles * margin)
    return bound, bound / clock_mhz
