"""Conv + MaxPool fused by passes.fuse_conv_maxpool (kernel `fm_conv_maxpool_s8`, or
`fm_conv_maxpool_pair_s8` for the SpectrumNet shape: kernel_for): the conv output is
never stored whole, which removes the largest buffer of a Conv+Relu+MaxPool block from the arena.

params = the conv's params plus the pool's params prefixed `pool_`; requant is applied per conv
output before the max (requantization is monotonic, so this equals pooling the stored conv output).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flightml.compiler.abi import KernelCall, fields_from
from flightml.compiler.ir import Layer
from flightml.compiler.ops import conv, maxpool
from flightml.compiler.ops.common import NodeIn, apply_requant, requant_struct, weights_and_bias

KIND = "conv_maxpool"
ONNX_OPS: tuple[str, ...] = ()


def resolve(n: NodeIn, mode: str) -> Layer:
    raise n.fail("conv_maxpool is formed by fusion, not from a single node")


def fuse(conv_layer: Layer, pool_layer: Layer) -> Layer:
    """One layer computing pool(conv(x)); the pool's input dims must be the conv's output dims."""
    params = dict(conv_layer.params)
    params.update({f"pool_{k}": v for k, v in pool_layer.params.items()})
    return Layer(
        KIND,
        f"{conv_layer.node}+{pool_layer.node}",
        f"{conv_layer.onnx_op}+{pool_layer.onnx_op}",
        list(conv_layer.inputs),
        pool_layer.output,
        pool_layer.out_shape,
        params,
        dict(conv_layer.consts),
    )


def reference(layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray], mode: str) -> np.ndarray:
    acc = conv.conv_acc(layer, inputs[0], consts)
    y = apply_requant(acc, layer, consts, mode, channel_axis=1)
    out = maxpool.pool_max(y, layer.params, prefix="pool_")
    return out.reshape(out.shape[0], *layer.out_shape[1:])


PORTABLE_SCRATCH = 2 * 2 * 64  # kernels/portable/conv.c: conv and best rows (2 * FM_POOL_SPAN each)


def scratch_bytes(layer: Layer) -> int:
    """Scratch of fm_conv_maxpool_s8 for this shape (DSP pooled pair path or the portable kernel)."""
    return max(conv.pair_scratch(layer.params, True), PORTABLE_SCRATCH)


def emit_c(layer: Layer, mode: str) -> KernelCall:
    p = layer.params
    structs = {
        "p": fields_from("fm_conv_params_t", p),
        "pool": fields_from("fm_pool_params_t", p, "pool_"),
        "rq": requant_struct(layer, mode),
    }
    return KernelCall(kernel_for(p), structs, [0], weights_and_bias(layer))


def kernel_for(p: Mapping[str, int]) -> str:
    """fm_conv_maxpool_pair_s8 for the Conv1d shape (conv.pair_shape) with a 1 x 2 pool, stride 1 x 2, no
    padding, over the whole conv output (fm_kernels.h: the DSP pair path alone); else fm_conv_maxpool_s8."""
    pool = (p["pool_k_h"], p["pool_k_w"], p["pool_stride_h"], p["pool_stride_w"], p["pool_dil_w"])
    whole = p["pool_pad_top"] == p["pool_pad_left"] == 0 and (p["pool_out_h"], p["pool_out_w"]) == (
        p["out_h"],
        p["out_w"] // 2,
    )
    if conv.pair_shape(p) and pool == (1, 2, 1, 2, 1) and whole:
        return "fm_conv_maxpool_pair_s8"
    return "fm_conv_maxpool_s8"


def cost(layer: Layer) -> int:
    p = layer.params
    taps = p["pool_out_h"] * p["pool_out_w"] * p["pool_k_h"] * p["pool_k_w"]
    return p["out_c"] * taps * (p["in_c"] // p["groups"]) * p["k_h"] * p["k_w"]
