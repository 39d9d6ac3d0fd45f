"""Memory planner: buffer lifetimes -> offsets in one static arena (greedy by size, TFLM-style).

The model input is read from the caller's buffer and the model output written to the caller's
buffer when the last layer produces it, so neither takes arena space. Every other stored tensor is
a buffer live from the layer that writes it to the last layer that reads it (inclusive), so a
layer's output never overlaps its inputs. Offsets are aligned to ALIGN bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flightml.compiler.ir import Graph
from flightml.compiler.ops import BY_KIND
from flightml.compiler.package import const_bytes, weight_bytes

ALIGN = 4


@dataclass
class Buffer:
    """A stored tensor: bytes `size` at `offset`, live over layers [first, last]."""

    tensor: str
    size: int
    first: int
    last: int
    offset: int = -1

    def overlaps_in_time(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last

    def overlaps_in_space(self, other: Buffer) -> bool:
        return self.offset < other.offset + other.size and other.offset < self.offset + self.size


@dataclass
class Plan:
    buffers: list[Buffer]
    arena_bytes: int
    output_in_arena: bool

    def offset(self, tensor: str) -> int:
        return next(b.offset for b in self.buffers if b.tensor == tensor)

    def peak_live_bytes(self) -> int:
        """max over layers of the bytes of buffers live at that layer (a lower bound of any arena)."""
        steps = {s for b in self.buffers for s in (b.first, b.last)}
        return max((sum(b.size for b in self.buffers if b.first <= s <= b.last) for s in steps), default=0)


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def lifetimes(graph: Graph) -> tuple[list[Buffer], bool]:
    """Arena buffers of a graph (input excluded) and whether the output needs one."""
    last_layer = len(graph.layers) - 1
    out = graph.storage(graph.output)
    produced: dict[str, int] = {}
    last_read: dict[str, int] = {}
    for i, layer in enumerate(graph.layers):
        for name in layer.inputs:
            last_read[graph.storage(name)] = i
        produced[layer.output] = i
    output_in_arena = produced.get(out) != last_layer or out in last_read
    buffers = []
    for name, first in produced.items():
        if name == out and not output_in_arena:
            continue
        end = last_layer if name == out else last_read.get(name, first)
        buffers.append(Buffer(name, graph.tensors[name].size, first, end))
    return buffers, output_in_arena


def place(buffers: list[Buffer]) -> int:
    """Greedy placement, largest first: lowest aligned offset free of time-overlapping buffers."""
    placed: list[Buffer] = []
    for buf in sorted(buffers, key=lambda b: (-b.size, b.first, b.tensor)):
        offset = 0
        for other in sorted((p for p in placed if p.overlaps_in_time(buf)), key=lambda p: p.offset):
            if offset + buf.size <= other.offset:
                break
            offset = max(offset, _align(other.offset + other.size))
        buf.offset = offset
        placed.append(buf)
    return _align(max((b.offset + b.size for b in buffers), default=0))


def plan(graph: Graph) -> Plan:
    buffers, output_in_arena = lifetimes(graph)
    arena = place(buffers)
    return Plan(sorted(buffers, key=lambda b: (b.first, b.tensor)), arena, output_in_arena)


def plan_json(graph: Graph, p: Plan) -> dict[str, Any]:
    """plan.json: arena size, every buffer (offset, size, lifetime) and the layers in call order."""
    return {
        "arena_bytes": p.arena_bytes,
        "naive_arena_bytes": sum(_align(b.size) for b in p.buffers),
        "peak_live_bytes": p.peak_live_bytes(),
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
                "kernel": BY_KIND[layer.kind].emit_c(layer, graph.mode).function,
                "node": layer.node,
                "onnx_op": layer.onnx_op,
                "macs": BY_KIND[layer.kind].cost(layer),
                "inputs": [graph.storage(n) for n in layer.inputs],
                "output": layer.output,
            }
            for layer in graph.layers
        ],
    }
