"""Planner invariants: no two buffers live at the same layer overlap; arena >= peak live bytes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from flightml.compiler.ir import Graph, Layer, QTensor
from flightml.compiler.ops import scratch_bytes
from flightml.compiler.planner import SCRATCH_ALIGN, Buffer, _greedy, place, plan, plan_json


def check(buffers: list[Buffer], arena: int) -> None:
    for i, a in enumerate(buffers):
        assert a.offset >= 0 and a.offset % a.align == 0
        assert a.offset + a.size <= arena
        for b in buffers[i + 1 :]:
            if a.overlaps_in_time(b):
                assert not a.overlaps_in_space(b), (a, b)
    steps = {s for b in buffers for s in (b.first, b.last)}
    peak = max((sum(b.size for b in buffers if b.first <= s <= b.last) for s in steps), default=0)
    assert arena >= peak


@st.composite
def buffer_sets(draw: st.DrawFn) -> list[Buffer]:
    n = draw(st.integers(1, 12))
    out = []
    for i in range(n):
        first = draw(st.integers(0, 10))
        out.append(Buffer(f"t{i}", draw(st.integers(1, 600)), first, first + draw(st.integers(0, 4))))
    return out


@settings(max_examples=150, deadline=None)
@given(buffer_sets())
def test_random_lifetimes(buffers: list[Buffer]) -> None:
    check(buffers, place(buffers))


def test_chain_reuses_memory() -> None:
    bufs = [Buffer("a", 512, 0, 1), Buffer("b", 512, 1, 2), Buffer("c", 64, 2, 3)]
    arena = place(bufs)
    check(bufs, arena)
    assert arena == 1024


def _fc(i: int, x: str, y: str, k: int, n: int) -> Layer:
    params = {"rows": 1, "in_features": k, "out_features": n, "in_offset": 0, "w_offset": 0, "per_channel": 0}
    params.update(out_zp=0, act_min=-128, act_max=127)
    return Layer("fc", f"fc{i}", "Gemm", [x], y, (1, n), params, index=i)


def _fc_chain(widths: list[int]) -> Graph:
    names = [f"t{i}" for i in range(len(widths))]
    tensors = {t: QTensor(t, (1, w), 1.0, 0) for t, w in zip(names, widths, strict=True)}
    layers = [_fc(i, names[i], names[i + 1], widths[i], widths[i + 1]) for i in range(len(widths) - 1)]
    return Graph(tensors, layers, names[0], names[-1], "fixedpoint", "0" * 64)


def test_scratch_placed_with_tensors_and_reused() -> None:
    """Each kernel's scratch lives during its layer only, overlaps none of that layer's tensors, and the
    layers share one region: the arena is the worst layer's tensors + scratch, not the sum."""
    graph = _fc_chain([64, 600, 300, 40, 8])
    p = plan(graph)
    assert sorted(p.scratch) == [0, 1, 2, 3]
    for i, s in p.scratch.items():
        assert (s.first, s.last) == (i, i) and s.size == scratch_bytes(graph.layers[i]) > 0
        assert s.offset % SCRATCH_ALIGN == 0 and s.offset + s.size <= p.arena_bytes
    # DSP fc: 64 int32 accumulators + min(K, 256) widened int16 inputs (above the portable 80 B)
    assert [p.scratch[i].size for i in range(4)] == [256 + 2 * 64, 256 + 512, 256 + 2 * 256, 256 + 2 * 40]
    check([*p.buffers, *p.scratch.values()], p.arena_bytes)
    tensors_only = place([Buffer(b.tensor, b.size, b.first, b.last) for b in p.buffers])
    assert p.arena_bytes < tensors_only + sum(s.size for s in p.scratch.values())
    assert p.arena_bytes == p.peak_live_bytes()  # 600 + 300 + 768 at layer 1; every other layer fits beside it
    doc = plan_json(graph, p)
    assert doc["scratch_bytes"] == 768 and doc["layers"][1]["scratch"] == {"offset": p.scratch[1].offset, "size": 768}


def test_small_network_takes_the_best_order() -> None:
    """SpectrumNet's buffers (tensors of layers 0-1, 1-2, 2-3 and each layer's scratch): largest first
    fragments (the layer-2 scratch pushes layer 1's above both tensors); trying every order reaches the peak."""

    def buffers() -> list[Buffer]:
        tensors = [Buffer("t0", 512, 0, 1), Buffer("t1", 512, 1, 2), Buffer("t2", 64, 2, 3)]
        sizes = [200, 368, 768, 384]
        return tensors + [Buffer(f"s{i}", n, i, i, align=SCRATCH_ALIGN) for i, n in enumerate(sizes)]

    largest_first = _greedy(sorted(buffers(), key=lambda b: (-b.size, b.first, b.tensor)))
    placed = buffers()
    arena = place(placed)
    check(placed, arena)
    assert arena == 1024 + 368 < largest_first == 1648


def test_tensor_rewritten_in_place_is_live_from_its_first_write() -> None:
    """A layer that rewrites its input (MaxPool left in place after a Conv) keeps the tensor live from the
    first write, so the first layer's scratch cannot overlap it (found by the random-model property test)."""
    graph = _fc_chain([16, 8, 4])
    graph.layers[1].inputs, graph.layers[1].output = ["t1"], "t1"
    graph.layers.append(_fc(2, "t1", "t2", 8, 4))
    p = plan(graph)
    t1 = next(b for b in p.buffers if b.tensor == "t1")
    assert (t1.first, t1.last) == (0, 2)
    check([*p.buffers, *p.scratch.values()], p.arena_bytes)


def _add(size: int, a_size: int, consts: tuple[str, ...]) -> Layer:
    params = {"size": size, "a_size": a_size, "b_size": size}
    return Layer("add", "add", "Add", ["a", "b"], "y", (1, size), params, {k: np.zeros(3) for k in consts})


def test_add_scratch_only_where_the_dsp_tables_are_built() -> None:
    """The DSP Add's two 1 KB tables (kernels/dsp/add.c: residual, >= 256 elements, integer constants);
    every other Add gets the minimum the entry point's non-NULL scratch needs."""
    assert scratch_bytes(_add(256, 256, ("mult", "shift"))) == 2048
    assert scratch_bytes(_add(255, 255, ("mult", "shift"))) == 8
    assert scratch_bytes(_add(512, 16, ("mult", "shift"))) == 8  # broadcast: the per-element rule
    assert scratch_bytes(_add(512, 512, ("scale",))) == 8  # ort-exact: float rule, no tables
