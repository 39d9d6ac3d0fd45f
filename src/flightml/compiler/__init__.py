"""Quantized ONNX -> integer-only C99: lowering (passes), ops, rounding rules (qparams), planner, emitter."""

from __future__ import annotations

from pathlib import Path

from flightml.compiler.emit import check_name, write_dir
from flightml.compiler.ir import Graph
from flightml.compiler.passes import load_model, lower


def compile_model(model: Path, out: Path, name: str, mode: str, command: str) -> Graph:
    """Compile `model` (int8 ONNX) into the C directory `out` for requant `mode`; returns the Graph."""
    check_name(name)
    onnx_model, sha = load_model(Path(model))
    graph = lower(onnx_model, sha, mode)
    write_dir(graph, Path(out), name, command, Path(model).read_bytes())
    return graph


__all__ = ["compile_model"]
