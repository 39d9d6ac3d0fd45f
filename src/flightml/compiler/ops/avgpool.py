"""AveragePool (1-D and 2-D; stride, padding, count_include_pad) and GlobalAveragePool.

`fm_avgpool_s8` (fixedpoint, ort-int, and every mode when the window covers the whole unpadded input, as
GlobalAveragePool): acc = sum of (x - zp_in) over the window, requantized with real = s_in / (s_out *
count), one requant constant per possible count (index count - 1); ort-exact equals ONNX Runtime's
QLinearGlobalAveragePool (scale float32(s_in / (s_out * N))), to which its QLinearAveragePool falls back.

`fm_avgpool_ort_s8` (ort-exact, real windows): ONNX Runtime's QLinearAveragePool arithmetic, float32
throughout: each value dequantized (s_in * (x - zp_in)), summed in window order (rows, then columns),
divided by the count, then nearbyint(sum / s_out + zp_out) on the raw (uint8 or int8) zero point.
ort-int keeps the integer path for windows: within one LSB of ONNX Runtime (a float sum needs a float).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flightml.compiler import requant
from flightml.compiler.abi import KernelCall, fields_from
from flightml.compiler.ir import Layer, QTensor
from flightml.compiler.ops import avgpool_div
from flightml.compiler.ops.common import NodeIn, QLinear, requant_struct
from flightml.compiler.ops.conv import window_geometry, window_params

KIND = "avgpool"
ONNX_OPS = ("AveragePool", "GlobalAveragePool")
QLINEAR = {
    "QLinearAveragePool": QLinear("AveragePool", (0,), 3),
    "QLinearGlobalAveragePool": QLinear("GlobalAveragePool", (0,), 3),
}
TFLITE_OPS = {"MEAN": "GlobalAveragePool"}


def resolve(n: NodeIn, mode: str) -> Layer:
    x = n.act(0)
    tflite_pool = (n.op_type or n.node.op_type) == "AveragePool" and (x.scale, x.zp) == (n.out.scale, n.out.zp)
    if (
        requant.for_mode(mode).tflite_pool and tflite_pool and len(x.shape) == 4
    ):  # TFLite's average pool (e.g. from tf2onnx)
        return avgpool_div.resolve(n, mode)
    rank = len(x.shape) - 2
    if rank not in (1, 2):
        raise n.fail(f"only 1-D and 2-D pooling is supported (input shape {list(x.shape)})")
    spatial = list(x.shape[2:])
    if (n.op_type or n.node.op_type) == "GlobalAveragePool":
        kernel, strides, dils, begins, outs = spatial, [1] * rank, [1] * rank, [0] * rank, [1] * rank
        include_pad = 1
    else:
        kernel = list(n.attr("kernel_shape", []))
        if len(kernel) != rank:
            raise n.fail(f"kernel_shape must have {rank} values")
        strides, dils, begins, outs = window_geometry(n, spatial, kernel)
        include_pad = int(n.attr("count_include_pad", 0))
    geometry = window_params(spatial, kernel, strides, dils, begins, outs)
    whole = kernel == spatial and outs == [1] * rank and not any(n.attr("pads", []) or [])
    rq = requant.for_mode(mode)
    if rq.float_windows and not whole:
        return _float_layer(n, x, geometry, include_pad, outs)
    taps = geometry["k_h"] * geometry["k_w"]
    counts = np.arange(1, taps + 1, dtype=np.float64)
    params = dict(
        channels=int(x.shape[1]),
        **geometry,
        in_offset=-x.zp,
        count_include_pad=include_pad,
        per_channel=1,
        out_zp=n.out.zp,
        act_min=n.act_min,
        act_max=n.act_max,
    )
    if rq.fixed_point:
        consts = rq.real_consts(np.float64(np.float32(x.scale)) / (np.float64(np.float32(n.out.scale)) * counts))
    else:
        f = np.float32
        consts = rq.scale_consts(np.array([f(f(x.scale) / f(f(n.out.scale) * f(c))) for c in counts], f))
    return Layer(KIND, n.node.name, n.node.op_type, [x.name], n.out.name, (1, int(x.shape[1]), *outs), params, consts)


def _float_layer(n: NodeIn, x: QTensor, geometry: dict[str, int], include_pad: int, outs: list[int]) -> Layer:
    """The ort-exact layer of a real window: ONNX Runtime's float32 QLinearAveragePool."""
    raw = 128 if n.out.unsigned else 0
    params = dict(
        channels=int(x.shape[1]),
        **geometry,
        in_offset=-x.zp,
        count_include_pad=include_pad,
        float_sum=1,
        out_zp_raw=n.out.zp + raw,
        raw_shift=raw,
        act_min=n.act_min,
        act_max=n.act_max,
    )
    consts = {"fscale": np.array([x.scale, n.out.scale], dtype=np.float32)}
    return Layer(KIND, n.node.name, n.node.op_type, [x.name], n.out.name, (1, int(x.shape[1]), *outs), params, consts)


def _windows(layer: Layer, x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The window taps of batched x [B, C, H, W] in window order (rows, then columns; padding as 0), and
    the count of valid positions per output [1, 1, out_h, out_w] (k_h * k_w with count_include_pad)."""
    p = layer.params
    valid = np.ones((1, 1, p["in_h"], p["in_w"]), dtype=np.int64)
    span_h = (p["out_h"] - 1) * p["stride_h"] + (p["k_h"] - 1) * p["dil_h"] + 1
    span_w = (p["out_w"] - 1) * p["stride_w"] + (p["k_w"] - 1) * p["dil_w"] + 1
    pads = (
        (0, 0),
        (0, 0),
        (p["pad_top"], max(0, span_h - p["in_h"] - p["pad_top"])),
        (p["pad_left"], max(0, span_w - p["in_w"] - p["pad_left"])),
    )
    xp, vp = np.pad(x, pads), np.pad(valid, pads)
    taps = []
    count = np.zeros((1, 1, p["out_h"], p["out_w"]), dtype=np.int64)
    for kh in range(p["k_h"]):
        for kw in range(p["k_w"]):
            h0, w0 = kh * p["dil_h"], kw * p["dil_w"]
            sl = (
                slice(None),
                slice(None),
                slice(h0, h0 + (p["out_h"] - 1) * p["stride_h"] + 1, p["stride_h"]),
                slice(w0, w0 + (p["out_w"] - 1) * p["stride_w"] + 1, p["stride_w"]),
            )
            taps.append(xp[sl])
            count += vp[sl]
    if p["count_include_pad"]:
        count[:] = p["k_h"] * p["k_w"]
    return taps, count


def _reference_float(layer: Layer, x: np.ndarray, consts: Mapping[str, np.ndarray]) -> np.ndarray:
    """ONNX Runtime's QLinearAveragePool, float32 step by step (x holds x - zp_in)."""
    p, f = layer.params, np.float32
    s_in, s_out = consts[f"{layer.cname}_fscale"].astype(f)
    taps, count = _windows(layer, x)
    total = np.zeros(taps[0].shape, f)
    for tap in taps:  # padded positions add +0.0: the float sum is unchanged
        total = (total + (s_in * tap.astype(f)).astype(f)).astype(f)
    mean = (total / np.maximum(count, 1).astype(f)).astype(f)
    v = ((mean / s_out).astype(f) + f(p["out_zp_raw"])).astype(f)
    q = np.rint(np.clip(v, f(-1024), f(1024))).astype(np.int64) - p["raw_shift"]
    return np.clip(q, p["act_min"], p["act_max"])


def reference(layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray], mode: str) -> np.ndarray:
    p = layer.params
    if p.get("float_sum"):
        b = inputs[0].shape[0]
        x = inputs[0].reshape(b, p["channels"], p["in_h"], p["in_w"]).astype(np.int64) + p["in_offset"]
        return _reference_float(layer, x, consts).reshape(b, *layer.out_shape[1:])
    b = inputs[0].shape[0]
    x = inputs[0].reshape(b, p["channels"], p["in_h"], p["in_w"]).astype(np.int64) + p["in_offset"]
    taps, count = _windows(layer, x)
    acc = np.sum(taps, axis=0)
    index = np.broadcast_to(np.maximum(count, 1) - 1, acc.shape)
    c, zp, lo, hi = layer.cname, p["out_zp"], p["act_min"], p["act_max"]
    values = {k: consts[f"{c}_{k}"][index] for k in ("mult", "shift", "scale") if f"{c}_{k}" in consts}
    out = requant.for_mode(mode).requant(acc, values, zp, lo, hi)
    return out.reshape(b, *layer.out_shape[1:])


def emit_c(layer: Layer, mode: str) -> KernelCall:
    p, c = layer.params, layer.cname
    avg = fields_from("fm_avgpool_params_t", p)
    if p.get("float_sum"):
        q = fields_from("fm_avgpool_ort_t", {**p, "scales": f"{c}_fscale"})
        return KernelCall("fm_avgpool_ort_s8", {"p": avg, "q": q}, [0])
    return KernelCall("fm_avgpool_s8", {"p": avg, "rq": requant_struct(layer, mode)}, [0])


def cost(layer: Layer) -> int:
    return 0
