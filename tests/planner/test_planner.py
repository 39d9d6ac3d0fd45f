"""Planner invariants: no two buffers live at the same layer overlap; arena >= peak live bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flightml.compiler.planner import ALIGN, Buffer, place


def check(buffers: list[Buffer], arena: int) -> None:
    for i, a in enumerate(buffers):
        assert a.offset >= 0 and a.offset % ALIGN == 0
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
