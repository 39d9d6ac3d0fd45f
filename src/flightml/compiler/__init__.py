"""Quantized ONNX or TFLite -> integer-only C99: lowering (passes, tflite), ops, rounding rules (qparams),
planner, emitter."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flightml.compiler.emit import check_name, write_dir
from flightml.compiler.ir import Graph
from flightml.compiler.limits import DEFAULT_MAX_ELEMENTS
from flightml.compiler.passes import load_model, lower
from flightml.onnx_io import uses_external_data


def is_tflite(model: Path) -> bool:
    """True for a .tflite model path (the TFLite front end); anything else is read as ONNX."""
    return Path(model).suffix.lower() == ".tflite"


def load_graph(model: Path, mode: str, max_elements: int = DEFAULT_MAX_ELEMENTS) -> Graph:
    """The lowered Graph of an int8 ONNX or TFLite model file for requant `mode`."""
    if is_tflite(model):
        from flightml.compiler.tflite import load_tflite

        return load_tflite(Path(model), mode)
    return lower(*load_model(Path(model)), mode, max_elements)


def compile_model(
    model: Path, out: Path, name: str, mode: str, command: str, max_elements: int = DEFAULT_MAX_ELEMENTS
) -> Graph:
    """Compile `model` (int8 ONNX or .tflite) into the C directory `out` for requant `mode`; returns the Graph
    (`graph.notes`: facts to tell the user, e.g. a symbolic batch dimension taken as 1).

    The package keeps a copy of the model; an ONNX one with external data is copied self-contained.
    `command` describes how it was compiled without paths; the package records the model's basename and
    sha256, never the caller's folders."""
    check_name(name)
    if is_tflite(model):
        graph = load_graph(Path(model), mode, max_elements)
        data = Path(model).read_bytes()
    else:
        onnx_model, sha = load_model(Path(model))
        data = Path(model).read_bytes()
        if uses_external_data(data):
            data = onnx_model.SerializeToString()
            sha = hashlib.sha256(data).hexdigest()
        graph = lower(onnx_model, sha, mode, max_elements)
    copied = "model_int8.tflite" if is_tflite(model) else "model_int8.onnx"
    write_dir(graph, Path(out), name, command, data, max_elements, copied, Path(model).name)
    return graph


__all__ = ["compile_model", "load_graph"]
