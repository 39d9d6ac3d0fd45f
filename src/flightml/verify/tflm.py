"""TensorFlow Lite Micro as an oracle (its Python package `tflite_micro`, reference kernels).

`tflm_int8(model, x)` runs the interpreter on int8 inputs in the .tflite's own layout; `tflm_arena`
measures the arena the interpreter needs: its RecordingMicroAllocator report (print_allocations) after
one invoke, read in a child process because the C++ runtime prints to the process's stdout.
The package is optional (dev extra): without it, ToolMissing names it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from flightml.compiler.tflite.lower import int8_edges
from flightml.compiler.tflite.reader import TfTensor, read_tflite
from flightml.errors import InputError, ToolMissing

ARENA_BYTES = 4 << 20  # enough for every model flightml compiles (the allocator reports what it used)
_REPORT = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")


def _runtime():
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        raise ToolMissing(
            "TFLite Micro oracle: the Python package tflite-micro is not installed (pip install tflite-micro)"
        ) from None
    return runtime


def _edges(model: Path) -> tuple[TfTensor, TfTensor]:
    """The int8 tensors at the model's edges (after a float input's QUANTIZE, before DEQUANTIZE)."""
    m = read_tflite(model)
    inp, out, _ = int8_edges(m)
    return m.tensors[inp], m.tensors[out]


def tflm_int8(model: Path, x: np.ndarray) -> np.ndarray:
    """int8 x [B, *input shape without batch] -> int8 [B, *output shape without batch] from TFLM. A float32
    input gets (x - zp) * scale of its QUANTIZE (which rounds back to x exactly); a float32 output is
    quantized back with its DEQUANTIZE's parameters (exact likewise)."""
    interp = _runtime().Interpreter.from_file(str(model), arena_size=ARENA_BYTES)
    detail = interp.get_input_details(0)
    shape = tuple(int(d) for d in detail["shape"])
    x = np.asarray(x)
    t_in, t_out = _edges(model)
    if detail["dtype"] == np.float32 and x.dtype == np.int8:
        x = ((x.astype(np.float32) - np.float32(t_in.zp[0])) * t_in.scale[0]).astype(np.float32)
    if x.dtype != detail["dtype"] or x.shape[1:] != shape[1:]:
        raise InputError(
            f"TFLite Micro input: expected {np.dtype(detail['dtype'])} [B, {shape[1:]}], got {x.dtype} {list(x.shape)}"
        )
    outs = []
    for sample in x:
        interp.set_input(sample.reshape(shape), 0)
        interp.invoke()
        outs.append(np.array(interp.get_output(0)).reshape(-1))
        interp.reset()
    out_shape = tuple(int(d) for d in interp.get_output_details(0)["shape"])[1:]
    y = np.stack(outs).reshape(len(outs), *out_shape)
    if y.dtype == np.float32:
        y = np.clip(np.rint(y / t_out.scale[0]) + t_out.zp[0], -128, 127).astype(np.int8)
    return y


_CHILD = """
import sys, numpy as np
from tflite_micro.python.tflite_micro import runtime
it = runtime.Interpreter.from_file(sys.argv[1], arena_size=int(sys.argv[2]))
d = it.get_input_details(0)
it.set_input(np.zeros(d["shape"], d["dtype"]), 0)
it.invoke()
it.print_allocations()
"""


def tflm_arena(model: Path) -> dict[str, int]:
    """TFLM's arena use for `model` in bytes: total, head (activations and scratch, planned) and tail
    (persistent: tensor structs, kernel data)."""
    _runtime()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(model), str(ARENA_BYTES)], capture_output=True, text=True, check=False
    )
    found = dict((k, int(v)) for k, v in _REPORT.findall(proc.stdout + proc.stderr))
    if proc.returncode != 0 or set(found) != {"total", "head", "tail"}:
        raise ToolMissing(f"TFLite Micro arena report for {model} not found: {json.dumps(proc.stderr[-300:])}")
    return found
