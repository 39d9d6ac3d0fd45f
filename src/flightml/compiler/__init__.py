"""Quantized ONNX -> integer-only C99: lowering (passes), ops, rounding rules (qparams), planner, emitter."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flightml.compiler.emit import check_name, write_dir
from flightml.compiler.ir import Graph
from flightml.compiler.limits import DEFAULT_MAX_ELEMENTS
from flightml.compiler.passes import load_model, lower
from flightml.onnx_io import uses_external_data


def compile_model(
    model: Path, out: Path, name: str, mode: str, command: str, max_elements: int = DEFAULT_MAX_ELEMENTS
) -> Graph:
    """Compile `model` (int8 ONNX) into the C directory `out` for requant `mode`; returns the Graph
    (`graph.notes`: facts to tell the user, e.g. a symbolic batch dimension taken as 1).

    The package keeps a copy of the model; one with external data is copied self-contained. `command`
    describes how it was compiled without paths; the package records the model's basename and sha256,
    never the caller's folders."""
    check_name(name)
    onnx_model, sha = load_model(Path(model))
    data = Path(model).read_bytes()
    if uses_external_data(data):
        data = onnx_model.SerializeToString()
        sha = hashlib.sha256(data).hexdigest()
    graph = lower(onnx_model, sha, mode, max_elements)
    write_dir(graph, Path(out), name, command, data, max_elements, Path(model).name)
    return graph


__all__ = ["compile_model"]
