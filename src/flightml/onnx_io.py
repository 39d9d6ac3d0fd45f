"""Loading ONNX files given by users: every failure becomes one line naming the file."""

from __future__ import annotations

from pathlib import Path

import onnx

from flightml.errors import InputError


def load_onnx(path: Path, what: str = "ONNX model") -> onnx.ModelProto:
    """Load and check an ONNX model; raise InputError naming `path` if it is missing or invalid."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: {what} not found")
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # protobuf raises DecodeError and friends, not one documented type
        raise InputError(f"{path}: not an ONNX file ({exc.__class__.__name__})") from None
    if not model.graph.node:
        raise InputError(f"{path}: not an ONNX model (empty or missing graph)")
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "validation failed"
        raise InputError(f"{path}: invalid ONNX model: {first}") from None
    return model
