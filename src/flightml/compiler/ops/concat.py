"""Concat along a non-batch axis: `fm_concat_s8`. Inputs quantized like the output are copied; others
go through a 256-entry int8 table built at compile time (integer work at run time in both modes):
ort-exact = ONNX Runtime's QLinearConcat table (float32 (x - zp) * s_in, then QuantizeLinear);
fixedpoint = the multiplier/shift rule with real = s_in / s_out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flightml.compiler import qparams, requant
from flightml.compiler.abi import KernelCall
from flightml.compiler.ir import Layer, QTensor
from flightml.compiler.ops.common import NodeIn, QLinear

KIND = "concat"
ONNX_OPS = ("Concat",)
QLINEAR = {"QLinearConcat": QLinear("Concat", (), 0)}
TFLITE_OPS = {"CONCATENATION": "Concat"}


def requant_table(x: QTensor, out: QTensor, mode: str) -> np.ndarray:
    """int8[256]: the output value of every input value v (index v + 128), int8 domain."""
    v = np.arange(-128, 128, dtype=np.int64)
    rq = requant.for_mode(mode)
    if rq.fixed_point:
        k = rq.real_consts(np.array([np.float32(x.scale) / np.float64(np.float32(out.scale))]))
        y = rq.requant(v - x.zp, {"mult": k["mult"][0], "shift": k["shift"][0]}, out.zp, -128, 127)
    else:
        y = qparams.quantize_float(qparams.dequantize(v, x.scale, x.zp), out.scale, out.zp)
    return y.astype(np.int8)


def resolve(n: NodeIn, mode: str) -> Layer:
    xs = [n.act(i) for i in range(len(n.inputs))]
    if (n.act_min, n.act_max) != (-128, 127):
        raise n.fail("a Relu/Clip after Concat is not supported")
    rank = len(xs[0].shape)
    axis = int(n.attr("axis", 0)) % rank
    rest = [x.shape[:axis] + x.shape[axis + 1 :] for x in xs]
    if axis == 0 or any(len(x.shape) != rank or r != rest[0] for x, r in zip(xs, rest, strict=True)):
        raise n.fail("inputs must agree on every dimension except the (non-batch) concat axis")
    out_shape = (*xs[0].shape[:axis], sum(x.shape[axis] for x in xs), *xs[0].shape[axis + 1 :])
    consts = {"chunk": np.array([int(np.prod(x.shape[axis:], dtype=np.int64)) for x in xs], dtype=np.int32)}
    for i, x in enumerate(xs):
        if (x.scale, x.zp) != (n.out.scale, n.out.zp):
            consts[f"table{i}"] = requant_table(x, n.out, mode)
    params = {"n_inputs": len(xs), "outer": int(np.prod(out_shape[:axis], dtype=np.int64))}
    return Layer(KIND, n.node.name, n.node.op_type, [x.name for x in xs], n.out.name, out_shape, params, consts)


def reference(layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray], mode: str) -> np.ndarray:
    b, c = inputs[0].shape[0], layer.cname
    parts = []
    for i, x in enumerate(inputs):
        x = x.reshape(b, layer.params["outer"], -1).astype(np.int64)
        table = consts.get(f"{c}_table{i}")
        parts.append(x if table is None else table.astype(np.int64)[x + 128])
    return np.concatenate(parts, axis=2).reshape(b, *layer.out_shape[1:])


def emit_c(layer: Layer, mode: str) -> KernelCall:
    c, n = layer.cname, len(layer.inputs)
    tables = [f"{c}_table{i}" if f"table{i}" in layer.consts else "NULL" for i in range(n)]
    params = {"n_inputs": n, "outer": layer.params["outer"], "chunk": f"{c}_chunk", "tables": tables}
    return KernelCall("fm_concat_s8", {"p": params}, list(range(n)))


def cost(layer: Layer) -> int:
    return 0
