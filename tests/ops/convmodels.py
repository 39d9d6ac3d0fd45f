"""QDQ models written the way converters (tf2onnx from an int8 TFLite model) write them: int8 graph input
and output with a symbolic batch, the input's scale only on its DequantizeLinear, an NHWC -> NCHW
Transpose, fully connected layers as MatMul + Add(int32 bias), Softmax with output scale 1/256."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from qmodels import rng_for


@dataclass
class Builder:
    """Nodes and initializers of one converter-style model, tensor by tensor."""

    name: str
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    inits: list[onnx.TensorProto] = field(default_factory=list)

    def const(self, tag: str, value: np.ndarray) -> str:
        name = f"{tag}_{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], **attrs: object) -> str:
        out = f"{op.lower()}_{len(self.nodes)}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"{self.name}_{out}", **attrs))
        return out

    def dq(self, x: str, scale: float, zp: int) -> str:
        s, z = self.const("s", np.float32(scale)), self.const("z", np.int8(zp))
        return self.node("DequantizeLinear", [x, s, z])

    def q(self, x: str, scale: float, zp: int) -> str:
        s, z = self.const("s", np.float32(scale)), self.const("z", np.int8(zp))
        return self.node("QuantizeLinear", [x, s, z])

    def weights(self, shape: tuple[int, ...], per_channel: bool) -> tuple[str, np.ndarray]:
        """Dequantized int8 weights (symmetric, per output channel on axis 0 or per tensor)."""
        rng = rng_for(f"{self.name}_w{len(self.inits)}")
        w = rng.integers(-127, 128, shape).astype(np.int8)
        scale = rng.uniform(0.002, 0.02, shape[0] if per_channel else 1).astype(np.float32)
        zp = np.zeros(scale.size, np.int8)
        if per_channel:
            node = self.node("DequantizeLinear", [self.const("w", w), self.const("ws", scale), self.const("wz", zp)])
            self.nodes[-1].attribute.append(helper.make_attribute("axis", 0))
            return node, scale
        return self.node(
            "DequantizeLinear", [self.const("w", w), self.const("ws", scale[0]), self.const("wz", zp[0])]
        ), scale

    def bias(self, n: int, scale: np.ndarray) -> str:
        b = rng_for(f"{self.name}_b{len(self.inits)}").integers(-3000, 3000, n).astype(np.int32)
        zp = np.zeros(scale.size, np.int32)
        node = self.node("DequantizeLinear", [self.const("b", b), self.const("bs", scale), self.const("bz", zp)])
        if scale.size > 1:
            self.nodes[-1].attribute.append(helper.make_attribute("axis", 0))
        return node

    def model(self, in_shape: tuple[int, ...], out: str) -> onnx.ModelProto:
        self.nodes[-1].output[0] = "y"
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [helper.make_tensor_value_info("x", TensorProto.INT8, ["batch", *in_shape])],
            [helper.make_tensor_value_info("y", TensorProto.INT8, None)],
            self.inits,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        return model


S_X, Z_X = 0.05, 3


def fc_bias(
    name: str, k: int, n: int, relu: bool, softmax: bool = False, transpose_in: bool = False
) -> onnx.ModelProto:
    """int8 x [batch, k] -> MatMul + Add(bias) [-> Relu] -> QuantizeLinear [-> Softmax (1/256, -128)]."""
    b = Builder(name)
    x = "x"
    shape: tuple[int, ...] = (k,)
    if transpose_in:  # [batch, k, 1] -> [batch, 1, k]: a pure layout change (only a size-1 dimension moves)
        shape = (k, 1)
        x = b.node("Reshape", [b.node("Transpose", ["x"], perm=[0, 2, 1]), b.const("shape", np.array([-1, k]))])
    w, ws = b.weights((k, n), per_channel=False)
    acc = b.node("MatMul", [b.dq(x, S_X, Z_X), w])
    y = b.node("Add", [acc, b.bias(n, (np.float32(S_X) * ws).astype(np.float32))])
    if relu:
        y = b.node("Relu", [y])
    s_y = float(S_X * ws[0] * np.sqrt(k) * 130)  # about +-3 sigma of the accumulator over 255 steps
    y = b.q(y, s_y, -128 if relu else 0)
    if softmax:
        y = b.q(b.node("Softmax", [b.dq(y, s_y, -128 if relu else 0)], axis=-1), 1 / 256, -128)
    return b.model(shape, y)


def nhwc_conv(name: str, hwc: tuple[int, int, int], out_c: int, depthwise: bool = False) -> onnx.ModelProto:
    """int8 NHWC x -> Transpose (NHWC -> NCHW) -> per-channel Conv 3x3 + bias + Relu -> NCHW -> NHWC output."""
    h, w_, c = hwc
    b = Builder(name)
    x = b.dq(b.node("Transpose", ["x"], perm=[0, 3, 1, 2]), S_X, Z_X)
    out_c = c if depthwise else out_c
    w, ws = b.weights((out_c, 1 if depthwise else c, 3, 3), per_channel=True)
    bias = b.bias(out_c, (np.float32(S_X) * ws).astype(np.float32))
    conv = b.node("Conv", [x, w, bias], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=c if depthwise else 1)
    s_y = float(S_X * ws.mean() * np.sqrt(9 * (1 if depthwise else c)) * 130)
    y = b.q(b.node("Relu", [conv]), s_y, -128)
    y = b.node("Transpose", [y], perm=[0, 2, 3, 1])
    return b.model((h, w_, c), y)
