"""`flightml.CompiledModel(DIR)`: a compiled C directory called from Python through ctypes.

The shared library is built on first use from the same sources and flags as the host harness
(plus -shared -fPIC). The API prefix, shapes, quantization and sizes come from DIR/package.json.
"""

from __future__ import annotations

import ctypes
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from flightml.compiler import qparams
from flightml.compiler.package import read_package
from flightml.errors import InputError, VerdictFail
from flightml.verify.build import build, sources


def _address(a: np.ndarray) -> int:
    """Address of a C-contiguous array's first byte (from_buffer is ~4x cheaper than a.ctypes.data)."""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(a))
    except (TypeError, ValueError):  # read-only or empty buffers
        return int(a.ctypes.data)


class CompiledModel:
    """A compiled model. `invoke_int8` (int8 in/out, batched) and `predict` (float in/out, batched).

    For models quantized to uint8, `invoke_int8` also accepts and returns uint8 arrays (the C works
    on q - 128 internally).
    """

    def __init__(self, c_dir: Path | str, kernel_set: str = "portable") -> None:
        self.dir = Path(c_dir)
        package: dict[str, Any] = read_package(self.dir)
        self.name: str = package["name"]
        self.mode: str = package["mode"]
        self.arena_bytes: int = package["sizes"]["arena"]
        self.weight_bytes: int = package["sizes"]["weights_and_biases"]
        t_in, t_out = package["api"]["input"], package["api"]["output"]
        self.input_shape = tuple(t_in["shape"][1:])
        self.output_shape = tuple(t_out["shape"][1:])
        self.input_q = (t_in["scale"], t_in["zero_point"], t_in["unsigned"])
        self.output_q = (t_out["scale"], t_out["zero_point"], t_out["unsigned"])
        lib_path = build(sources(self.dir, kernel_set), [self.dir], "so")
        self._lib = ctypes.CDLL(str(lib_path))
        # the raw `fm_status_t NAME_invoke(const int8_t *input, int8_t *output)`, called with buffer addresses
        self.invoke = getattr(self._lib, f"{self.name}_invoke")
        self.invoke.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.invoke.restype = ctypes.c_int
        self._in_size = int(np.prod(self.input_shape))
        self._out_size = int(np.prod(self.output_shape))

    def _batch(self, x: np.ndarray) -> np.ndarray:
        if x.shape == self.input_shape:
            x = x[None]
        if x.shape[1:] != self.input_shape:
            raise InputError(f"input: expected shape [B, {', '.join(map(str, self.input_shape))}], got {list(x.shape)}")
        return x

    def invoke_int8(self, x: np.ndarray) -> np.ndarray:
        """int8 [B, *input_shape] (or one sample) -> int8 [B, *output_shape] (uint8 for uint8 models)."""
        x = self._batch(np.asarray(x))
        if x.dtype == np.uint8 and self.input_q[2]:
            x = (x.astype(np.int16) - 128).astype(np.int8)
        if x.dtype != np.int8:
            raise InputError(f"input: expected int8, got {x.dtype}")
        x = np.ascontiguousarray(x)
        out = np.empty((x.shape[0], self._out_size), dtype=np.int8)
        xp, op, fn = _address(x), _address(out), self.invoke
        for i in range(x.shape[0]):
            status = fn(xp + i * self._in_size, op + i * self._out_size)
            if status != 0:
                raise VerdictFail(f"{self.dir}: {self.name}_invoke returned status {status} on sample {i}")
        out = out.reshape(x.shape[0], *self.output_shape)
        if self.output_q[2]:
            return (out.astype(np.int16) + 128).astype(np.uint8)
        return out

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """float32 -> int8 (C domain) as ONNX Runtime's QuantizeLinear."""
        scale, zp, _ = self.input_q
        return qparams.quantize_float(np.asarray(x, dtype=np.float32), scale, zp).astype(np.int8)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """float32 [B, *input_shape] -> dequantized float32 [B, *output_shape]."""
        x = self._batch(np.asarray(x, dtype=np.float32))
        y = self.invoke_int8(self.quantize(x))
        scale, zp, unsigned = self.output_q
        return qparams.dequantize(y.astype(np.int16) - (128 if unsigned else 0), scale, zp)

    def latency_us(self, x_int8: np.ndarray, calls: int = 2000, warmup: int = 200) -> float:
        """Median wall time of one `NAME_invoke` call from Python (ctypes), microseconds."""
        x = np.ascontiguousarray(self._batch(np.asarray(x_int8, dtype=np.int8))[0])
        out = np.empty(self._out_size, dtype=np.int8)
        xp, op, fn = _address(x), _address(out), self.invoke
        for _ in range(warmup):
            fn(xp, op)
        times = []
        for _ in range(calls):
            t0 = time.perf_counter_ns()
            fn(xp, op)
            times.append(time.perf_counter_ns() - t0)
        return statistics.median(times) / 1000.0
