"""The small typed IR between ONNX and C: quantized tensors and layers (one kernel call each).

Every activation is int8, batch 1, in ONNX layout (NCHW / NCW). uint8 tensors are shifted by -128 at
compile time (`unsigned=True` records it; zero points are stored shifted), so kernels only see int8.
A layer's constants (`consts`: weights int8, bias int32, requant mult int32 and shift int8, or scale float32)
are plain numpy arrays; their C names are `<layer.cname>_<key>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class QTensor:
    """A quantized activation: real = scale * (q - zp); q int8 in [-128, 127]."""

    name: str
    shape: tuple[int, ...]
    scale: float
    zp: int
    unsigned: bool = False

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass(frozen=True)
class QConst:
    """A quantized constant as found in the model: integer data, per-tensor or per-axis scale and zp."""

    data: np.ndarray
    scale: np.ndarray
    zp: np.ndarray
    axis: int = 1


@dataclass
class Layer:
    """One kernel call: `kind` keys the op module; `params` are the kernel's integer parameters."""

    kind: str
    node: str
    onnx_op: str
    inputs: list[str]
    output: str
    out_shape: tuple[int, ...]
    params: dict[str, int] = field(default_factory=dict)
    consts: dict[str, np.ndarray] = field(default_factory=dict)
    index: int = 0

    @property
    def cname(self) -> str:
        """C identifier prefix of this layer: never derived from model text."""
        return f"l{self.index}_{self.kind}"


@dataclass
class Graph:
    """A lowered model: tensors, layers in execution order, aliases (views sharing storage)."""

    tensors: dict[str, QTensor]
    layers: list[Layer]
    input: str
    output: str
    mode: str
    model_sha256: str
    alias: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # facts the user is told (e.g. a symbolic batch taken as 1)

    def storage(self, name: str) -> str:
        """The tensor that owns `name`'s bytes (itself unless it is a reshaped view)."""
        while name in self.alias:
            name = self.alias[name]
        return name

    def consts(self) -> dict[str, np.ndarray]:
        """All constant arrays by C name (weights, biases, requant constants)."""
        return {f"{layer.cname}_{key}": value for layer in self.layers for key, value in layer.consts.items()}

    def to_json(self) -> dict[str, Any]:
        """ir.json content: tensors and layers without constant data (sizes and dtypes only)."""
        return {
            "mode": self.mode,
            "model_sha256": self.model_sha256,
            "input": self.input,
            "output": self.output,
            "alias": dict(sorted(self.alias.items())),
            "tensors": {
                n: {"shape": list(t.shape), "scale": t.scale, "zero_point": t.zp, "unsigned": t.unsigned}
                for n, t in sorted(self.tensors.items())
            },
            "layers": [
                {
                    "index": layer.index,
                    "kind": layer.kind,
                    "node": layer.node,
                    "onnx_op": layer.onnx_op,
                    "inputs": layer.inputs,
                    "output": layer.output,
                    "params": dict(sorted(layer.params.items())),
                    "consts": {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in layer.consts.items()},
                }
                for layer in self.layers
            ],
        }
