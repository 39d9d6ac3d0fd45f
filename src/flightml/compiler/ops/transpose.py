"""Transpose (e.g. the NHWC -> NCHW transpose converters put after an int8 graph input): `fm_transpose_s8`.

A pure layout change (the permutation only moves dimensions of size 1, so the row-major bytes stay in
order) is folded into the layout: a view, no kernel, no copy (`as_view`). Any other permutation keeping
the batch first, up to 4 dimensions after the batch, is a copy kernel. Quantization is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flightml.compiler.abi import KernelCall, fields_from
from flightml.compiler.ir import Layer
from flightml.compiler.ops.common import NodeIn

KIND = "transpose"
ONNX_OPS = ("Transpose",)


def _perm(n: NodeIn, rank: int) -> list[int]:
    perm = n.attr("perm")
    perm = list(range(rank))[::-1] if perm is None else [int(p) for p in perm]
    if sorted(perm) != list(range(rank)):
        raise n.fail(f"perm {perm} is not a permutation of {rank} dimensions")
    return perm


def as_view(n: NodeIn) -> tuple[int, ...] | None:
    """The output shape when the transpose only moves size-1 dimensions (bytes unchanged), else None."""
    x = n.act(0)
    perm = _perm(n, len(x.shape))
    moved = [p for p in perm if x.shape[p] != 1]
    if moved != sorted(moved):
        return None
    return tuple(int(x.shape[p]) for p in perm)


def resolve(n: NodeIn, mode: str) -> Layer:
    x = n.act(0)
    perm = _perm(n, len(x.shape))
    if perm[0] != 0 or len(perm) > 5:
        raise n.fail(f"only permutations keeping the batch first, of at most 5 dimensions, are supported: {perm}")
    in_shape = [int(d) for d in x.shape[1:]]
    strides = [int(np.prod(in_shape[i + 1 :], dtype=np.int64)) for i in range(len(in_shape))]
    inner = [p - 1 for p in perm[1:]]
    pad = 4 - len(inner)
    dims = [1] * pad + [in_shape[i] for i in inner]
    steps = [0] * pad + [strides[i] for i in inner]
    params = {**{f"d{i}": dims[i] for i in range(4)}, **{f"s{i}": steps[i] for i in range(4)}}
    out_shape = (1, *(in_shape[i] for i in inner))
    return Layer(KIND, n.node.name, n.node.op_type, [x.name], n.out.name, out_shape, params)


def reference(layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray], mode: str) -> np.ndarray:
    p = layer.params
    b = inputs[0].shape[0]
    flat = inputs[0].reshape(b, -1)
    index = np.zeros((p["d0"], p["d1"], p["d2"], p["d3"]), dtype=np.int64)
    for i in range(4):
        shape = [1, 1, 1, 1]
        shape[i] = p[f"d{i}"]
        index = index + (np.arange(p[f"d{i}"], dtype=np.int64) * p[f"s{i}"]).reshape(shape)
    return flat[:, index.ravel()].reshape(b, *layer.out_shape[1:])


def emit_c(layer: Layer, mode: str) -> KernelCall:
    return KernelCall("fm_transpose_s8", {"p": fields_from("fm_transpose_params_t", layer.params)}, [0])


def cost(layer: Layer) -> int:
    return 0
