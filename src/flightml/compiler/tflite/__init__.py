"""The TFLite front end: .tflite flatbuffer (reader) -> the compiler's Graph (lower)."""

from __future__ import annotations

from pathlib import Path

from flightml.compiler.ir import Graph
from flightml.compiler.tflite.lower import lower_tflite
from flightml.compiler.tflite.reader import read_tflite


def load_tflite(path: Path, mode: str) -> Graph:
    """The Graph of the int8 .tflite at `path` for requant `mode`; InputError on anything unsupported."""
    return lower_tflite(read_tflite(path), mode)


__all__ = ["load_tflite"]
