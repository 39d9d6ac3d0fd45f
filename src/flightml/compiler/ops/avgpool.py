"""AveragePool (1-D and 2-D; stride, padding, count_include_pad) and GlobalAveragePool: `fm_avgpool_s8`.

acc = sum of (x - zp_in) over the window; requantized with real = s_in / (s_out * count), one requant
constant per possible count (index count - 1). GlobalAveragePool with ort-exact equals ONNX Runtime's
QLinearGlobalAveragePool (scale float32(s_in / (s_out * N))); AveragePool's ONNX Runtime kernel sums in
float, so its ORT difference is measured (tests), not assumed.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flightml.compiler import qparams
from flightml.compiler.ir import Layer
from flightml.compiler.ops import avgpool_div
from flightml.compiler.ops.common import KernelCall, NodeIn, scale_consts
from flightml.compiler.ops.conv import window_geometry, window_params
from flightml.compiler.ops.maxpool import POOL_KEYS

KIND = "avgpool"
ONNX_OPS = ("AveragePool", "GlobalAveragePool")


def resolve(n: NodeIn, mode: str) -> Layer:
    x = n.act(0)
    tflite_pool = (n.op_type or n.node.op_type) == "AveragePool" and (x.scale, x.zp) == (n.out.scale, n.out.zp)
    if mode == "tflm" and tflite_pool and len(x.shape) == 4:  # TFLite's average pool (e.g. from tf2onnx)
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
    if mode in qparams.FIXED_MODES:
        real = np.float64(np.float32(x.scale)) / (np.float64(np.float32(n.out.scale)) * counts)
        mult, shift = qparams.fixed_params(real, mode)
        consts: dict[str, np.ndarray] = {"mult": mult, "shift": shift}
    else:
        f = np.float32
        consts = scale_consts(np.array([f(f(x.scale) / f(f(n.out.scale) * f(c))) for c in counts], f), mode)
    return Layer(KIND, n.node.name, n.node.op_type, [x.name], n.out.name, (1, int(x.shape[1]), *outs), params, consts)


def reference(layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray], mode: str) -> np.ndarray:
    p = layer.params
    b = inputs[0].shape[0]
    x = inputs[0].reshape(b, p["channels"], p["in_h"], p["in_w"]).astype(np.int64) + p["in_offset"]
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
    acc = np.zeros((b, p["channels"], p["out_h"], p["out_w"]), dtype=np.int64)
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
            acc += xp[sl]
            count += vp[sl]
    if p["count_include_pad"]:
        count[:] = p["k_h"] * p["k_w"]
    index = np.broadcast_to(np.maximum(count, 1) - 1, acc.shape)
    c, zp, lo, hi = layer.cname, p["out_zp"], p["act_min"], p["act_max"]
    if mode in qparams.FIXED_MODES:
        out = qparams.requant_fixed(acc, consts[f"{c}_mult"][index], consts[f"{c}_shift"][index], zp, lo, hi, mode)
    elif mode == "ort-int":
        out = qparams.requant_ort_int(acc, consts[f"{c}_mult"][index], consts[f"{c}_shift"][index], zp, lo, hi)
    else:
        out = qparams.requant_ort(acc, consts[f"{c}_scale"][index], zp, lo, hi)
    return out.reshape(b, *layer.out_shape[1:])


def emit_c(layer: Layer, mode: str) -> KernelCall:
    p, c = layer.params, layer.cname
    fixed = mode != "ort-exact"
    pool = "{ " + ", ".join(f".{k} = {p[k]}" for k in POOL_KEYS) + " }"
    rq = {
        "mult": f"{c}_mult" if fixed else "0",
        "shift": f"{c}_shift" if fixed else "0",
        "scale": "0" if fixed else f"{c}_scale",
        **{k: p[k] for k in ("per_channel", "out_zp", "act_min", "act_max")},
    }
    return KernelCall(
        "fm_avgpool_s8",
        [
            (
                "fm_avgpool_params_t",
                f"{c}_p",
                {"pool": pool, "in_offset": p["in_offset"], "count_include_pad": p["count_include_pad"]},
            ),
            ("fm_requant_t", f"{c}_rq", rq),
        ],
        [f"&{c}_p", f"&{c}_rq", "IN0", "OUT"],
    )


def cost(layer: Layer) -> int:
    return 0
