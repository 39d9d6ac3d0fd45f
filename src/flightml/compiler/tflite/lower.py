"""TFLite (int8) -> the compiler's Graph, through the same op modules as ONNX.

Each TFLite operator becomes the equivalent ONNX node (weights moved to ONNX layout, SAME/VALID
padding to explicit pads, fused activations to the requant clamp) and is resolved by the op module
that ONNX uses. Layout: the IR is NCHW; a 4-D TFLite tensor [1, H, W, C] is held as (1, C, H, W). At
the graph input and output, and before a RESHAPE or FULLY_CONNECTED that flattens a 4-D tensor, the
NHWC byte order is kept by a `transpose` layer, or by a plain view when H * W == 1 or C == 1 (same
bytes). So the C takes and returns exactly the tensors the .tflite declares (NHWC).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from onnx import helper

from flightml.compiler import qparams
from flightml.compiler.ir import Graph, Layer, QConst, QTensor
from flightml.compiler.ops import BY_ONNX, BY_TFLITE, conv, softmax
from flightml.compiler.ops.common import NodeIn
from flightml.compiler.passes import fuse_conv_maxpool
from flightml.compiler.tflite.reader import ACTIVATIONS, TfModel, TfOperator, TfTensor
from flightml.errors import InputError

# TFLite builtins come from the op modules' TFLITE_OPS (ops.BY_TFLITE); RESHAPE, PAD, QUANTIZE and
# DEQUANTIZE are handled here.
CONV_OPS = tuple(conv.TFLITE_OPS)  # the readers a PAD can be folded into
NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1}  # NHWC axis -> NCHW axis of a 4-D tensor


def nchw(shape: tuple[int, ...]) -> tuple[int, ...]:
    """A TFLite shape in the IR's layout (4-D NHWC -> NCHW; other ranks unchanged)."""
    return (shape[0], shape[3], shape[1], shape[2]) if len(shape) == 4 else tuple(shape)


def same_bytes(shape: tuple[int, ...]) -> bool:
    """True when NHWC and NCHW orders of `shape` are the same bytes (not 4-D, H * W == 1 or C == 1)."""
    return len(shape) != 4 or shape[1] * shape[2] == 1 or shape[3] == 1


def int8_edges(model: TfModel) -> tuple[int, int, set[int]]:
    """(int8 input tensor, int8 output tensor, edge operators): a float32 graph input read only by a
    QUANTIZE, and a float32 graph output written by a DEQUANTIZE, are left to the caller: the C's input
    and output are those operators' int8 tensors (quantize with model.h's scale and zero point)."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise InputError(f"{model.path}: expected one input and one output tensor")
    inp, out, skip = model.inputs[0], model.outputs[0], set()
    if model.tensors[inp].dtype is np.float32:
        readers = [op for op in model.operators if inp in op.inputs]
        if len(readers) != 1 or readers[0].op != "QUANTIZE":
            raise InputError(f"{model.path}: a float32 input must be read by exactly one QUANTIZE")
        inp = readers[0].outputs[0]
        skip.add(readers[0].index)
    if model.tensors[out].dtype is np.float32:
        writer = next((op for op in model.operators if out in op.outputs), None)
        if writer is None or writer.op != "DEQUANTIZE":
            raise InputError(f"{model.path}: a float32 output must be written by a DEQUANTIZE")
        out = writer.inputs[0]
        skip.add(writer.index)
    return inp, out, skip


def act_range(fused: int, out: QTensor, where: str) -> tuple[int, int]:
    """TFLite's CalculateActivationRangeQuantized: zp + round_half_away(float32(f / scale)), clamped."""

    def q(f: float) -> int:
        v = float(np.float32(f) / np.float32(out.scale))
        return out.zp + int(np.sign(v) * np.floor(abs(v) + 0.5))

    name = ACTIVATIONS.get(fused, str(fused))
    bounds = {"NONE": (-128, 127), "RELU": (q(0.0), 127), "RELU6": (q(0.0), q(6.0)), "RELU_N1_TO_1": (q(-1.0), q(1.0))}
    if name not in bounds:
        raise InputError(f"{where}: fused activation {name} is not supported")
    lo, hi = bounds[name]
    return max(-128, lo), min(127, hi)


class _Importer:
    def __init__(self, model: TfModel, mode: str) -> None:
        self.m = model
        self.mode = mode
        self.qt: dict[str, QTensor] = {}
        self.alias: dict[str, str] = {}
        self.layers: list[Layer] = []
        self.pads: dict[int, tuple[int, int, int, int]] = {}  # PAD output -> (top, bottom, left, right)
        self.input, self.output, self.skip = int8_edges(model)

    def tensor(self, index: int) -> TfTensor:
        return self.m.tensors[index]

    def fail(self, op: TfOperator, reason: str) -> InputError:
        return InputError(f"{self.m.path}: {op.label(self.m.tensors)}: {reason}")

    def qtensor(self, t: TfTensor, where: str) -> QTensor:
        if t.dtype is not np.int8 or t.scale.size != 1 or t.zp.size != 1:
            raise InputError(f"{where}: tensor {t.index} '{t.name}' must be int8 with one scale and zero point")
        scale = float(t.scale[0])
        if not (scale > 0 and np.isfinite(scale)) or not -128 <= int(t.zp[0]) <= 127:
            raise InputError(f"{where}: tensor {t.index} '{t.name}': bad quantization ({scale}, {int(t.zp[0])})")
        shape = nchw(t.shape)
        if not shape or shape[0] != 1 or min(shape) < 1:
            raise InputError(f"{where}: tensor {t.index} '{t.name}': expected batch 1, got shape {list(t.shape)}")
        return QTensor(f"t{t.index}", shape, scale, int(t.zp[0]))

    def activation(self, op: TfOperator, index: int) -> QTensor:
        name = f"t{index}"
        if name not in self.qt:
            raise self.fail(op, f"input tensor {index} is neither a graph input nor produced by an earlier operator")
        return self.qt[name]

    def weights(self, op: TfOperator, index: int, order: tuple[int, ...]) -> QConst:
        """A constant int8 weight tensor transposed by `order` to ONNX layout; its quantized axis follows."""
        t = self.tensor(index)
        if t.data is None or t.dtype is not np.int8 or t.scale.size < 1:
            raise self.fail(op, f"weights (tensor {index}) must be a quantized int8 constant")
        axis = order.index(t.axis) if t.scale.size > 1 else 0
        return QConst(np.ascontiguousarray(t.data.transpose(order)), t.scale, t.zp, axis)

    def bias(self, op: TfOperator, pos: int) -> np.ndarray | None:
        index = op.inputs[pos] if len(op.inputs) > pos else -1
        if index < 0:
            return None
        t = self.tensor(index)
        if t.data is None or t.dtype is not np.int32:
            raise self.fail(op, f"bias (tensor {index}) must be an int32 constant")
        return t.data.reshape(-1)

    def const_ints(self, op: TfOperator, pos: int, what: str) -> np.ndarray:
        t = self.tensor(op.inputs[pos]) if len(op.inputs) > pos and op.inputs[pos] >= 0 else None
        if t is None or t.data is None or t.dtype not in (np.int32, np.int64):
            raise self.fail(op, f"{what} must be a constant integer tensor")
        return t.data.astype(np.int64)

    def window_attrs(self, op: TfOperator, x: QTensor, kernel: tuple[int, int]) -> dict:
        o = op.options
        attrs = {"strides": [o["StrideH"], o["StrideW"]], "kernel_shape": list(kernel)}
        if "DilationHFactor" in o:
            attrs["dilations"] = [o["DilationHFactor"], o["DilationWFactor"]]
        pad = self.pads.get(op.inputs[0])
        if pad is not None and o["Padding"] == 1:
            attrs["pads"] = [pad[0], pad[2], pad[1], pad[3]]
        elif pad is not None:
            raise self.fail(op, "a PAD before a SAME-padded operator is not supported")
        else:
            attrs["auto_pad"] = "SAME_UPPER" if o["Padding"] == 0 else "VALID"
        return attrs

    def node_in(self, op: TfOperator) -> tuple[str, list, dict]:
        """(ONNX op, resolved inputs, attributes) of a compute operator; a builtin without a case here
        (ADD, LOGISTIC, ...) reads activations only and has no options but its fused activation."""
        kind, o = op.op, op.options
        x = self.activation(op, op.inputs[0])
        if kind == "CONV_2D":
            w = self.weights(op, op.inputs[1], (0, 3, 1, 2))
            return "Conv", [x, w, self.bias(op, 2)], self.window_attrs(op, x, w.data.shape[2:])
        if kind == "DEPTHWISE_CONV_2D":
            w = self.weights(op, op.inputs[1], (3, 0, 1, 2))
            attrs = self.window_attrs(op, x, w.data.shape[2:])
            if w.data.shape[0] != x.shape[1] * o["DepthMultiplier"]:
                raise self.fail(op, "weights do not match the depth multiplier")
            return "Conv", [x, w, self.bias(op, 2)], {**attrs, "group": int(x.shape[1])}
        if kind == "FULLY_CONNECTED":
            if o["WeightsFormat"] != 0:
                raise self.fail(op, "only the DEFAULT weights format is supported")
            w = self.weights(op, op.inputs[1], (0, 1))
            if not same_bytes((1, *x.shape[2:], x.shape[1]) if len(x.shape) == 4 else x.shape):
                self.transpose(
                    x, f"{x.name}_nhwc", [0, 2, 3, 1], (1, *x.shape[2:], x.shape[1]), op.label(self.m.tensors)
                )
                x = self.qt[f"{x.name}_nhwc"]
            flat = dataclasses.replace(x, shape=(1, x.size))
            return "Gemm", [flat, w, self.bias(op, 2)], {"transB": 1}
        if kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            attrs = self.window_attrs(op, x, (o["FilterHeight"], o["FilterWidth"]))
            return BY_TFLITE[kind][1], [x], attrs
        if kind == "MEAN":
            axes = sorted(NCHW_AXIS[int(a) % 4] for a in self.const_ints(op, 1, "MEAN axes").ravel())
            if len(x.shape) != 4 or axes != [2, 3]:
                raise self.fail(op, "only MEAN over height and width (global average) is supported")
            return "GlobalAveragePool", [x], {}
        if kind == "CONCATENATION":
            xs = [self.activation(op, i) for i in op.inputs]
            axis = NCHW_AXIS[o["Axis"] % 4] if len(x.shape) == 4 else o["Axis"] % len(x.shape)
            return "Concat", xs, {"axis": axis}
        return BY_TFLITE[kind][1], [self.activation(op, i) for i in op.inputs], {}

    def softmax(self, op: TfOperator) -> None:
        where = f"{self.m.path}: {op.label(self.m.tensors)}"
        x, out = self.activation(op, op.inputs[0]), self.qtensor(self.tensor(op.outputs[0]), where)
        beta = float(op.options.get("Beta", 1.0))
        name = f"operator {op.index} ({op.op})"
        self.layers.append(softmax.softmax_layer(where, name, op.op, x, out, self.mode, beta))
        self.qt[out.name] = out

    def compute(self, op: TfOperator) -> None:
        where = f"{self.m.path}: {op.label(self.m.tensors)}"
        onnx_op, inputs, attrs = self.node_in(op)
        module = BY_TFLITE[op.op][0]
        out_t = self.tensor(op.outputs[0])
        out = self.qtensor(out_t, where)
        lo, hi = act_range(op.options.get("FusedActivationFunction", 0), out, where)
        name = f"operator {op.index} ({op.op})"
        node = helper.make_node(onnx_op, [f"in{i}" for i in range(len(inputs))], [out.name], name=name, **attrs)
        layer = module.resolve(NodeIn(node, inputs, dataclasses.replace(out, shape=()), lo, hi, onnx_op), self.mode)
        if tuple(layer.out_shape) != out.shape:
            raise self.fail(op, f"output shape {list(out_t.shape)} does not match the computed {layer.out_shape}")
        layer.onnx_op = op.op
        self.qt[out.name] = out
        self.layers.append(layer)

    def transpose(self, src: QTensor, name: str, perm: list[int], shape: tuple[int, ...], where: str) -> None:
        """A transpose layer writing `src` in another axis order as the new tensor `name`."""
        node = helper.make_node("Transpose", ["in0"], [name], name=where, perm=perm)
        out = dataclasses.replace(src, name=name, shape=())
        layer = BY_ONNX["Transpose"].resolve(NodeIn(node, [src], out), self.mode)
        self.qt[name] = dataclasses.replace(src, name=name, shape=shape)
        self.layers.append(layer)

    def view(self, src: QTensor, name: str, shape: tuple[int, ...]) -> None:
        self.qt[name] = dataclasses.replace(src, name=name, shape=shape)
        self.alias[name] = src.name

    def reshape(self, op: TfOperator) -> None:
        x = self.activation(op, op.inputs[0])
        out_t = self.tensor(op.outputs[0])
        out = self.qtensor(out_t, f"{self.m.path}: {op.label(self.m.tensors)}")
        if (out.scale, out.zp) != (x.scale, x.zp) or out.size != x.size:
            raise self.fail(op, "input and output must have equal size and quantization")
        src_nhwc = (x.shape[0], *x.shape[2:], x.shape[1]) if len(x.shape) == 4 else x.shape
        if same_bytes(src_nhwc):
            self.view(x, out.name, out.shape)
            return
        self.transpose(x, f"{out.name}_nhwc", [0, 2, 3, 1], src_nhwc, f"operator {op.index} ({op.op})")
        self.view(self.qt[f"{out.name}_nhwc"], out.name, out.shape)

    def pad(self, op: TfOperator) -> None:
        """PAD folded into the padding of its only reader (a window op; padded value = zero point)."""
        x = self.activation(op, op.inputs[0])
        pads = self.const_ints(op, 1, "PAD paddings")
        readers = [r for r in self.m.operators if op.outputs[0] in r.inputs]
        out = self.tensor(op.outputs[0])
        if pads.shape != (4, 2) or pads[0].any() or pads[3].any() or pads.min() < 0:
            raise self.fail(op, "only non-negative height/width padding of a 4-D tensor is supported")
        if len(readers) != 1 or readers[0].op not in CONV_OPS or len(out.scale) != 1:
            raise self.fail(op, "PAD must feed exactly one CONV_2D or DEPTHWISE_CONV_2D")
        if (float(out.scale[0]), int(out.zp[0])) != (x.scale, x.zp):
            raise self.fail(op, "input and output quantization must be equal")
        self.pads[op.outputs[0]] = (int(pads[1, 0]), int(pads[1, 1]), int(pads[2, 0]), int(pads[2, 1]))
        self.qt[f"t{op.outputs[0]}"] = x  # its reader reads the unpadded tensor with the pads above

    def start(self) -> str:
        """The graph input, held in its NHWC byte order; returns its IR name."""
        t = self.tensor(self.input)
        x = self.qtensor(t, f"{self.m.path}: input")
        name = f"{x.name}_in"
        self.qt[name] = dataclasses.replace(x, name=name, shape=tuple(t.shape))
        if same_bytes(t.shape):
            self.view(self.qt[name], x.name, x.shape)
        else:
            self.transpose(self.qt[name], x.name, [0, 3, 1, 2], x.shape, "graph input (NHWC -> NCHW)")
        return name

    def finish(self) -> str:
        """The graph output in the .tflite's layout (NHWC for 4-D); returns its IR name."""
        t = self.tensor(self.output)
        x = self.qt.get(f"t{t.index}")
        if x is None:
            raise InputError(f"{self.m.path}: output tensor {t.index} '{t.name}' is not produced by a supported op")
        if len(x.shape) != 4:
            return x.name
        name = f"{x.name}_out"
        if same_bytes(t.shape):
            self.view(x, name, tuple(t.shape))
        else:
            self.transpose(x, name, [0, 2, 3, 1], tuple(t.shape), "graph output (NCHW -> NHWC)")
        return name

    def run(self) -> tuple[str, str]:
        inp = self.start()
        for op in self.m.operators:
            if op.index in self.skip:
                continue
            if op.op == "RESHAPE":
                self.reshape(op)
            elif op.op == "PAD":
                self.pad(op)
            elif op.op == "SOFTMAX":
                self.softmax(op)
            elif op.op in BY_TFLITE:
                self.compute(op)
            else:
                raise self.fail(op, f"op {op.op} is not supported by the compiler")
        if not self.layers:
            raise InputError(f"{self.m.path}: contains no compute layer")
        return inp, self.finish()


def lower_tflite(model: TfModel, mode: str) -> Graph:
    """The Graph of an int8 TFLite model for requant `mode` (input and output in the model's layout)."""
    if mode not in qparams.MODES:
        raise InputError(f"--requant: expected one of {', '.join(qparams.MODES)}, got {mode!r}")
    imp = _Importer(model, mode)
    inp, out = imp.run()
    graph = fuse_conv_maxpool(Graph(imp.qt, imp.layers, inp, out, mode, model.sha256, imp.alias))
    for i, layer in enumerate(graph.layers):
        layer.index = i
    return graph
