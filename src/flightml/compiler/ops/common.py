"""Shared pieces of the op modules: the resolved node view, attribute access, requant constants.

An op module defines KIND, ONNX_OPS and four faces: `resolve(node_in, mode) -> Layer`,
`reference(layer, inputs, consts, mode) -> np.ndarray` (batched int64, the arbiter),
`emit_c(layer, mode) -> abi.KernelCall` and `cost(layer) -> int` (multiply-accumulates); optionally
QLINEAR, TFLITE_OPS, scratch_bytes, KERNELS and STRUCTS (the op template: compiler README, "Ops").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import helper

from flightml.compiler import requant
from flightml.compiler.ir import Layer, QConst, QTensor
from flightml.errors import InputError

Input = QTensor | QConst | np.ndarray | None


@dataclass(frozen=True)
class QLinear:
    """How a QOperator op type (QLinear*, QGemm) is read: as the ONNX op `op`, its inputs the (tensor,
    scale, zero point) triples at `triples` (empty: one triple per input from `out_scale + 2` on, as
    QLinearConcat), its output scale and zero point at `out_scale` and `out_scale + 1`."""

    op: str
    triples: tuple[int, ...]
    out_scale: int


def node_label(node: onnx.NodeProto) -> str:
    """How messages name a node: its name (or first output when unnamed) and its real op type."""
    name = node.name or f"<unnamed, output {node.output[0] if node.output else '?'}>"
    return f"node '{name}' ({node.op_type})"


@dataclass
class NodeIn:
    """A compute node with its inputs resolved: activations (QTensor), quantized constants (QConst),
    plain initializers (ndarray) or absent (None); `out` has scale/zp (shape filled by resolve)."""

    node: onnx.NodeProto
    inputs: list[Input]
    out: QTensor
    act_min: int = -128
    act_max: int = 127
    op_type: str = ""

    @property
    def where(self) -> str:
        return node_label(self.node)

    def attr(self, name: str, default: Any = None) -> Any:
        for a in self.node.attribute:
            if a.name == name:
                value = helper.get_attribute_value(a)
                return value.decode() if isinstance(value, bytes) else value
        return default

    def fail(self, reason: str) -> InputError:
        return InputError(f"{self.where}: {reason}")

    def act(self, i: int) -> QTensor:
        x = self.inputs[i] if i < len(self.inputs) else None
        if not isinstance(x, QTensor):
            raise self.fail(f"input {i} must be a quantized activation (DequantizeLinear of a QuantizeLinear)")
        return x

    def qconst(self, i: int, what: str) -> QConst:
        c = self.inputs[i] if i < len(self.inputs) else None
        if not isinstance(c, QConst):
            raise self.fail(f"{what} (input {i}) must be a constant quantized initializer")
        return c


def int8_weights(where: str, w: QConst) -> tuple[np.ndarray, int]:
    """Weights -> (int8 data, w_offset); uint8 shifted by -128; per-channel zero points must be equal."""
    zps = np.unique(np.asarray(w.zp, dtype=np.int64))
    if zps.size != 1:
        raise InputError(f"{where}: per-channel weight zero points must be equal, got {zps.tolist()}")
    data = np.asarray(w.data)
    zp = int(zps[0])
    if data.dtype == np.uint8:
        return (data.astype(np.int16) - 128).astype(np.int8), -(zp - 128)
    if data.dtype != np.int8:
        raise InputError(f"{where}: weights must be int8 or uint8, got {data.dtype}")
    return data, -zp


def int32_bias(where: str, b: Input, channels: int) -> np.ndarray | None:
    """The int32 bias of `channels` outputs (ONNX Runtime adds it to the accumulator unchanged)."""
    if b is None:
        return None
    data = b.data if isinstance(b, QConst) else b
    if not isinstance(data, np.ndarray) or data.dtype != np.int32 or data.size != channels:
        raise InputError(f"{where}: bias must be an int32 constant of {channels} values")
    if isinstance(b, QConst) and np.any(np.asarray(b.zp) != 0):
        raise InputError(f"{where}: bias zero point must be 0")
    return data.reshape(channels).astype(np.int32)


def check_accumulator(where: str, w_rows: np.ndarray, w_offset: int) -> None:
    """Reject weights whose sum of products could overflow int32 (|x + in_offset| <= 255)."""
    bound = 255 * np.abs(w_rows.astype(np.int64) + w_offset).sum(axis=1).max(initial=0)
    if bound >= 2**31:
        raise InputError(f"{where}: accumulator may overflow int32 (bound {bound}); layer too large")


def requant_fields(
    where: str, s_in: float, w_scale: np.ndarray, out: QTensor, act: tuple[int, int], mode: str
) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """Requant params (per_channel, out_zp, act_min, act_max) and consts (mult+shift or scale)."""
    w_scale = np.asarray(w_scale, dtype=np.float32).ravel()
    params = {"per_channel": int(w_scale.size > 1), "out_zp": out.zp, "act_min": act[0], "act_max": act[1]}
    if act[0] > act[1]:
        raise InputError(f"{where}: empty activation range [{act[0]}, {act[1]}]")
    try:
        return params, requant.for_mode(mode).layer_consts(s_in, w_scale, out.scale)
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None


def apply_requant(
    acc: np.ndarray, layer: Layer, consts: Mapping[str, np.ndarray], mode: str, channel_axis: int
) -> np.ndarray:
    """Requantize a batched int64 accumulator whose channel dimension is `channel_axis`."""
    p = layer.params

    def per_channel(key: str) -> np.ndarray:
        v = np.asarray(consts[f"{layer.cname}_{key}"])
        if not p["per_channel"]:
            return v.ravel()[:1].reshape(())
        shape = [1] * acc.ndim
        shape[channel_axis] = -1
        return v.reshape(shape)

    keys = [k for k in ("mult", "shift", "scale") if f"{layer.cname}_{k}" in consts]
    values = {k: per_channel(k) for k in keys}
    return requant.for_mode(mode).requant(acc, values, p["out_zp"], p["act_min"], p["act_max"])


def requant_struct(layer: Layer, mode: str) -> dict[str, Any]:
    """The fm_requant_t field values of a layer (model.c)."""
    return requant.for_mode(mode).struct(layer.cname, layer.params)


def weights_and_bias(layer: Layer) -> list[str]:
    """The constant arguments of a weighted layer: its weights and its bias (or NULL)."""
    c = layer.cname
    return [f"{c}_weights", f"{c}_bias" if "bias" in layer.consts else "NULL"]
