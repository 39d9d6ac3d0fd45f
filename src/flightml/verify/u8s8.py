"""ONNX Runtime's x86 U8S8 rule (AVX2 without VNNI), emulated on any host.

A default ONNX Runtime session fuses the QDQ graph into QLinearConv / QGemm / QLinearMatMul and feeds
MLAS's U8S8 kernels: activations as uint8 (int8 + 128, zero point + 128), weights int8. On AVX2 without
VNNI, VPMADDUBSW adds the products of consecutive k (k = 2j, 2j + 1) into a saturating int16, and the
pair sums are then added in int32 (tests/ort_x86/fixture/PROVENANCE.md). Convolutions reduce
over K = (kh * kW + kw) * C + c (channels-last, per group); Gemm/MatMul along K. Depthwise convolutions
(one channel per group) take MLAS's depthwise kernel, exact in int32; so do layers with uint8 weights
(U8U8). The zero-point corrections and the bias are exact; requantization is ONNX Runtime's (ort-exact).

`SaturatingReference(graph, uint8_weight_nodes)` runs an `ort-exact` Graph with that rule and counts,
per layer, the pair sums that saturate and the accumulators that change.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import onnx

from flightml.compiler import qparams
from flightml.compiler.ir import Graph, Layer
from flightml.compiler.ops import maxpool
from flightml.compiler.ops.common import apply_requant
from flightml.verify.reference import Reference

INT16_MIN, INT16_MAX = -32768, 32767
CHUNK_ELEMENTS = 1 << 24  # products held at once (int32): bounds memory at 64 MiB


@dataclass
class LayerSaturation:
    """Counts for one layer over a batch: pair sums (saturated / all) and accumulators (changed / all)."""

    node: str
    kind: str
    path: str
    pairs: int = 0
    saturated_pairs: int = 0
    accumulators: int = 0
    changed_accumulators: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "node": self.node,
            "kind": self.kind,
            "ort_path": self.path,
            "saturated_pair_fraction": self.saturated_pairs / self.pairs if self.pairs else 0.0,
            "changed_accumulator_fraction": (
                self.changed_accumulators / self.accumulators if self.accumulators else 0.0
            ),
            "pairs": self.pairs,
            "saturated_pairs": self.saturated_pairs,
        }


def pair_saturating_dot(a: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, int]:
    """sum_k a[..., k] * w[n, k] with consecutive pairs clamped to int16 -> (int64 [..., N], saturated pairs).

    `a` holds uint8 values (0..255), `w` int8 values [N, K]; an odd K is padded with a zero product.
    """
    a = np.asarray(a, dtype=np.int32)
    w = np.asarray(w, dtype=np.int32)
    k = w.shape[1]
    if k % 2:
        a = np.concatenate([a, np.zeros((*a.shape[:-1], 1), np.int32)], axis=-1)
        w = np.concatenate([w, np.zeros((w.shape[0], 1), np.int32)], axis=-1)
    rows = a.reshape(-1, a.shape[-1])
    out = np.empty((rows.shape[0], w.shape[0]), dtype=np.int64)
    saturated = 0
    step = max(1, CHUNK_ELEMENTS // max(1, w.size))
    for i in range(0, rows.shape[0], step):
        r = rows[i : i + step]
        pairs = r[:, None, 0::2] * w[None, :, 0::2] + r[:, None, 1::2] * w[None, :, 1::2]
        clipped = np.clip(pairs, INT16_MIN, INT16_MAX)
        saturated += int(np.count_nonzero(clipped != pairs))
        out[i : i + step] = clipped.sum(axis=2, dtype=np.int64)
    return out.reshape(*a.shape[:-1], w.shape[0]), saturated


def conv_columns(layer: Layer, x_u8: np.ndarray, zp_u8: int) -> np.ndarray:
    """im2col as ONNX Runtime builds it: [B, groups, out_h * out_w, kH * kW * C/g], channels-last K,
    padding filled with the input zero point."""
    p = layer.params
    b, g = x_u8.shape[0], p["groups"]
    cg = p["in_c"] // g
    x = x_u8.reshape(b, p["in_c"], p["in_h"], p["in_w"])
    span_h = (p["out_h"] - 1) * p["stride_h"] + (p["k_h"] - 1) * p["dil_h"] + 1
    span_w = (p["out_w"] - 1) * p["stride_w"] + (p["k_w"] - 1) * p["dil_w"] + 1
    pads = ((0, 0), (0, 0), (p["pad_top"], max(0, span_h - p["in_h"] - p["pad_top"])))
    pads += ((p["pad_left"], max(0, span_w - p["in_w"] - p["pad_left"])),)
    xp = np.pad(x, pads, constant_values=zp_u8)
    taps = []
    for kh in range(p["k_h"]):
        for kw in range(p["k_w"]):
            h0, w0 = kh * p["dil_h"], kw * p["dil_w"]
            tap = xp[:, :, h0 : h0 + span_h - (p["k_h"] - 1) * p["dil_h"] : p["stride_h"]]
            taps.append(tap[:, :, :, w0 : w0 + span_w - (p["k_w"] - 1) * p["dil_w"] : p["stride_w"]])
    cols = np.stack(taps, axis=1)  # [B, taps, C, out_h, out_w]
    cols = cols.reshape(b, len(taps), g, cg, p["out_h"] * p["out_w"])
    return cols.transpose(0, 2, 4, 1, 3).reshape(b, g, p["out_h"] * p["out_w"], len(taps) * cg)


def _zero_point_corrected(raw: np.ndarray, a: np.ndarray, w: np.ndarray, zp_a: int, w_offset: int) -> np.ndarray:
    """sum (a - zp_a) * (w + w_offset) from the raw sum of a * w (MLAS's exact row/column-sum terms)."""
    k = w.shape[1]
    col = w.astype(np.int64).sum(axis=1)
    row = a.astype(np.int64).sum(axis=-1, keepdims=True)
    return raw - zp_a * col + w_offset * row - k * zp_a * w_offset


class SaturatingReference(Reference):
    """The integer reference of an `ort-exact` Graph with ONNX Runtime's x86 U8S8 accumulation."""

    def __init__(self, graph: Graph, uint8_weight_nodes: Collection[str] = ()) -> None:
        if graph.mode != "ort-exact":
            raise ValueError("the U8S8 emulation runs on an ort-exact Graph")
        super().__init__(graph)
        self.u8u8 = set(uint8_weight_nodes)
        self.stats: list[LayerSaturation] = []

    def path(self, layer: Layer) -> str:
        if layer.kind == "fc" or layer.kind.startswith("conv"):
            if layer.node.split("+")[0] in self.u8u8:
                return "U8U8 (exact)"
            if layer.kind != "fc" and layer.params["in_c"] == layer.params["groups"] == layer.params["out_c"]:
                return "depthwise (exact)"
            return "U8S8 (int16 pair saturation)"
        return "exact"

    def run(self, x: np.ndarray) -> np.ndarray:
        self.stats = [LayerSaturation(layer.node, layer.kind, self.path(layer)) for layer in self.graph.layers]
        return super().run(x)

    def layer_output(self, layer: Layer, inputs: list[np.ndarray]) -> np.ndarray:
        stat = self.stats[layer.index]
        if not stat.path.startswith("U8S8"):
            return super().layer_output(layer, inputs)
        p = layer.params
        zp_u8 = -p["in_offset"] + 128
        x_u8 = inputs[0] + 128
        w = self.consts[f"{layer.cname}_weights"].astype(np.int64)
        if layer.kind == "fc":
            a = x_u8.reshape(x_u8.shape[0], p["rows"], p["in_features"])
            wk = w
            raw, sat = pair_saturating_dot(a, wk)
            acc = _zero_point_corrected(raw, a, wk, zp_u8, p["w_offset"])
            exact = np.einsum("brk,nk->brn", a - zp_u8, wk + p["w_offset"])
        else:
            g, m = p["groups"], p["out_c"]
            mg = m // g
            a = conv_columns(layer, x_u8, zp_u8)  # [B, g, P, K]
            wk = w.reshape(g, mg, -1, p["k_h"] * p["k_w"]).transpose(0, 1, 3, 2).reshape(g, mg, -1)
            parts, sat, exact_parts = [], 0, []
            for gi in range(g):
                raw, s = pair_saturating_dot(a[:, gi], wk[gi])
                sat += s
                parts.append(_zero_point_corrected(raw, a[:, gi], wk[gi], zp_u8, p["w_offset"]))
                exact_parts.append(np.einsum("bpk,nk->bpn", a[:, gi] - zp_u8, wk[gi] + p["w_offset"]))
            acc = np.concatenate(parts, axis=2).transpose(0, 2, 1)  # [B, M, P]
            exact = np.concatenate(exact_parts, axis=2).transpose(0, 2, 1)
        stat.pairs += int(np.prod(acc.shape, dtype=np.int64)) * ((wk.shape[-1] + 1) // 2)
        stat.saturated_pairs += sat
        stat.accumulators += int(acc.size)
        stat.changed_accumulators += int(np.count_nonzero(acc != exact))
        return self.finish(layer, acc)

    def finish(self, layer: Layer, acc: np.ndarray) -> np.ndarray:
        """Bias, requantization (and the fused MaxPool) of an accumulator, as the op's reference does."""
        p = layer.params
        b = acc.shape[0]
        bias = self.consts.get(f"{layer.cname}_bias")
        if layer.kind == "fc":
            if bias is not None:
                acc = qparams.sat_add32(acc, bias.reshape(1, 1, -1))
            out = apply_requant(acc, layer, self.consts, "ort-exact", channel_axis=2)
            return out.reshape(b, *layer.out_shape[1:])
        acc = acc.reshape(b, p["out_c"], p["out_h"], p["out_w"])
        if bias is not None:
            acc = qparams.sat_add32(acc, bias.reshape(1, -1, 1, 1))
        out = apply_requant(acc, layer, self.consts, "ort-exact", channel_axis=1)
        if layer.kind == "conv_maxpool":
            out = maxpool.pool_max(out, p, prefix="pool_")
        return out.reshape(b, *layer.out_shape[1:])


def uint8_weight_nodes(model: onnx.ModelProto) -> set[str]:
    """Names of the nodes whose weights (input 1, or input 3 of QOperator ops) are uint8 in the model,
    directly or through a DequantizeLinear: ONNX Runtime runs those with exact U8U8 kernels."""
    uint8 = {i.name for i in model.graph.initializer if i.data_type == onnx.TensorProto.UINT8}
    dq = {n.output[0] for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input[0] in uint8}
    names = set()
    for node in model.graph.node:
        idx = 3 if node.op_type in ("QLinearConv", "QLinearMatMul", "QGemm") else 1
        if len(node.input) > idx and (node.input[idx] in uint8 or node.input[idx] in dq):
            names.add(node.name)
    return names
