"""Instruction counts per inference and per layer from the plugin's counter snapshots.

Marker 0 is bench_start, marker 1 bench_end, marker 2 + i the entry of kernel i of `kernels`.
A sample's window runs from a bench_start snapshot to the next bench_end; inside it the kernel
entries must follow the plan's call order, one per layer. Layer i counts from its kernel's entry to
the next layer's entry (the last to bench_end); the first also counts the invoke prologue.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from flightml.mcu.model_api import Layer


class CountError(Exception):
    """The snapshots do not cover every sample and layer (a count is missing)."""


@dataclass(frozen=True)
class SampleCounts:
    total: dict[str, int]  # counter deltas of the whole inference
    per_layer: list[dict[str, int]]  # counter deltas of each layer, in plan order


def _delta(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: b[k] - a[k] for k in a}


def sample_counts(
    snapshots: list[tuple[int, dict[str, int]]], kernels: list[str], layers: list[Layer], samples: int
) -> list[SampleCounts]:
    """Split snapshots into `samples` inferences; CountError when any window is incomplete."""
    expected = [kernels.index(layer.kernel) + 2 for layer in layers]
    out: list[SampleCounts] = []
    window: list[tuple[int, dict[str, int]]] = []
    for marker, counters in snapshots:
        if marker == 0:
            window = [(marker, counters)]
        elif window:
            window.append((marker, counters))
            if marker == 1:
                out.append(_close(window, expected, len(out)))
                window = []
    if len(out) != samples:
        raise CountError(f"instruction counts for {len(out)} of {samples} samples")
    return out


def _close(window: list[tuple[int, dict[str, int]]], expected: list[int], index: int) -> SampleCounts:
    hits = [m for m, _ in window[1:-1]]
    if expected and hits != expected:
        raise CountError(f"sample {index}: kernel entries {hits} do not follow the plan {expected}")
    start, end = window[0][1], window[-1][1]
    points = [start] + [c for _, c in window[2:-1]] + [end] if expected else [start, end]
    per_layer = [_delta(a, b) for a, b in pairwise(points)] if expected else []
    return SampleCounts(_delta(start, end), per_layer)
