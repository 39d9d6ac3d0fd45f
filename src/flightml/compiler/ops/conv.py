"""Conv (1-D and 2-D; stride, explicit/asymmetric/SAME padding, dilation, groups incl. depthwise).

Kernels `fm_conv_s8`, `fm_conv_dw_s8`, `fm_conv_mm_s8`, `fm_conv_rows_s8` and `fm_conv_pair_s8` (one contract;
`kernel_for` picks the entry point by shape so a kernel set links only the fast paths a model uses).
Input int8 [C, H, W] (1-D: H = 1), weights int8 [M, C/g, kH, kW], bias int32 [M],
per-tensor or per-channel requantization with the fused Relu/Clip clamp.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flightml.compiler import qparams
from flightml.compiler.abi import KernelCall, fields_from
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

KIND = "conv"
ONNX_OPS = ("Conv",)
QLINEAR = {"QLinearConv": QLinear("Conv", (0, 3), 6)}
TFLITE_OPS = {"CONV_2D": "Conv", "DEPTHWISE_CONV_2D": "Conv"}


# The window geometry fields of the kernel params structs, in window_params() order.
WINDOW_KEYS = (
    "in_h",
    "in_w",
    "out_h",
    "out_w",
    "k_h",
    "k_w",
    "stride_h",
    "stride_w",
    "dil_h",
    "dil_w",
    "pad_top",
    "pad_left",
)


def window_geometry(
    n: NodeIn, spatial: list[int], kernel: list[int]
) -> tuple[list[int], list[int], list[int], list[int]]:
    """(strides, dilations, leading pads, output sizes) for Conv/pool attributes, ONNX semantics."""
    rank = len(spatial)
    strides = list(n.attr("strides", [1] * rank))
    dils = list(n.attr("dilations", [1] * rank))
    auto_pad = n.attr("auto_pad", "NOTSET")
    ceil_mode = int(n.attr("ceil_mode", 0))
    if min(strides + dils + kernel, default=1) < 1 or len(strides) != rank or len(dils) != rank:
        raise n.fail("strides, dilations and kernel_shape must be positive, one per spatial axis")
    begins, outs = [], []
    for i in range(rank):
        span = (kernel[i] - 1) * dils[i] + 1
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            out = -(-spatial[i] // strides[i])
            total = max(0, (out - 1) * strides[i] + span - spatial[i])
            begin = total // 2 if auto_pad == "SAME_UPPER" else total - total // 2
        elif auto_pad in ("NOTSET", "VALID"):
            pads = list(n.attr("pads", [0] * 2 * rank)) if auto_pad == "NOTSET" else [0] * 2 * rank
            if len(pads) != 2 * rank or min(pads) < 0:
                raise n.fail(f"pads must list {2 * rank} non-negative values, got {pads}")
            begin, end = pads[i], pads[i + rank]
            full = spatial[i] + begin + end - span
            out = (-(-full // strides[i]) if ceil_mode else full // strides[i]) + 1
            if ceil_mode and (out - 1) * strides[i] >= spatial[i] + begin:
                out -= 1
        else:
            raise n.fail(f"auto_pad '{auto_pad}' is not supported")
        if out < 1:
            raise n.fail(f"output size along spatial axis {i} would be {out}")
        begins.append(begin)
        outs.append(out)
    return strides, dils, begins, outs


def as_2d(values: list[int], fill: int) -> list[int]:
    """1-D spatial lists become 2-D with H = 1 ([w] -> [fill, w])."""
    return values if len(values) == 2 else [fill, *values]


def window_params(
    spatial: list[int], kernel: list[int], strides: list[int], dils: list[int], begins: list[int], outs: list[int]
) -> dict[str, int]:
    """The 2-D window geometry kernels take (1-D as height 1): in/out/kernel sizes, strides,
    dilations and leading pads, shared by Conv, MaxPool and AveragePool."""
    in_hw, k_hw, s_hw = as_2d(spatial, 1), as_2d(kernel, 1), as_2d(strides, 1)
    d_hw, p_hw, o_hw = as_2d(dils, 1), as_2d(begins, 0), as_2d(outs, 1)
    values = (*in_hw, *o_hw, *k_hw, *s_hw, *d_hw, *p_hw)
    return dict(zip(WINDOW_KEYS, values, strict=True))


def resolve(n: NodeIn, mode: str) -> Layer:
    x = n.act(0)
    w = n.qconst(1, "weights")
    rank = len(x.shape) - 2
    if rank not in (1, 2) or np.asarray(w.data).ndim != rank + 2:
        raise n.fail(f"only 1-D and 2-D convolutions are supported (input shape {list(x.shape)})")
    groups = int(n.attr("group", 1))
    m, cg = int(w.data.shape[0]), int(w.data.shape[1])
    c = int(x.shape[1])
    if groups < 1 or c != cg * groups or m % groups:
        raise n.fail(f"channels {c} / weights {list(w.data.shape)} do not match group={groups}")
    kernel = list(w.data.shape[2:])
    if n.attr("kernel_shape") is not None and list(n.attr("kernel_shape")) != kernel:
        raise n.fail("kernel_shape does not match the weights")
    strides, dils, begins, outs = window_geometry(n, list(x.shape[2:]), kernel)
    weights, w_offset = int8_weights(n.where, w)
    check_accumulator(n.where, weights.reshape(m, -1), w_offset)
    bias = int32_bias(n.where, n.inputs[2] if len(n.inputs) > 2 else None, m)
    w_scale = np.asarray(w.scale, dtype=np.float32).ravel()
    if w_scale.size not in (1, m):
        raise n.fail(f"weight scale must have 1 or {m} values, got {w_scale.size}")
    rq_params, rq_consts = requant_fields(n.where, x.scale, w_scale, n.out, (n.act_min, n.act_max), mode)
    k_hw = as_2d(kernel, 1)
    params = dict(
        in_c=c,
        out_c=m,
        **window_params(list(x.shape[2:]), kernel, strides, dils, begins, outs),
        groups=groups,
        in_offset=-x.zp,
        w_offset=w_offset,
        **rq_params,
    )
    consts = {"weights": weights.reshape(m, cg, k_hw[0], k_hw[1]).astype(np.int8), **rq_consts}
    if bias is not None:
        consts["bias"] = bias
    return Layer(KIND, n.node.name, n.node.op_type, [x.name], n.out.name, (1, m, *outs), params, consts)


def conv_acc(layer: Layer, x: np.ndarray, consts: Mapping[str, np.ndarray]) -> np.ndarray:
    """Batched int64 accumulators [B, M, out_h, out_w] (bias added with int32 saturation)."""
    p = layer.params
    b = x.shape[0]
    xo = x.reshape(b, p["in_c"], p["in_h"], p["in_w"]).astype(np.int64) + p["in_offset"]
    w = consts[f"{layer.cname}_weights"].astype(np.int64) + p["w_offset"]
    span_h = (p["out_h"] - 1) * p["stride_h"] + (p["k_h"] - 1) * p["dil_h"] + 1
    span_w = (p["out_w"] - 1) * p["stride_w"] + (p["k_w"] - 1) * p["dil_w"] + 1
    pad_b = max(0, span_h - p["in_h"] - p["pad_top"])
    pad_r = max(0, span_w - p["in_w"] - p["pad_left"])
    xp = np.pad(xo, ((0, 0), (0, 0), (p["pad_top"], pad_b), (p["pad_left"], pad_r)))
    g, m = p["groups"], p["out_c"]
    cg, mg = p["in_c"] // g, m // g
    acc = np.zeros((b, m, p["out_h"], p["out_w"]), dtype=np.int64)
    for kh in range(p["k_h"]):
        for kw in range(p["k_w"]):
            h0, w0 = kh * p["dil_h"], kw * p["dil_w"]
            tap = xp[
                :,
                :,
                h0 : h0 + span_h - (p["k_h"] - 1) * p["dil_h"] : p["stride_h"],
                w0 : w0 + span_w - (p["k_w"] - 1) * p["dil_w"] : p["stride_w"],
            ]
            for gi in range(g):
                acc[:, gi * mg : (gi + 1) * mg] += np.einsum(
                    "bchw,mc->bmhw", tap[:, gi * cg : (gi + 1) * cg], w[gi * mg : (gi + 1) * mg, :, kh, kw]
                )
    bias = consts.get(f"{layer.cname}_bias")
    if bias is not None:
        acc = qparams.sat_add32(acc, bias.reshape(1, m, 1, 1))
    return acc


def reference(layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray], mode: str) -> np.ndarray:
    acc = conv_acc(layer, inputs[0], consts)
    out = apply_requant(acc, layer, consts, mode, channel_axis=1)
    return out.reshape(out.shape[0], *layer.out_shape[1:])


DW_PLANE = 1024  # bytes of the depthwise kernel's padded plane copy (FM_DSP_DW_PLANE in kernels/dsp/conv_dw.c)
# Kernel work memory (scratch), as the kernels carve it:
PAIR_ROWS, PAIR_SEGS = 16, 4  # FM_PAIR_ROWS, FM_PAIR_SEGS (kernels/dsp/conv_pair.c)
PAIR_STEP, PAIR_SEG = 88, 16  # sizeof fm_pair_step_t, fm_pair_seg_t (kernels/dsp/conv_pair.c)
MM_SCRATCH = 32 * 20 + 66 * 4 + 512 * 2 + 512 + 64 * 4  # kernels/dsp/conv_mm.c: q, acc, xq, col, tw
ROWS, ROWS_CH, ROWS_POS = 9, 8, 16  # FM_ROWS_ROWS, FM_ROWS_CH, FM_ROWS_POS (kernels/dsp/conv_rows.c)
ROWS_SCRATCH = (ROWS_CH + 1) * 20 + 2 * ROWS_CH * ROWS * 4 + 2 * ROWS_POS * ROWS * 4 + 2 * ROWS_POS  # q, tw, cols, sink
PORTABLE_SCRATCH = 8  # kernels/portable/conv.c uses none for a plain conv (its entry points take non-NULL)


def dw_plane_fits(p: Mapping[str, int]) -> bool:
    """The depthwise kernel's padded copy of one channel plane fits DW_PLANE (fm_dsp_dw_plane)."""
    reach = (p["out_w"] - 2) * p["stride_w"] + 3 + p["stride_w"]
    width = max(p["pad_left"] + p["in_w"], reach)
    width = next((w for w in (8, 16, 32) if width <= w), (width + 3) // 4 * 4)
    rows = (p["out_h"] - 1) * p["stride_h"] + (p["k_h"] - 1) * p["dil_h"] + 1
    return rows * width <= DW_PLANE


def pair_shape(p: Mapping[str, int]) -> bool:
    """The Conv1d-style shape of fm_conv_pair_s8 (fm_kernels.h): 3 taps along w, stride 1 and no dilation
    there, out_w >= 2, at most 16 input rows (input channels per group x k_h) per output."""
    cin_g = p["in_c"] // p["groups"]
    return p["k_w"] == 3 and p["dil_w"] == 1 and p["out_w"] >= 2 and p["stride_w"] == 1 and cin_g * p["k_h"] <= 16


def rows_shape(p: Mapping[str, int]) -> bool:
    """Windows of 3 taps along w (no dilation there) with at most ROWS rows (input channels per group x k_h):
    the DSP rows path (VWW's first layer, 3 x 3 x 3)."""
    return p["k_w"] == 3 and p["dil_w"] == 1 and p["in_c"] // p["groups"] * p["k_h"] <= ROWS


def rows_over_pair(p: Mapping[str, int]) -> bool:
    """A pair shape the rows path takes instead: several input channels and rows of taps (patch rows not
    one stride apart, so the pair path gathers every window) within rows_shape, >= 4 output channels per
    group. IC's first layer on Cortex-M4: pair 6.11 (tflm) / 2.28 (fixedpoint) instructions per MAC, rows
    2.29 / 2.16 (benchmarks/kernel_shapes.py --only ic_c0 --mode tflm|fixedpoint)."""
    cin_g, cout_g = p["in_c"] // p["groups"], p["out_c"] // p["groups"]
    return rows_shape(p) and cin_g > 1 and p["k_h"] > 1 and cout_g >= 4


def kernel_for(p: Mapping[str, int]) -> str:
    """The convolution entry point for params p (fm_kernels.h states the same shape rules): depthwise with
    3 taps along w (rows of at least 4 or a plane whose padded copy fits DW_PLANE); the SpectrumNet
    Conv1d shape (pair_shape but not rows_over_pair: the DSP pair path alone, no scalar fallback linked);
    >= 4 output channels per group and <= 64 taps per window (matrix multiply; rows_shape among them: the
    rows path); anything else fm_conv_s8."""
    cout_g = p["out_c"] // p["groups"]
    taps_w3 = p["k_w"] == 3 and p["dil_w"] == 1 and p["out_w"] >= 2
    inside = (p["out_w"] - 1) * p["stride_w"] - p["pad_left"] < p["in_w"]
    rows_ok = inside and ((p["in_w"] >= 4 and p["pad_left"] <= 3) or dw_plane_fits(p))
    if p["groups"] == p["in_c"] == p["out_c"] and taps_w3 and p["stride_w"] in (1, 2) and p["k_h"] <= 8 and rows_ok:
        return "fm_conv_dw_s8"
    if pair_shape(p) and not rows_over_pair(p):
        return "fm_conv_pair_s8"
    if cout_g >= 4 and p["k_h"] * p["k_w"] <= 64:
        return "fm_conv_rows_s8" if rows_shape(p) else "fm_conv_mm_s8"
    return "fm_conv_s8"


def pair_scratch(p: Mapping[str, int], pooled: bool) -> int:
    """Scratch bytes of the DSP pair path (kernels/dsp/conv_pair.c, as fm_pair_conv carves it): the step
    constants, one channel pair's widened weights (12 B per patch row), the runs of an output row's windows,
    then the gathered input words (4 B per patch row) of the windows not read from the input directly
    (fm_pair_row: those reaching into the padding along w; every window when the patch rows are not one
    stride apart or some output row's window leaves the input along h); 0 for shapes off that path."""
    cin_g = p["in_c"] // p["groups"]
    rows = cin_g * p["k_h"]
    if not (p["k_w"] == 3 and p["stride_w"] == 1 and p["dil_w"] == 1 and p["out_w"] >= 2 and rows <= PAIR_ROWS):
        return 0
    out_w = p["out_w"]
    wpr = out_w // 2 if pooled else (out_w + 1) // 2
    starts = [(2 * j if pooled or 2 * j <= out_w - 2 else out_w - 2) - p["pad_left"] for j in range(wpr)]
    reach = (p["k_h"] - 1) * p["dil_h"]
    tops = [oh * p["stride_h"] - p["pad_top"] for oh in range(p["out_h"])]
    inside = all(top >= 0 and top + reach < p["in_h"] for top in tops)
    direct = sum(0 <= s <= p["in_w"] - 4 for s in starts) if inside and (p["k_h"] == 1 or cin_g == 1) else 0
    return PAIR_STEP + 12 * rows + PAIR_SEG * PAIR_SEGS + 4 * rows * (wpr - direct)


def scratch_bytes(layer: Layer) -> int:
    """Scratch the convolution kernels need for this shape (the most of every kernel set's entry point)."""
    p = layer.params
    pair = pair_scratch(p, False)
    dsp = {
        "fm_conv_dw_s8": DW_PLANE,
        "fm_conv_mm_s8": MM_SCRATCH,
        "fm_conv_rows_s8": ROWS_SCRATCH,
        "fm_conv_s8": pair,
        "fm_conv_pair_s8": pair,
    }
    return max(dsp[kernel_for(p)], PORTABLE_SCRATCH)


def emit_c(layer: Layer, mode: str) -> KernelCall:
    return KernelCall(
        kernel_for(layer.params),
        {"p": fields_from("fm_conv_params_t", layer.params), "rq": requant_struct(layer, mode)},
        [0],
        weights_and_bias(layer),
    )


def cost(layer: Layer) -> int:
    p = layer.params
    return p["out_c"] * p["out_h"] * p["out_w"] * (p["in_c"] // p["groups"]) * p["k_h"] * p["k_w"]
