"""Worst-case static stack of one inference from gcc's `-fcallgraph-info=su` (.ci files).

Each function's own frame comes from its node label ("N bytes (static)"); the worst case of a
function is its frame plus the worst of its callees. Calls to functions without a frame record
(libgcc's helpers such as __aeabi_idivmod, written in assembly) count LIBGCC_FRAME_BYTES each, an
allowance above what those helpers push, and are listed; recursion, indirect calls and dynamic frames
make the bound unknown and raise StackError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"(.*?)\}')
_EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
LIBGCC_FRAME_BYTES = 32
_FRAME = re.compile(r"\\n(\d+) bytes \((static|dynamic|dynamic,bounded)\)")


class StackError(Exception):
    """The call graph does not give a static bound (recursion, indirect call, dynamic frame)."""


@dataclass
class CallGraph:
    frames: dict[str, int] = field(default_factory=dict)
    calls: dict[str, set[str]] = field(default_factory=dict)
    dynamic: set[str] = field(default_factory=set)


def read_callgraph(ci_files: list[Path]) -> CallGraph:
    """Merge .ci files; external references (title = plain name) resolve to their definitions."""
    graph = CallGraph()
    for path in ci_files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for title, label, _rest in _NODE.findall(text):
            frame = _FRAME.search(label)
            if frame:
                graph.frames[title] = int(frame.group(1))
                if frame.group(2) != "static":
                    graph.dynamic.add(title)
        for src, dst in _EDGE.findall(text):
            graph.calls.setdefault(src, set()).add(dst)
    return graph


def worst_stack(graph: CallGraph, root: str) -> tuple[int, list[str]]:
    """(worst-case bytes from `root`, functions without a frame record, counted as LIBGCC_FRAME_BYTES)."""
    memo: dict[str, int] = {}
    unknown: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> int:
        if name in path:
            raise StackError(f"recursion through {name}: no static stack bound")
        if name in memo:
            return memo[name]
        if "__indirect_call" in name:
            raise StackError(f"indirect call in {path[-1] if path else name}: no static stack bound")
        if name in graph.dynamic:
            raise StackError(f"{name} has a dynamic stack frame: no static stack bound")
        if name not in graph.frames:
            unknown.add(name)
        callees = graph.calls.get(name, set())
        own = graph.frames.get(name, LIBGCC_FRAME_BYTES)
        memo[name] = own + max((visit(c, (*path, name)) for c in callees), default=0)
        return memo[name]

    return visit(root, ()), sorted(unknown)
