"""TFLite's int8 AVERAGE_POOL_2D: `fm_avgpool_div_s8`. Input and output share one quantization; each
output is the window's sum of raw int8 values over its valid (unpadded) positions divided by their
count, rounded half away from zero (TFLite's reference kernel), then clamped to the fused activation.
Integer division only, so it is the same in every requant mode. Reached from the TFLite front end only.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flightml.compiler.abi import KernelCall, fields_from
from flightml.compiler.ir import Layer
from flightml.compiler.ops.common import NodeIn
from flightml.compiler.ops.conv import window_geometry, window_params

KIND = "avgpool_div"
ONNX_OPS: tuple[str, ...] = ()
TFLITE_OPS = {"AVERAGE_POOL_2D": "AveragePool"}


def resolve(n: NodeIn, mode: str) -> Layer:
    x = n.act(0)
    if len(x.shape) != 4:
        raise n.fail(f"only 2-D average pooling is supported (input shape {list(x.shape)})")
    if (x.scale, x.zp) != (n.out.scale, n.out.zp):
        raise n.fail("input and output quantization must be equal (TFLite's int8 average pool)")
    kernel = list(n.attr("kernel_shape", []))
    strides, dils, begins, outs = window_geometry(n, list(x.shape[2:]), kernel)
    geometry = window_params(list(x.shape[2:]), kernel, strides, dils, begins, outs)
    params = dict(channels=int(x.shape[1]), **geometry, act_min=n.act_min, act_max=n.act_max)
    return Layer(KIND, n.node.name, n.node.op_type, [x.name], n.out.name, (1, int(x.shape[1]), *outs), params)


def reference(layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray], mode: str) -> np.ndarray:
    p = layer.params
    b = inputs[0].shape[0]
    x = inputs[0].reshape(b, p["channels"], p["in_h"], p["in_w"]).astype(np.int64)
    total = np.zeros((b, p["channels"], p["out_h"], p["out_w"]), dtype=np.int64)
    count = np.zeros((p["out_h"], p["out_w"]), dtype=np.int64)
    for oh in range(p["out_h"]):
        for ow in range(p["out_w"]):
            h = [oh * p["stride_h"] - p["pad_top"] + k * p["dil_h"] for k in range(p["k_h"])]
            w = [ow * p["stride_w"] - p["pad_left"] + k * p["dil_w"] for k in range(p["k_w"])]
            h = [i for i in h if 0 <= i < p["in_h"]]
            w = [i for i in w if 0 <= i < p["in_w"]]
            total[:, :, oh, ow] = x[:, :, h][:, :, :, w].sum(axis=(2, 3))
            count[oh, ow] = len(h) * len(w)
    count = np.maximum(count, 1)
    avg = np.sign(total) * ((np.abs(total) + count // 2) // count)
    out = np.clip(avg, p["act_min"], p["act_max"])
    return out.reshape(b, *layer.out_shape[1:])


def emit_c(layer: Layer, mode: str) -> KernelCall:
    return KernelCall("fm_avgpool_div_s8", {"ap": fields_from("fm_avgpool_div_params_t", layer.params)}, [0])


def cost(layer: Layer) -> int:
    return 0
