"""Transpose that rotates the non-batch axes (NHWC <-> NCHW at a graph edge, or before a flatten):
kernel `fm_transpose_s8`. The input viewed as [rows, cols] is written out as [cols, rows]; ONNX perm
[0, k, ..., r-1, 1, ..., k-1] splits the input axes after axis k - 1. No arithmetic; quantization
unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flightml.compiler.ir import Layer
from flightml.compiler.ops.common import KernelCall, NodeIn, params_struct

KIND = "transpose"
ONNX_OPS = ("Transpose",)
KEYS = ["rows", "cols"]


def resolve(n: NodeIn, mode: str) -> Layer:
    x = n.act(0)
    rank = len(x.shape)
    perm = [int(p) for p in n.attr("perm", list(range(rank - 1, -1, -1)))]
    rotations = {k: [0, *range(k, rank), *range(1, k)] for k in range(2, rank)}
    split = next((k for k, r in rotations.items() if r == perm), None)
    if split is None or x.shape[0] != 1:
        raise n.fail(f"only a rotation of the non-batch axes is supported, got perm {perm}")
    if (x.scale, x.zp) != (n.out.scale, n.out.zp) or (n.act_min, n.act_max) != (-128, 127):
        raise n.fail("input and output quantization must be equal for Transpose")
    rows = int(np.prod(x.shape[1:split], dtype=np.int64))
    out_shape = tuple(int(x.shape[p]) for p in perm)
    params = {"rows": rows, "cols": x.size // rows}
    return Layer(KIND, n.node.name, n.node.op_type, [x.name], n.out.name, out_shape, params)


def reference(layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray], mode: str) -> np.ndarray:
    p = layer.params
    x = inputs[0].reshape(inputs[0].shape[0], p["rows"], p["cols"]).transpose(0, 2, 1)
    return x.reshape(x.shape[0], *layer.out_shape[1:])


def emit_c(layer: Layer, mode: str) -> KernelCall:
    c = layer.cname
    return KernelCall(
        "fm_transpose_s8", [params_struct(layer, "fm_transpose_params_t", "p", KEYS)], [f"&{c}_p", "IN0", "OUT"]
    )


def cost(layer: Layer) -> int:
    return 0
