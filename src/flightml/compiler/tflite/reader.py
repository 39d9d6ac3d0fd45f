"""A .tflite flatbuffer read into plain Python values (the `tflite` package's generated schema classes).

Only what the importer needs: the first subgraph's tensors (shape, dtype, quantization, constant
data) and operators (builtin name, input/output tensor indices, builtin options as a dict). Every
index and size read from the file is checked before use; a malformed file raises one InputError.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tflite
from tflite.BuiltinOperator import BuiltinOperator
from tflite.TensorType import TensorType

from flightml.errors import InputError

OP_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
DTYPES = {
    TensorType.INT8: np.int8,
    TensorType.UINT8: np.uint8,
    TensorType.INT16: np.int16,
    TensorType.INT32: np.int32,
    TensorType.INT64: np.int64,
    TensorType.FLOAT32: np.float32,
}
# builtin op -> (options class, option fields read); the fields are the schema's accessor names
OPTIONS = {
    "CONV_2D": ("Conv2DOptions", ("Padding", "StrideW", "StrideH", "DilationWFactor", "DilationHFactor")),
    "DEPTHWISE_CONV_2D": (
        "DepthwiseConv2DOptions",
        ("Padding", "StrideW", "StrideH", "DepthMultiplier", "DilationWFactor", "DilationHFactor"),
    ),
    "FULLY_CONNECTED": ("FullyConnectedOptions", ("WeightsFormat", "KeepNumDims")),
    "AVERAGE_POOL_2D": ("Pool2DOptions", ("Padding", "StrideW", "StrideH", "FilterWidth", "FilterHeight")),
    "MAX_POOL_2D": ("Pool2DOptions", ("Padding", "StrideW", "StrideH", "FilterWidth", "FilterHeight")),
    "ADD": ("AddOptions", ()),
    "CONCATENATION": ("ConcatenationOptions", ("Axis",)),
    "SOFTMAX": ("SoftmaxOptions", ("Beta",)),
    "MEAN": ("ReducerOptions", ("KeepDims",)),
}
FUSED = ("Conv2DOptions", "DepthwiseConv2DOptions", "FullyConnectedOptions", "Pool2DOptions", "AddOptions")
FUSED += ("ConcatenationOptions",)
ACTIVATIONS = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}


@dataclass(frozen=True)
class TfTensor:
    """One tensor: shape as stored (NHWC for 4-D), numpy dtype, per-tensor or per-axis quantization,
    and its constant data (None for activations)."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: type
    scale: np.ndarray
    zp: np.ndarray
    axis: int
    data: np.ndarray | None


@dataclass(frozen=True)
class TfOperator:
    """One operator in execution order: builtin name, tensor indices (-1: absent), builtin options."""

    index: int
    op: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: dict[str, Any] = field(default_factory=dict)

    def label(self, tensors: list[TfTensor]) -> str:
        """How messages name an operator: index, builtin name and its first output tensor."""
        out = tensors[self.outputs[0]].name if self.outputs and 0 <= self.outputs[0] < len(tensors) else "?"
        return f"operator {self.index} ({self.op}, output '{out}')"


@dataclass(frozen=True)
class TfModel:
    path: Path
    sha256: str
    tensors: list[TfTensor]
    operators: list[TfOperator]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


def _text(value: bytes | None) -> str:
    return (value or b"").decode("utf-8", "replace")


def _tensor(model: tflite.Model, t: tflite.Tensor, index: int, where: str) -> TfTensor:
    name = _text(t.Name())
    dtype = DTYPES.get(t.Type())
    shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
    if min(shape, default=1) < 0:
        raise InputError(f"{where}: tensor {index} '{name}': negative dimension in shape {list(shape)}")
    q = t.Quantization()
    scale = np.zeros(0, np.float32) if q is None or q.ScaleIsNone() else q.ScaleAsNumpy().astype(np.float32)
    zp = np.zeros(0, np.int64) if q is None or q.ZeroPointIsNone() else q.ZeroPointAsNumpy().astype(np.int64)
    axis = int(q.QuantizedDimension()) if q is not None else 0
    data = None
    if not 0 <= t.Buffer() < model.BuffersLength():
        raise InputError(f"{where}: tensor {index} '{name}': buffer index {t.Buffer()} out of range")
    buf = model.Buffers(t.Buffer())
    if buf.Offset() > 1:
        raise InputError(f"{where}: tensor {index} '{name}': data outside the flatbuffer is not supported")
    if buf.DataLength():
        if dtype is None:
            raise InputError(f"{where}: tensor {index} '{name}': constant of unsupported type {t.Type()}")
        raw = buf.DataAsNumpy()
        count = int(np.prod(shape, dtype=np.int64))
        if raw.size != count * np.dtype(dtype).itemsize:
            raise InputError(f"{where}: tensor {index} '{name}': {raw.size} data bytes for shape {list(shape)}")
        data = raw.view(dtype).reshape(shape).copy()
    return TfTensor(index, name, shape, dtype or object, scale, zp, axis, data)


def _options(op_name: str, op: tflite.Operator) -> dict[str, Any]:
    spec = OPTIONS.get(op_name)
    table = op.BuiltinOptions()
    if spec is None or table is None:
        return {}
    cls = getattr(tflite, spec[0])()
    cls.Init(table.Bytes, table.Pos)
    fields = spec[1] + (("FusedActivationFunction",) if spec[0] in FUSED else ())
    return {f: getattr(cls, f)() for f in fields}


def read_tflite(path: Path) -> TfModel:
    """Parse `path`; InputError when missing, not a TFLite flatbuffer, or internally inconsistent."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: model file not found")
    data = path.read_bytes()
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise InputError(f"{path}: not a TFLite flatbuffer (file identifier 'TFL3' missing)")
    try:
        return _parse(path, data)
    except InputError:
        raise
    except Exception as exc:  # flatbuffers raises struct.error/IndexError/... on a corrupted file
        raise InputError(f"{path}: corrupted TFLite flatbuffer ({exc.__class__.__name__})") from None


def _parse(path: Path, data: bytes) -> TfModel:
    model = tflite.Model.GetRootAsModel(data, 0)
    if model.SubgraphsLength() != 1:
        raise InputError(f"{path}: expected one subgraph, got {model.SubgraphsLength()}")
    g = model.Subgraphs(0)
    tensors = [_tensor(model, g.Tensors(i), i, str(path)) for i in range(g.TensorsLength())]
    operators = []
    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        if not 0 <= op.OpcodeIndex() < model.OperatorCodesLength():
            raise InputError(f"{path}: operator {i}: opcode index {op.OpcodeIndex()} out of range")
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = OP_NAMES.get(builtin, f"builtin {builtin}")
        if name == "CUSTOM":
            name = f"CUSTOM '{_text(code.CustomCode())}'"
        ins = tuple(int(v) for v in op.InputsAsNumpy()) if op.InputsLength() else ()
        outs = tuple(int(v) for v in op.OutputsAsNumpy()) if op.OutputsLength() else ()
        if any(not -1 <= v < len(tensors) for v in ins + outs) or not outs or -1 in outs:
            raise InputError(f"{path}: operator {i} ({name}): tensor index out of range")
        operators.append(TfOperator(i, name, ins, outs, _options(name, op)))
    ins = tuple(int(v) for v in g.InputsAsNumpy()) if g.InputsLength() else ()
    outs = tuple(int(v) for v in g.OutputsAsNumpy()) if g.OutputsLength() else ()
    if any(not 0 <= v < len(tensors) for v in ins + outs):
        raise InputError(f"{path}: graph input/output tensor index out of range")
    return TfModel(path, hashlib.sha256(data).hexdigest(), tensors, operators, ins, outs)
