"""Writes small int8 .tflite files without TensorFlow: the flatbuffer schema builders of the `tflite`
package. Tests describe tensors (shape, quantization, optional constant data) and operators (builtin
name, tensor indices, builtin options as {field: value}); `build()` returns the file bytes."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import flatbuffers
import numpy as np
import tflite
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.TensorType import TensorType

TYPES = {
    np.dtype(np.int8): TensorType.INT8,
    np.dtype(np.int32): TensorType.INT32,
    np.dtype(np.float32): TensorType.FLOAT32,
}


@dataclass
class _Tensor:
    shape: tuple[int, ...]
    dtype: np.dtype
    scale: list[float]
    zp: list[int]
    axis: int
    data: np.ndarray | None
    name: str


@dataclass
class TfliteBuilder:
    tensors: list[_Tensor] = field(default_factory=list)
    ops: list[tuple[str, list[int], list[int], str | None, dict]] = field(default_factory=list)

    def tensor(self, shape, scale=0.05, zp=0, data=None, dtype=np.int8, axis=0, name="") -> int:
        """A tensor (an activation when data is None); scale/zp lists make it per-axis on `axis`."""
        scale = list(np.atleast_1d(scale).astype(float))
        zp = list(np.atleast_1d(zp).astype(int)) if np.size(zp) > 1 else [int(zp)] * len(scale)
        arr = None if data is None else np.asarray(data, dtype=dtype).reshape(shape)
        self.tensors.append(
            _Tensor(tuple(shape), np.dtype(dtype), scale, zp, axis, arr, name or f"t{len(self.tensors)}")
        )
        return len(self.tensors) - 1

    def op(self, name: str, inputs: list[int], outputs: list[int], options: str | None = None, **fields) -> None:
        """An operator: builtin `name`, its tensors, and its options table name with field values."""
        self.ops.append((name, inputs, outputs, options, fields))

    def build(self, inputs: list[int], outputs: list[int]) -> bytes:
        b = flatbuffers.Builder(1024)
        buffers = [self._buffer(b, None)] + [self._buffer(b, t.data) for t in self.tensors]
        tensors = [self._tensor(b, t, i + 1) for i, t in enumerate(self.tensors)]
        names = list(dict.fromkeys(op[0] for op in self.ops))
        codes = []
        for n in names:
            code = getattr(BuiltinOperator, n)
            tflite.OperatorCodeStart(b)
            tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
            tflite.OperatorCodeAddBuiltinCode(b, code)
            tflite.OperatorCodeAddVersion(b, 1)
            codes.append(tflite.OperatorCodeEnd(b))
        ops = [self._operator(b, names.index(n), ins, outs, opt, f) for n, ins, outs, opt, f in self.ops]
        sub_t, sub_o = self._vector(b, tensors), self._vector(b, ops)
        sub_i, sub_out = (
            b.CreateNumpyVector(np.array(inputs, np.int32)),
            b.CreateNumpyVector(np.array(outputs, np.int32)),
        )
        tflite.SubGraphStart(b)
        tflite.SubGraphAddTensors(b, sub_t)
        tflite.SubGraphAddOperators(b, sub_o)
        tflite.SubGraphAddInputs(b, sub_i)
        tflite.SubGraphAddOutputs(b, sub_out)
        sub = tflite.SubGraphEnd(b)
        subs, codes_v, bufs = self._vector(b, [sub]), self._vector(b, codes), self._vector(b, buffers)
        tflite.ModelStart(b)
        tflite.ModelAddVersion(b, 3)
        tflite.ModelAddOperatorCodes(b, codes_v)
        tflite.ModelAddSubgraphs(b, subs)
        tflite.ModelAddBuffers(b, bufs)
        b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
        return bytes(b.Output())

    @staticmethod
    def _vector(b: flatbuffers.Builder, offsets: list[int]) -> int:
        b.StartVector(4, len(offsets), 4)
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    @staticmethod
    def _buffer(b: flatbuffers.Builder, data: np.ndarray | None) -> int:
        vec = None if data is None else b.CreateNumpyVector(np.frombuffer(data.tobytes(), np.uint8))
        tflite.BufferStart(b)
        if vec is not None:
            tflite.BufferAddData(b, vec)
        return tflite.BufferEnd(b)

    @staticmethod
    def _tensor(b: flatbuffers.Builder, t: _Tensor, buffer: int) -> int:
        name = b.CreateString(t.name)
        shape = b.CreateNumpyVector(np.array(t.shape, np.int32))
        scale = b.CreateNumpyVector(np.array(t.scale, np.float32))
        zp = b.CreateNumpyVector(np.array(t.zp, np.int64))
        tflite.QuantizationParametersStart(b)
        tflite.QuantizationParametersAddScale(b, scale)
        tflite.QuantizationParametersAddZeroPoint(b, zp)
        tflite.QuantizationParametersAddQuantizedDimension(b, t.axis)
        quant = tflite.QuantizationParametersEnd(b)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, TYPES[t.dtype])
        tflite.TensorAddBuffer(b, buffer)
        tflite.TensorAddName(b, name)
        if (t.dtype != np.float32 and t.data is None) or t.dtype == np.int8:
            tflite.TensorAddQuantization(b, quant)
        return tflite.TensorEnd(b)

    @staticmethod
    def _operator(b, code: int, ins: list[int], outs: list[int], options: str | None, fields: dict) -> int:
        opts = None
        if options is not None:
            mod = importlib.import_module(f"tflite.{options}")
            getattr(mod, f"{options}Start")(b)
            for key, value in fields.items():
                getattr(mod, f"{options}Add{key}")(b, value)
            opts = getattr(mod, f"{options}End")(b)
        vin, vout = b.CreateNumpyVector(np.array(ins, np.int32)), b.CreateNumpyVector(np.array(outs, np.int32))
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, code)
        tflite.OperatorAddInputs(b, vin)
        tflite.OperatorAddOutputs(b, vout)
        if opts is not None:
            tflite.OperatorAddBuiltinOptionsType(b, getattr(BuiltinOptions, options))
            tflite.OperatorAddBuiltinOptions(b, opts)
        return tflite.OperatorEnd(b)
