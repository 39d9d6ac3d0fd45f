"""Softmax (int8, over the last axis), with the rounding of the oracle each mode is compared to.

- `fixedpoint`: TFLite's / TFLite Micro's exact integer softmax (reference_ops::Softmax for int8 in and
  out: gemmlowp fixed point, input rescaled by a Q5.26 multiplier, exp_on_negative_values, a Q12.19 sum
  and a Newton-Raphson reciprocal). The last step (probability -> output) is one rounding, half up, by
  the fixedpoint multiplier of 1 / (s_out * 2^31): with TFLite's output quantization (scale 1/256, zero
  point -128) that is exactly TFLite's RoundingDivideByPOT; other output scales (ONNX Runtime's quantizer
  writes 1/255) get the same single rounding. Kernel `fm_softmax_s8`.
- `ort-exact`: ONNX Runtime's QLinearSoftmax (what a default session fuses DequantizeLinear -> Softmax ->
  QuantizeLinear into): a float32 table exp((d_shift - d) * s_in) by distance d = max - x from the row
  maximum, a float32 running sum, and nearbyint(table[d] * floor(1 / s_out) / sum) + zp. The table is
  computed at compile time (float64 libm exp, rounded to float32, as ONNX Runtime does). Kernel
  `fm_softmax_ort_s8`.
- `ort-int`: not available (the ONNX Runtime arithmetic needs a float32 division).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from flightml.compiler import qparams, requant
from flightml.compiler.abi import KernelCall, field_names, fields_from
from flightml.compiler.ir import Layer, QTensor
from flightml.compiler.ops.common import NodeIn
from flightml.errors import InputError

KIND = "softmax"
ONNX_OPS = ("Softmax",)
TFLITE_OPS = {"SOFTMAX": "Softmax"}
SCALED_DIFF_BITS = 5  # TFLite kScaledDiffIntegerBits
ACCUM_BITS = 12  # TFLite kAccumulationIntegerBits
I32_MIN, I32_MAX = -(2**31), 2**31 - 1
# gemmlowp exp_on_negative_values: exp(-2^e) in Q0.31 for the bits of the remainder, e = -2..4
EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535), (3, 720401), (4, 242))


def resolve(n: NodeIn, mode: str) -> Layer:
    x = n.act(0)
    axis = n.attr("axis")
    if axis is None and len(x.shape) != 2:
        raise n.fail("Softmax on a rank > 2 input needs an explicit axis (its default changed at opset 13)")
    axis = int(-1 if axis is None else axis)
    if axis % max(len(x.shape), 1) != len(x.shape) - 1:
        raise n.fail(f"only Softmax over the last axis is supported (axis {axis}, input shape {list(x.shape)})")
    if (n.act_min, n.act_max) != (-128, 127):
        raise n.fail("a Relu/Clip after Softmax is not supported")
    return softmax_layer(n.where, n.node.name, n.node.op_type, x, n.out, mode)


def softmax_layer(where: str, node: str, op: str, x: QTensor, out: QTensor, mode: str, beta: float = 1.0) -> Layer:
    """The softmax Layer of activation `x` -> `out` (a front end's entry point: ONNX and TFLite)."""
    depth = int(x.shape[-1])
    rows = x.size // max(depth, 1)
    params = dict.fromkeys(field_names("fm_softmax_params_t"), 0) | {"rows": rows, "depth": depth, "out_zp": out.zp}
    consts: dict[str, np.ndarray] = {}
    rq = requant.for_mode(mode)
    if rq.refusal("Softmax"):
        raise InputError(f"{where}: {rq.refusal('Softmax')}")
    if rq.fixed_point:  # tflm: the same TFLite algorithm
        if depth >= 512:  # the Q12.19 sum and TFLite's final shift stay in range below 512 values
            raise InputError(f"{where}: fixedpoint Softmax supports at most 511 values per row, got {depth}")
        params.update(tflite_params(where, float(np.float32(x.scale)), beta))
        out_real = 1.0 / (float(np.float32(out.scale)) * 2.0**31)
        params["out_mult"], params["out_shift"] = qparams.quantize_multiplier(out_real)
    else:
        if beta != 1.0:
            raise InputError(f"{where}: ort-exact Softmax supports beta = 1 only, got {beta}")
        consts["table"] = ort_table(float(np.float32(x.scale)), float(np.float32(out.scale)), depth)
    return Layer(KIND, node, op, [x.name], out.name, tuple(x.shape), params, consts)


def tflite_params(where: str, s_in: float, beta: float) -> dict[str, int]:
    """TFLite PreprocessSoftmaxScaling + CalculateInputRadius (kScaledDiffIntegerBits = 5)."""
    real = min(beta * s_in * (1 << (31 - SCALED_DIFF_BITS)), (1 << 31) - 1.0)
    try:
        mult, shift = qparams.quantize_multiplier(real)
    except ValueError as exc:
        raise InputError(f"{where}: Softmax input scale times beta out of range ({exc})") from None
    if not 0 <= shift <= 30:  # TFLite's QuantizeMultiplierGreaterThanOne: beta * s_in >= 2^-26
        raise InputError(f"{where}: Softmax input scale times beta ({beta * s_in!r}) is below 2^-26")
    radius = ((1 << SCALED_DIFF_BITS) - 1) * (1 << (31 - SCALED_DIFF_BITS)) / (1 << shift)
    return {"input_mult": mult, "input_shift": shift, "diff_min": -math.floor(radius)}


def ort_table(s_in: float, s_out: float, depth: int) -> np.ndarray:
    """float32[257]: ONNX Runtime's exp table by distance from the row maximum (0..255), then floor(1/s_out)."""
    flt_max = float(np.finfo(np.float32).max)
    shift = max(0.0, math.log(float(np.float32(flt_max / depth))) - 5.0) / s_in
    table = [np.float32(math.exp((float(255 - d) - 255.0 + shift) * s_in)) for d in range(256)]
    y_scale = np.floor(np.float32(1.0) / np.float32(s_out))
    return np.array([*table, y_scale], dtype=np.float32)


# ---- gemmlowp fixed point on int64 arrays holding int32 values (TFLite's rounding, bit for bit) ----


def _tdiv_pow2(v: np.ndarray, k: int) -> np.ndarray:
    """v / 2^k rounded toward zero (C integer division)."""
    return np.where(v >= 0, v >> k, -((-v) >> k))


def srdhm(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """SaturatingRoundingDoublingHighMul."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    ab = a * b
    out = _tdiv_pow2(ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30)), 31)
    return np.where((a == b) & (a == I32_MIN), I32_MAX, out)


def rdbp(x: np.ndarray, e: int | np.ndarray) -> np.ndarray:
    """RoundingDivideByPOT (round half away from zero)."""
    x, e = np.asarray(x, np.int64), np.asarray(e, np.int64)
    mask = (np.int64(1) << e) - 1
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + ((x & mask) > threshold)


def sat_shl(x: np.ndarray, e: int) -> np.ndarray:
    """SaturatingRoundingMultiplyByPOT<e> for e > 0."""
    th = (1 << (31 - e)) - 1
    return np.where(x > th, I32_MAX, np.where(x < -th, I32_MIN, np.asarray(x, np.int64) << e))


def exp_on_negative_values(a: np.ndarray, integer_bits: int = SCALED_DIFF_BITS) -> np.ndarray:
    """exp(a) for a <= 0 with `integer_bits` integer bits (Softmax: Q5.26) -> Q0.31."""
    frac = 31 - integer_bits
    quarter = 1 << (frac - 2)
    a_mod = (a & (quarter - 1)) - quarter
    x = sat_shl(a_mod, integer_bits) + (1 << 28)  # Rescale<0>, then + 1/8
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4_4 = rdbp(srdhm(x2, x2), 2)
    poly = rdbp(srdhm(x4_4 + x3, 715827883) + x2, 1)
    result = 1895147668 + srdhm(1895147668, x + poly)
    remainder = a_mod - a
    for exponent, mult in EXP_BARREL:
        if integer_bits > exponent:  # gemmlowp's barrel shifter stops at the input's integer bits
            result = np.where(remainder & (1 << (frac + exponent)), srdhm(result, mult), result)
    return np.where(a == 0, I32_MAX, result)


def one_over_one_plus_x(a: np.ndarray) -> np.ndarray:
    """1 / (1 + a) for a in [0, 1) in Q0.31 -> Q0.31 (Newton-Raphson, three steps)."""
    s = a + I32_MAX
    half = _tdiv_pow2(s + np.where(s >= 0, 1, -1), 1)
    x = 1515870810 + srdhm(half, -1010580540)
    for _ in range(3):
        one_minus = (1 << 29) - srdhm(half, x)
        x = x + sat_shl(srdhm(x, one_minus), 2)
    return sat_shl(x, 1)


def _clz32(x: np.ndarray) -> np.ndarray:
    _, e = np.frexp(np.asarray(x, np.int64).astype(np.float64))
    return np.where(x > 0, 32 - e, 32).astype(np.int64)


def softmax_tflite(x: np.ndarray, p: Mapping[str, int]) -> np.ndarray:
    """int8 rows [..., depth] -> int8 output, TFLite reference_ops::Softmax (params as fm_softmax_params_t)."""
    mult, shift, diff_min = p["input_mult"], p["input_shift"], p["diff_min"]
    x = np.asarray(x, np.int64)
    diff = x - x.max(axis=-1, keepdims=True)
    valid = diff >= diff_min
    scaled = srdhm(diff * (1 << shift), mult)
    exps = exp_on_negative_values(scaled)
    total = np.where(valid, rdbp(exps, ACCUM_BITS), 0).sum(axis=-1, keepdims=True)
    headroom = _clz32(total)
    bits_over_unit = ACCUM_BITS - headroom
    shifted = ((total << headroom) & 0xFFFFFFFF) - (1 << 31)
    scale = one_over_one_plus_x(shifted)
    total_shift = np.clip(31 - p["out_shift"] + bits_over_unit, 1, 62)
    out = rdbp(srdhm(scale, exps) * p["out_mult"], total_shift) + p["out_zp"]
    return np.where(valid, np.clip(out, -128, 127), -128)


def softmax_ort(x: np.ndarray, table: np.ndarray, zp: int) -> np.ndarray:
    """int8 rows [..., depth] -> int8, ONNX Runtime QLinearSoftmax with the compiled table."""
    x = np.asarray(x, np.int64)
    vals = np.asarray(table, np.float32)[x.max(axis=-1, keepdims=True) - x]
    total = np.zeros((*x.shape[:-1], 1), np.float32)
    for i in range(x.shape[-1]):  # float32, sequential, as ONNX Runtime sums
        total = (total + vals[..., i : i + 1]).astype(np.float32)
    q = np.rint(np.minimum((vals * np.float32(table[256])).astype(np.float32) / total, np.float32(512)))
    return np.clip(q.astype(np.int64) + zp, -128, 127)


def reference(layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray], mode: str) -> np.ndarray:
    p = layer.params
    x = inputs[0].reshape(inputs[0].shape[0], p["rows"], p["depth"])
    fixed = requant.for_mode(mode).fixed_point
    out = softmax_tflite(x, p) if fixed else softmax_ort(x, consts[f"{layer.cname}_table"], p["out_zp"])
    return out.reshape(x.shape[0], *layer.out_shape[1:])


def emit_c(layer: Layer, mode: str) -> KernelCall:
    structs = {"p": fields_from("fm_softmax_params_t", layer.params)}
    if requant.for_mode(mode).fixed_point:
        return KernelCall("fm_softmax_s8", structs, [0])
    return KernelCall("fm_softmax_ort_s8", structs, [0], [f"{layer.cname}_table"])


def cost(layer: Layer) -> int:
    """Multiply-accumulates: none counted (a few fixed-point multiplies per element)."""
    return 0
