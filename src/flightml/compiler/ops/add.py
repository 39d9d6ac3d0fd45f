"""Add (residual connections; MatMul + constant bias), requantized: kernel `fm_add_s8`.

Inputs: two activations, or an activation and a constant; one input may broadcast over the trailing
dimensions of the other (x[i % size]). fixedpoint: TFLM-style integer Add; ort-exact: ONNX Runtime's
QLinearAdd (MLAS AVX2 float32 with fused multiply-adds, on raw uint8/int8 values).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flightml.compiler import requant
from flightml.compiler.abi import KernelCall, fields_from
from flightml.compiler.ir import Layer, QConst, QTensor
from flightml.compiler.ops.common import NodeIn, QLinear

KIND = "add"
ONNX_OPS = ("Add",)
QLINEAR = {"QLinearAdd": QLinear("Add", (0, 3), 6)}
TFLITE_OPS = {"ADD": "Add"}


def _operand(n: NodeIn, i: int) -> tuple[QTensor | None, np.ndarray | None, float, int, tuple[int, ...]]:
    """(activation or None, int8 constant data or None, scale, zp (int8 domain), shape without batch)."""
    x = n.inputs[i] if i < len(n.inputs) else None
    if isinstance(x, QTensor):
        return x, None, x.scale, x.zp, tuple(x.shape[1:])
    if isinstance(x, QConst) and np.asarray(x.scale).size == 1 and np.asarray(x.zp).size == 1:
        data = np.asarray(x.data)
        if data.dtype not in (np.int8, np.uint8):
            raise n.fail(f"constant input {i} must be int8 or uint8, got {data.dtype}")
        shift = 128 if data.dtype == np.uint8 else 0
        data = (data.astype(np.int16) - shift).astype(np.int8)
        zp = int(np.asarray(x.zp).ravel()[0]) - shift
        return None, data, float(np.float32(np.asarray(x.scale).ravel()[0])), zp, tuple(data.shape)
    raise n.fail(f"input {i} must be a quantized activation or a per-tensor quantized constant")


def _broadcast_size(n: NodeIn, shape: tuple[int, ...], out: tuple[int, ...]) -> int:
    trimmed = list(shape)
    while trimmed and trimmed[0] == 1:
        trimmed.pop(0)
    if tuple(trimmed) != tuple(out[len(out) - len(trimmed) :]):
        raise n.fail(f"input shape {list(shape)} must equal the trailing dimensions of the output {list(out)}")
    return int(np.prod(trimmed, dtype=np.int64))


def resolve(n: NodeIn, mode: str) -> Layer:
    rq = requant.for_mode(mode)
    if rq.refusal("Add"):
        raise n.fail(rq.refusal("Add"))
    a, a_data, s_a, z_a, shape_a = _operand(n, 0)
    b, b_data, s_b, z_b, shape_b = _operand(n, 1)
    if a is None and b is None:
        raise n.fail("at least one input must be an activation")
    act = a or b
    out_shape = tuple(np.broadcast_shapes(shape_a, shape_b))
    size = int(np.prod(out_shape, dtype=np.int64))
    raw = 128 if act is not None and act.unsigned else 0
    params = {
        "size": size,
        "a_size": _broadcast_size(n, shape_a, out_shape),
        "b_size": _broadcast_size(n, shape_b, out_shape),
        "a_zp": z_a,
        "b_zp": z_b,
        "out_zp": n.out.zp,
        "raw_offset": raw,
        "act_min": n.act_min,
        "act_max": n.act_max,
        "a_const": int(a is None),
        "b_const": int(b is None),
    }
    consts = rq.add_consts((s_a, s_b, n.out.scale), (z_a + raw, z_b + raw, n.out.zp + raw))
    if a_data is not None:
        consts["a"] = a_data.reshape(-1)
    if b_data is not None:
        consts["b"] = b_data.reshape(-1)
    inputs = [t.name for t in (a, b) if t is not None]
    return Layer(KIND, n.node.name, n.node.op_type, inputs, n.out.name, (1, *out_shape), params, consts)


def reference(layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray], mode: str) -> np.ndarray:
    p, c = layer.params, layer.cname
    batch = inputs[0].shape[0]
    acts = iter(inputs)
    ops = []
    for key in ("a", "b"):
        data = consts[f"{c}_{key}"][None] if p[f"{key}_const"] else next(acts).reshape(batch, -1)
        idx = np.arange(p["size"]) % p[f"{key}_size"]
        ops.append(np.broadcast_to(data, (batch, data.shape[1]))[:, idx].astype(np.int64))
    values = {k: consts[f"{c}_{k}"] for k in ("mult", "shift", "scale") if f"{c}_{k}" in consts}
    out = requant.for_mode(mode).requant_add(ops[0], ops[1], p, values)
    return out.reshape(batch, *layer.out_shape[1:])


def emit_c(layer: Layer, mode: str) -> KernelCall:
    p, c = layer.params, layer.cname
    rq = fields_from("fm_add_requant_t", {**p, **requant.for_mode(mode).pointers(c)})
    acts = iter(range(2))
    operands: list[int | str] = [f"{c}_{k}" if p[f"{k}_const"] else next(acts) for k in ("a", "b")]
    return KernelCall("fm_add_s8", {"p": fields_from("fm_add_params_t", p), "rq": rq}, operands)


TABLE_MIN = 256  # FM_ADD_TABLE_MIN (kernels/dsp/add.c): elements from which the DSP Add builds its tables
TABLE_BYTES = 2 * 256 * 4  # two int32 tables indexed by an input byte
PORTABLE_SCRATCH = 8  # kernels/portable/add.c uses none (its entry point takes non-NULL)


def scratch_bytes(layer: Layer) -> int:
    """Scratch of the Add kernels: the DSP set's per-input tables for residual (same sizes) integer-mode Adds."""
    p = layer.params
    tables = p["a_size"] == p["b_size"] == p["size"] >= TABLE_MIN and "mult" in layer.consts
    return TABLE_BYTES if tables else PORTABLE_SCRATCH


def cost(layer: Layer) -> int:
    return 0
