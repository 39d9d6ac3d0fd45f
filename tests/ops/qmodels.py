"""Small float ONNX models quantized by ONNX Runtime's quantize_static (QDQ), for op tests."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


@dataclass
class Spec:
    """A float model: nodes over input 'x' [1, *in_shape] to output 'y', with float initializers."""

    name: str
    in_shape: tuple[int, ...]
    nodes: list[onnx.NodeProto]
    inits: dict[str, np.ndarray] = field(default_factory=dict)
    per_channel: bool = False
    unsigned: bool = False
    weight_unsigned: bool = False
    opset: int = 13
    qoperator: bool = False
    int8_io: bool = False
    prebuilt: onnx.ModelProto | None = None  # an already quantized model (converter-style), saved as is
    quant_extra: dict[str, Any] = field(default_factory=dict)

    def model(self) -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *self.in_shape])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            [
                numpy_helper.from_array(v.astype(np.float32) if v.dtype == np.float64 else v, k)
                for k, v in self.inits.items()
            ],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)])
        model.ir_version = 8
        return model


def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def conv(
    name: str,
    in_shape: tuple[int, ...],
    out_c: int,
    kernel: tuple[int, ...],
    relu: bool = True,
    bias: bool = True,
    **attrs: Any,
) -> Spec:
    rng = rng_for(name)
    group = attrs.get("group", 1)
    w = rng.normal(0, 0.5, (out_c, in_shape[0] // group, *kernel)).astype(np.float32)
    inits = {"w": w}
    inputs = ["x", "w"]
    if bias:
        inits["b"] = rng.normal(0, 0.3, out_c).astype(np.float32)
        inputs.append("b")
    nodes = [helper.make_node("Conv", inputs, ["c" if relu else "y"], name=f"{name}_conv", **attrs)]
    if relu:
        nodes.append(helper.make_node("Relu", ["c"], ["y"], name=f"{name}_relu"))
    return Spec(name, in_shape, nodes, inits)


def gemm(name: str, k: int, n: int, relu: bool = False, bias: bool = True, trans_b: int = 1) -> Spec:
    rng = rng_for(name)
    w = rng.normal(0, 0.3, (n, k) if trans_b else (k, n)).astype(np.float32)
    inits = {"w": w}
    inputs = ["x", "w"]
    if bias:
        inits["b"] = rng.normal(0, 0.3, n).astype(np.float32)
        inputs.append("b")
    nodes = [helper.make_node("Gemm", inputs, ["g" if relu else "y"], name=f"{name}_gemm", transB=trans_b)]
    if relu:
        nodes.append(helper.make_node("Relu", ["g"], ["y"], name=f"{name}_relu"))
    return Spec(name, (k,), nodes, inits)


def matmul(name: str, in_shape: tuple[int, ...], n: int) -> Spec:
    w = rng_for(name).normal(0, 0.3, (in_shape[-1], n)).astype(np.float32)
    return Spec(name, in_shape, [helper.make_node("MatMul", ["x", "w"], ["y"], name=f"{name}_mm")], {"w": w})


def pool(name: str, op: str, in_shape: tuple[int, ...], **attrs: Any) -> Spec:
    """A pooling op after a 1x1 conv (so the quantizer sees a quantized producer)."""
    spec = conv(name, in_shape, in_shape[0], (1,) * (len(in_shape) - 1), relu=False)
    spec.nodes[0].output[0] = "c"
    spec.nodes.append(helper.make_node(op, ["c"], ["y"], name=f"{name}_{op.lower()}", **attrs))
    return spec


def chain(name: str, in_shape: tuple[int, ...], view: str) -> Spec:
    """conv -> relu -> maxpool -> view op -> gemm: exercises fusion and aliasing."""
    spec = conv(name, in_shape, 4, (3,) * (len(in_shape) - 1), pads=[1] * 2 * (len(in_shape) - 1))
    spec.nodes[-1].output[0] = "r"
    spatial = [s // 2 for s in in_shape[1:]]
    rank = len(in_shape) - 1
    spec.nodes.append(
        helper.make_node("MaxPool", ["r"], ["p"], name=f"{name}_pool", kernel_shape=[2] * rank, strides=[2] * rank)
    )
    flat = 4 * int(np.prod(spatial))
    if view == "SqueezeUnsqueeze":
        spec.inits["axes"] = np.array([2], dtype=np.int64)
        spec.nodes.append(helper.make_node("Unsqueeze", ["p", "axes"], ["u"], name=f"{name}_unsqueeze"))
        spec.nodes.append(helper.make_node("Squeeze", ["u", "axes"], ["s"], name=f"{name}_squeeze"))
        spec.nodes.append(helper.make_node("Flatten", ["s"], ["f"], name=f"{name}_flat"))
    elif view == "Flatten":
        spec.nodes.append(helper.make_node("Flatten", ["p"], ["f"], name=f"{name}_flat"))
    else:
        spec.inits["shape"] = np.array([1, flat], dtype=np.int64)
        spec.nodes.append(helper.make_node("Reshape", ["p", "shape"], ["f"], name=f"{name}_reshape"))
    spec.inits["w2"] = rng_for(name + "g").normal(0, 0.2, (3, flat)).astype(np.float32)
    spec.nodes.append(helper.make_node("Gemm", ["f", "w2"], ["y"], name=f"{name}_gemm", transB=1))
    return spec


def residual(name: str, in_shape: tuple[int, ...]) -> Spec:
    """conv -> relu -> conv, then Add of both (a residual connection)."""
    spec = conv(name, in_shape, in_shape[0], (3,) * (len(in_shape) - 1), pads=[1] * 2 * (len(in_shape) - 1))
    spec.nodes[-1].output[0] = "r"
    spec.inits["w2"] = rng_for(name + "2").normal(0, 0.4, (in_shape[0], in_shape[0], *(1,) * (len(in_shape) - 1)))
    spec.nodes.append(helper.make_node("Conv", ["r", "w2"], ["c2"], name=f"{name}_conv2"))
    spec.nodes.append(helper.make_node("Add", ["r", "c2"], ["y"], name=f"{name}_add"))
    return spec


def matmul_bias(name: str, in_shape: tuple[int, ...], n: int) -> Spec:
    """MatMul with a constant B, then Add of a constant bias (broadcast over rows)."""
    spec = matmul(name, in_shape, n)
    spec.nodes[0].output[0] = "m"
    spec.inits["bias"] = rng_for(name + "b").normal(0, 0.5, n).astype(np.float32)
    spec.nodes.append(helper.make_node("Add", ["m", "bias"], ["y"], name=f"{name}_add"))
    return spec


def concat(name: str, in_shape: tuple[int, ...]) -> Spec:
    """Two convolutions of the input, concatenated along channels."""
    spec = conv(name, in_shape, 3, (3,) * (len(in_shape) - 1), relu=False, pads=[1] * 2 * (len(in_shape) - 1))
    spec.nodes[0].output[0] = "a"
    spec.inits["w2"] = rng_for(name + "2").normal(0, 0.4, (2, in_shape[0], *(1,) * (len(in_shape) - 1)))
    spec.nodes.append(helper.make_node("Conv", ["x", "w2"], ["b2"], name=f"{name}_conv2"))
    spec.nodes.append(helper.make_node("Concat", ["a", "b2"], ["y"], name=f"{name}_concat", axis=1))
    return spec


def conv_clip(name: str, in_shape: tuple[int, ...]) -> Spec:
    """conv -> Clip(0, 6) (ReLU6)."""
    spec = conv(name, in_shape, 4, (3,) * (len(in_shape) - 1), relu=False, pads=[1] * 2 * (len(in_shape) - 1))
    spec.nodes[0].output[0] = "c"
    spec.inits["lo"] = np.array(0.0, dtype=np.float32)
    spec.inits["hi"] = np.array(6.0, dtype=np.float32)
    spec.nodes.append(helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name=f"{name}_clip"))
    return spec


def quantize(spec: Spec, out_dir: Path) -> Path:
    """QDQ int8 (or uint8) model of `spec`, calibrated on 16 random inputs; returns its path."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    out_dir.mkdir(parents=True, exist_ok=True)
    fp32, int8 = out_dir / f"{spec.name}_fp32.onnx", out_dir / f"{spec.name}_int8.onnx"
    if spec.prebuilt is not None:
        onnx.save(spec.prebuilt, int8)
        return int8
    onnx.save(spec.model(), fp32)
    rng = rng_for(spec.name + "calib")
    samples = [{"x": rng.normal(0, 1, (1, *spec.in_shape)).astype(np.float32)} for _ in range(16)]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter(samples)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.it, None)

    quantize_static(
        str(fp32),
        str(int8),
        Reader(),
        quant_format=QuantFormat.QOperator if spec.qoperator else QuantFormat.QDQ,
        per_channel=spec.per_channel,
        activation_type=QuantType.QUInt8 if spec.unsigned else QuantType.QInt8,
        weight_type=QuantType.QUInt8 if spec.weight_unsigned else QuantType.QInt8,
        extra_options=spec.quant_extra,
    )
    if spec.int8_io:
        onnx.save(int8_graph_io(onnx.load(int8)), int8)
    return int8


def int8_graph_io(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with its input QuantizeLinear and output DequantizeLinear removed: int8/uint8 graph input
    and output, as converters from TFLite write them (the input's scale is only on the DequantizeLinear)."""
    g = model.graph
    q = next(n for n in g.node if n.op_type == "QuantizeLinear" and n.input[0] == g.input[0].name)
    dq = next(n for n in g.node if n.op_type == "DequantizeLinear" and n.output[0] == g.output[0].name)
    elem = next(i.data_type for i in g.initializer if i.name == q.input[2])
    shape = [d.dim_value for d in g.input[0].type.tensor_type.shape.dim]
    for node in g.node:
        node.input[:] = ["xq" if i == q.output[0] else i for i in node.input]
    g.node.remove(q)
    g.node.remove(dq)
    g.input[0].CopyFrom(helper.make_tensor_value_info("xq", elem, shape))
    g.output[0].CopyFrom(helper.make_tensor_value_info(dq.input[0], elem, None))
    return model


def random_int8(name: str, n: int, shape: tuple[int, ...]) -> np.ndarray:
    """n random int8 inputs; the first two are all -128 and all 127 (saturation)."""
    x = rng_for(name + "x").integers(-128, 128, (n, *shape)).astype(np.int8)
    x[0], x[1] = -128, 127
    return x


def softmax(name: str, k: int, n: int, rows: tuple[int, ...] = ()) -> Spec:
    """Gemm/MatMul -> Softmax over the last axis (the classifier head of most models)."""
    spec = matmul(name, (*rows, k), n) if rows else gemm(name, k, n)
    spec.nodes[0].output[0] = "logits"
    spec.nodes.append(helper.make_node("Softmax", ["logits"], ["y"], name=f"{name}_softmax", axis=-1))
    return spec


def pad_conv(name: str, in_shape: tuple[int, ...], pad: list[int], **conv_attrs: Any) -> Spec:
    """A constant zero Pad of the spatial dimensions, then a Conv (the Pad folds into the conv's pads)."""
    rank = len(in_shape) - 1
    spec = conv(name, in_shape, 3, (3,) * rank, **conv_attrs)
    spec.nodes[0].input[0] = "xp"
    spec.inits["pads"] = np.array([0, 0, *pad[:rank], 0, 0, *pad[rank:]], dtype=np.int64)
    spec.nodes.insert(0, helper.make_node("Pad", ["x", "pads"], ["xp"], name=f"{name}_pad", mode="constant"))
    return spec
