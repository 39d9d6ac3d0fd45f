"""MaxPool (1-D and 2-D; stride, padding, dilation, ceil_mode): kernel `fm_maxpool_s8`.

Input and output share one quantization (ONNX Runtime's quantizer guarantees it; otherwise rejected),
so pooling is a max over int8 values; padded positions are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flightml.compiler.abi import KernelCall, fields_from
from flightml.compiler.ir import Layer
from flightml.compiler.ops.common import NodeIn
from flightml.compiler.ops.conv import window_geometry, window_params

KIND = "maxpool"
ONNX_OPS = ("MaxPool",)
TFLITE_OPS = {"MAX_POOL_2D": "MaxPool"}


def resolve(n: NodeIn, mode: str) -> Layer:
    x = n.act(0)
    rank = len(x.shape) - 2
    if rank not in (1, 2):
        raise n.fail(f"only 1-D and 2-D pooling is supported (input shape {list(x.shape)})")
    if len(n.node.output) > 1 and n.node.output[1]:
        raise n.fail("the Indices output is not supported")
    if (x.scale, x.zp) != (n.out.scale, n.out.zp) or (n.act_min, n.act_max) != (-128, 127):
        raise n.fail("input and output quantization must be equal (no requantization or clamp in MaxPool)")
    kernel = list(n.attr("kernel_shape", []))
    if len(kernel) != rank:
        raise n.fail(f"kernel_shape must have {rank} values")
    strides, dils, begins, outs = window_geometry(n, list(x.shape[2:]), kernel)
    params = dict(channels=int(x.shape[1]), **window_params(list(x.shape[2:]), kernel, strides, dils, begins, outs))
    return Layer(KIND, n.node.name, n.node.op_type, [x.name], n.out.name, (1, int(x.shape[1]), *outs), params)


def pool_max(x: np.ndarray, p: Mapping[str, int], prefix: str = "") -> np.ndarray:
    """Batched max pooling of int64 x [B, C, in_h, in_w] with params `prefix + key`."""
    g = fields_from("fm_pool_params_t", p, prefix)
    b = x.shape[0]
    x = x.reshape(b, g["channels"], g["in_h"], g["in_w"]).astype(np.int64)
    span_h = (g["out_h"] - 1) * g["stride_h"] + (g["k_h"] - 1) * g["dil_h"] + 1
    span_w = (g["out_w"] - 1) * g["stride_w"] + (g["k_w"] - 1) * g["dil_w"] + 1
    pad_b = max(0, span_h - g["in_h"] - g["pad_top"])
    pad_r = max(0, span_w - g["in_w"] - g["pad_left"])
    xp = np.pad(x, ((0, 0), (0, 0), (g["pad_top"], pad_b), (g["pad_left"], pad_r)), constant_values=-(2**40))
    out = np.full((b, g["channels"], g["out_h"], g["out_w"]), -(2**40), dtype=np.int64)
    for kh in range(g["k_h"]):
        for kw in range(g["k_w"]):
            h0, w0 = kh * g["dil_h"], kw * g["dil_w"]
            tap = xp[
                :,
                :,
                h0 : h0 + (g["out_h"] - 1) * g["stride_h"] + 1 : g["stride_h"],
                w0 : w0 + (g["out_w"] - 1) * g["stride_w"] + 1 : g["stride_w"],
            ]
            out = np.maximum(out, tap)
    return out


def reference(layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray], mode: str) -> np.ndarray:
    out = pool_max(inputs[0], layer.params)
    return out.reshape(out.shape[0], *layer.out_shape[1:])


def emit_c(layer: Layer, mode: str) -> KernelCall:
    return KernelCall("fm_maxpool_s8", {"p": fields_from("fm_pool_params_t", layer.params)}, [0])


def cost(layer: Layer) -> int:
    return 0
