"""Memory planner: buffer lifetimes -> offsets in one static arena (greedy by size, TFLM-style; small
networks: the best greedy order).

The model input is read from the caller's buffer and the model output written to the caller's
buffer when the last layer produces it, so neither takes arena space. Every other stored tensor is
a buffer live from the layer that writes it to the last layer that reads it (inclusive), so a
layer's output never overlaps its inputs. A layer whose kernel declares scratch (the op module's
`scratch_bytes`) gets a scratch buffer live during that layer only, placed with the tensors (so it
overlaps none of the layer's inputs and output, and reuses space across layers). Offsets are
aligned to ALIGN bytes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from flightml.compiler.ir import Graph
from flightml.compiler.ops import BY_KIND, scratch_bytes
from flightml.compiler.package import const_bytes, weight_bytes

ALIGN = 4
SCRATCH_ALIGN = 8  # kernels may store pairs of int32 to scratch with STRD (fm_kernels.h)


@dataclass
class Buffer:
    """A stored tensor: bytes `size` at `offset`, live over layers [first, last]."""

    tensor: str
    size: int
    first: int
    last: int
    offset: int = -1
    align: int = ALIGN

    def overlaps_in_time(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last

    def overlaps_in_space(self, other: Buffer) -> bool:
        return self.offset < other.offset + other.size and other.offset < self.offset + self.size


@dataclass
class Plan:
    """Stored tensors (`buffers`) and per-layer kernel scratch (layer index -> buffer) in one arena."""

    buffers: list[Buffer]
    arena_bytes: int
    output_in_arena: bool
    scratch: dict[int, Buffer] = field(default_factory=dict)

    def offset(self, tensor: str) -> int:
        return next(b.offset for b in self.buffers if b.tensor == tensor)

    def peak_live_bytes(self) -> int:
        """max over layers of the bytes of buffers and scratch live at that layer (a lower bound of any arena)."""
        every = [*self.buffers, *self.scratch.values()]
        steps = {s for b in every for s in (b.first, b.last)}
        return max((sum(b.size for b in every if b.first <= s <= b.last) for s in steps), default=0)


def _align(n: int, to: int = ALIGN) -> int:
    return (n + to - 1) // to * to


def lifetimes(graph: Graph) -> tuple[list[Buffer], bool]:
    """Arena buffers of a graph (input excluded) and whether the output needs one."""
    last_layer = len(graph.layers) - 1
    out = graph.storage(graph.output)
    produced: dict[str, int] = {}  # last layer writing each tensor
    first_write: dict[str, int] = {}  # first (a layer may rewrite its input in place: MaxPool after Conv)
    last_read: dict[str, int] = {}
    for i, layer in enumerate(graph.layers):
        for name in layer.inputs:
            last_read[graph.storage(name)] = i
        produced[layer.output] = i
        first_write.setdefault(layer.output, i)
    output_in_arena = produced.get(out) != last_layer or out in last_read
    buffers = []
    for name, last_write in produced.items():
        if name == out and not output_in_arena:
            continue
        end = last_layer if name == out else max(last_read.get(name, last_write), last_write)
        buffers.append(Buffer(name, graph.tensors[name].size, first_write[name], end))
    return buffers, output_in_arena


EXHAUSTIVE = 7  # up to this many buffers, place() tries every order (5,040; 8 would take seconds)


def _greedy(order: list[Buffer]) -> int:
    """Each buffer in turn at the lowest offset (aligned to its `align`) free of time-overlapping buffers
    placed before it; returns the arena size."""
    placed: list[Buffer] = []
    for buf in order:
        offset = 0
        for other in sorted((p for p in placed if p.overlaps_in_time(buf)), key=lambda p: p.offset):
            if offset + buf.size <= other.offset:
                break
            offset = max(offset, _align(other.offset + other.size, buf.align))
        buf.offset = offset
        placed.append(buf)
    return _align(max((b.offset + b.size for b in order), default=0))


def place(buffers: list[Buffer]) -> int:
    """Greedy placement, largest first (TFLM-style); for at most EXHAUSTIVE buffers, the greedy placement
    of every order, the first smallest kept (stopping at the peak of live bytes, a lower bound): a
    small network's arena need not pay for the largest-first order's fragmentation."""
    first = sorted(buffers, key=lambda b: (-b.size, b.first, b.tensor))
    best, arena = first, _greedy(first)
    if len(buffers) <= EXHAUSTIVE:
        steps = {s for b in buffers for s in (b.first, b.last)}
        bound = _align(max((sum(b.size for b in buffers if b.first <= s <= b.last) for s in steps), default=0))
        for order in itertools.permutations(first):
            if arena <= bound:
                break
            size = _greedy(list(order))
            if size < arena:
                best, arena = list(order), size
    return _greedy(best)


def scratch_buffers(graph: Graph) -> dict[int, Buffer]:
    """Layer index -> its kernel's scratch (live during that layer only), for layers that declare some."""
    sizes = {layer.index: scratch_bytes(layer) for layer in graph.layers}
    return {i: Buffer(f"scratch of layer {i}", n, i, i, align=SCRATCH_ALIGN) for i, n in sizes.items() if n > 0}


def plan(graph: Graph) -> Plan:
    buffers, output_in_arena = lifetimes(graph)
    scratch = scratch_buffers(graph)
    arena = place([*buffers, *scratch.values()])
    return Plan(sorted(buffers, key=lambda b: (b.first, b.tensor)), arena, output_in_arena, scratch)


def plan_json(graph: Graph, p: Plan) -> dict[str, Any]:
    """plan.json: arena size, every buffer (offset, size, lifetime) and the layers in call order."""
    return {
        "arena_bytes": p.arena_bytes,
        "naive_arena_bytes": sum(_align(b.size) for b in [*p.buffers, *p.scratch.values()]),
        "peak_live_bytes": p.peak_live_bytes(),
        "scratch_bytes": max((b.size for b in p.scratch.values()), default=0),
        "weight_bytes": weight_bytes(graph),  # weights and biases, as NAME_WEIGHT_BYTES
        "const_bytes": const_bytes(graph),  # every constant array, as NAME_CONST_BYTES
        "input": {"tensor": graph.input, "location": "caller"},
        "output": {"tensor": graph.storage(graph.output), "location": "arena" if p.output_in_arena else "caller"},
        "buffers": [
            {"tensor": b.tensor, "offset": b.offset, "size": b.size, "first_layer": b.first, "last_layer": b.last}
            for b in p.buffers
        ],
        "layers": [
            {
                "index": layer.index,
                "kind": layer.kind,
                "kernel": BY_KIND[layer.kind].emit_c(layer, graph.mode).kernel,
                "node": layer.node,
                "onnx_op": layer.onnx_op,
                "macs": BY_KIND[layer.kind].cost(layer),
                "inputs": [graph.storage(n) for n in layer.inputs],
                "output": layer.output,
                "scratch": {"offset": p.scratch[layer.index].offset, "size": p.scratch[layer.index].size}
                if layer.index in p.scratch
                else None,
            }
            for layer in graph.layers
        ],
    }
