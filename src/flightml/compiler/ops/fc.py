"""Gemm and MatMul with a constant B (fully connected), int32 bias from Gemm's C input.

Kernel `fm_fc_s8`. Input int8 [rows, K], weights int8 [N, K] (transposed at compile time when the
model stores [K, N]), bias int32 [N], per-tensor or per-output-feature requantization. Small per-tensor
layers (TFLite's) call the DSP set's entries for their shape (kernel_for): `fm_fc_pair_s8` (two outputs)
and `fm_fc_in8_s8` (eight inputs per output), same contract; the portable set calls fm_fc_s8 from them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flightml.compiler import abi, qparams
from flightml.compiler.abi import Kernel, KernelCall, fields_from
from flightml.compiler.ir import Layer
from flightml.compiler.ops.common import (
    NodeIn,
    QLinear,
    apply_requant,
    check_accumulator,
    int8_weights,
    int32_bias,
    requant_fields,
    requant_struct,
    weights_and_bias,
)

KIND = "fc"
ONNX_OPS = ("Gemm", "MatMul")
QLINEAR = {"QLinearMatMul": QLinear("MatMul", (0, 3), 6), "QGemm": QLinear("Gemm", (0, 3), 7)}
TFLITE_OPS = {"FULLY_CONNECTED": "Gemm"}


_CONTRACT = "Fully connected as fm_fc_s8 (same arguments, results and scratch)"
KERNELS = tuple(
    Kernel(name, abi.KERNELS["fm_fc_s8"].args, doc=f"{_CONTRACT}; {what}.")
    for name, what in (
        ("fm_fc_pair_s8", "the DSP set's path for out_features == 2 and per-tensor constants"),
        ("fm_fc_in8_s8", "the DSP set's path for in_features == 8, w_offset == 0 and per-tensor constants"),
    )
)


def resolve(n: NodeIn, mode: str) -> Layer:
    x = n.act(0)
    w = n.qconst(1, "B (weights)")
    op = n.op_type or n.node.op_type
    if np.asarray(w.data).ndim != 2:
        raise n.fail(f"B must be a 2-D constant, got shape {list(w.data.shape)}")
    trans_b = int(n.attr("transB", 0))
    if op in ("Gemm", "QGemm"):
        if int(n.attr("transA", 0)) or float(n.attr("alpha", 1.0)) != 1.0 or float(n.attr("beta", 1.0)) != 1.0:
            raise n.fail("only transA=0, alpha=1 and beta=1 are supported")
        if len(x.shape) != 2:
            raise n.fail(f"A must be 2-D, got shape {list(x.shape)}")
    weights, w_offset = int8_weights(n.where, w)
    if not trans_b:
        weights = weights.T
    n_out, k = (int(s) for s in weights.shape)
    if int(x.shape[-1]) != k:
        raise n.fail(f"A has {x.shape[-1]} features, B expects {k}")
    check_accumulator(n.where, weights, w_offset)
    bias = int32_bias(n.where, n.inputs[2] if len(n.inputs) > 2 else None, n_out)
    w_scale = np.asarray(w.scale, dtype=np.float32).ravel()
    if w_scale.size not in (1, n_out):
        raise n.fail(f"weight scale must have 1 or {n_out} values, got {w_scale.size}")
    rq_params, rq_consts = requant_fields(n.where, x.scale, w_scale, n.out, (n.act_min, n.act_max), mode)
    rows = x.size // k
    params = dict(rows=rows, in_features=k, out_features=n_out, in_offset=-x.zp, w_offset=w_offset, **rq_params)
    consts = {"weights": np.ascontiguousarray(weights, dtype=np.int8), **rq_consts}
    if bias is not None:
        consts["bias"] = bias
    out_shape = (*x.shape[:-1], n_out)
    return Layer(KIND, n.node.name, n.node.op_type, [x.name], n.out.name, out_shape, params, consts)


def reference(layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray], mode: str) -> np.ndarray:
    p = layer.params
    b = inputs[0].shape[0]
    x = inputs[0].reshape(b, p["rows"], p["in_features"]).astype(np.int64) + p["in_offset"]
    w = consts[f"{layer.cname}_weights"].astype(np.int64) + p["w_offset"]
    acc = np.einsum("brk,nk->brn", x, w)
    bias = consts.get(f"{layer.cname}_bias")
    if bias is not None:
        acc = qparams.sat_add32(acc, bias.reshape(1, 1, -1))
    out = apply_requant(acc, layer, consts, mode, channel_axis=2)
    return out.reshape(b, *layer.out_shape[1:])


DSP_CHUNK, DSP_ROWS = 256, 64  # FM_DSP_CHUNK, FM_DSP_ROWS (kernels/dsp/fm_dsp.h)
PORTABLE_SCRATCH = 4 * 4 + 32 * 2  # kernels/portable/fc.c: acc[4], xo[FM_VEC]


def scratch_bytes(layer: Layer) -> int:
    """Scratch of fm_fc_s8 for this shape: DSP_ROWS int32 accumulators then the widened inputs (the DSP
    kernel's fixed layout), or the portable kernel's."""
    p = layer.params
    dsp = 4 * DSP_ROWS + 2 * min(p["in_features"] // 4 * 4, DSP_CHUNK)
    return max(dsp, PORTABLE_SCRATCH)


def kernel_for(p: Mapping[str, int]) -> str:
    """The entry point for params p: per-tensor constants with two outputs (VWW's last layer) or eight
    inputs per output and a bias (AD's 8 -> 128 layer) take the small-layer paths, anything else fm_fc_s8."""
    if p["per_channel"]:
        return "fm_fc_s8"
    if p["out_features"] == 2:
        return "fm_fc_pair_s8"
    if p["in_features"] == 8 and p["w_offset"] == 0 and p["has_bias"]:
        return "fm_fc_in8_s8"
    return "fm_fc_s8"


def emit_c(layer: Layer, mode: str) -> KernelCall:
    structs = {"p": fields_from("fm_fc_params_t", layer.params), "rq": requant_struct(layer, mode)}
    shape = {**layer.params, "has_bias": int("bias" in layer.consts)}
    return KernelCall(kernel_for(shape), structs, [0], weights_and_bias(layer))


def cost(layer: Layer) -> int:
    p = layer.params
    return p["rows"] * p["in_features"] * p["out_features"]
