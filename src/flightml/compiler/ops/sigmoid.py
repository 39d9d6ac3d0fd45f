"""Sigmoid (QDQ Sigmoid, com.microsoft QLinearSigmoid, TFLite LOGISTIC): a 256-entry int8 table built at
compile time, applied by the kernel `fm_lut_s8` (declared here; its C declaration is rendered into the
package's fm_op_kernels.h). The C holds integers only in every mode; the table holds, for each int8
input, what the oracle of the mode computes:

- fixedpoint and tflm: TFLite's integer Logistic (reference_integer_ops::Logistic, as TFLite Micro runs
  it): the input rescaled to Q4.27 by TFLite's multiplier (double rounding), gemmlowp's fixed-point
  logistic to Q0.31, inputs beyond the input radius saturated; then one rounding, half away from zero,
  by the fixedpoint multiplier of 1 / (s_out * 2^31): with TFLite's output quantization (1/256, -128)
  that is exactly TFLite's RoundingDivideByPOT(q0, 23) - 128; other output scales get the same single
  rounding (as Softmax).
- ort-exact and ort-int: ONNX Runtime's QLinearSigmoid table (QlinearBuildLookupTable, also what a QDQ
  Sigmoid computes): float32 dequantization, MLAS's logistic (MlasLogisticKernel's rational polynomial,
  each multiply-add fused as the FMA3 kernel of x86-64 hosts runs it), then QuantizeLinear (round half
  to even). MLAS's unfused generic kernel (other hosts) could differ by one LSB where a product's
  rounding decides an output's rounding.

A Relu or Clip fused after the Sigmoid clamps the table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from flightml.compiler import qparams, requant
from flightml.compiler.abi import CONST, INPUT, OUTPUT, PARAMS, Arg, Field, Kernel, KernelCall, fields_from
from flightml.compiler.ir import Layer, QTensor
from flightml.compiler.ops.common import NodeIn, QLinear
from flightml.compiler.ops.softmax import I32_MAX, exp_on_negative_values, one_over_one_plus_x, rdbp
from flightml.errors import InputError

KIND = "sigmoid"
ONNX_OPS = ("Sigmoid",)
QLINEAR = {"QLinearSigmoid": QLinear("Sigmoid", (0,), 3)}
TFLITE_OPS = {"LOGISTIC": "Sigmoid"}
STRUCTS = {"fm_lut_params_t": (Field("int32_t", "size", "elements, >= 0"),)}
KERNELS = (
    Kernel(
        "fm_lut_s8",
        (
            Arg(PARAMS, "const fm_lut_params_t *", "p", "p"),
            Arg(CONST, "const int8_t *", "table"),
            Arg(INPUT, "const int8_t *", "input"),
            Arg(OUTPUT, "int8_t *", "output"),
        ),
        doc="Table lookup: output[i] = table[(uint8_t)input[i]] for i < size (table: 256 values by input byte).",
    ),
)
INPUT_BITS = 4  # TFLite's kInputIntegerBits: the input in Q4.27
# MlasLogisticConstants: clamp range, then alpha_9..alpha_1 (odd numerator), beta_10..beta_0 (denominator)
LOGISTIC_RANGE = 18.0
ALPHA = (4.37031012579801e-11, 1.15627324459942e-07, 6.08574864600143e-05, 8.51377133304701e-03, 2.48287947061529e-01)
BETA = (
    *(6.10247389755681e-13, 5.76102136993427e-09, 6.29106785017040e-06),
    *(1.70198817374094e-03, 1.16817656904453e-01, 9.93151921023180e-01),
)
BYTES = np.arange(256, dtype=np.int64)  # table index: the input's byte
VALUES = BYTES - 256 * (BYTES >= 128)  # the int8 value of each byte


def resolve(n: NodeIn, mode: str) -> Layer:
    x = n.act(0)
    table = lut(n.where, x, n.out, mode)
    table = np.clip(table, n.act_min, n.act_max).astype(np.int8)
    params = {"size": x.size}
    return Layer(KIND, n.node.name, n.node.op_type, [x.name], n.out.name, tuple(x.shape), params, {"table": table})


def lut(where: str, x: QTensor, out: QTensor, mode: str) -> np.ndarray:
    """int64[256]: the output of each input byte (index: the int8 input's byte) for `mode`."""
    if requant.for_mode(mode).fixed_point:
        return tflite_logistic(where, VALUES, x.scale, x.zp, out.scale, out.zp)
    real = (np.float32(x.scale) * (VALUES - x.zp).astype(np.float32)).astype(np.float32)
    return qparams.quantize_float(mlas_logistic(real), out.scale, out.zp)


def mlas_logistic(v: np.ndarray) -> np.ndarray:
    """float32 MLAS logistic (MlasLogisticKernel's polynomials, multiply-adds fused as its FMA3 kernel)."""
    v = np.clip(np.asarray(v, np.float32), np.float32(-LOGISTIC_RANGE), np.float32(LOGISTIC_RANGE))
    v2 = (v * v).astype(np.float32)
    p = np.full_like(v, np.float32(ALPHA[0]))
    for a in ALPHA[1:]:
        p = qparams.fma32(p, v2, np.full_like(v, np.float32(a)))
    p = (p * v).astype(np.float32)
    q = np.full_like(v, np.float32(BETA[0]))
    for b in BETA[1:]:
        q = qparams.fma32(q, v2, np.full_like(v, np.float32(b)))
    return ((p / q).astype(np.float32) + np.float32(0.5)).astype(np.float32)


def tflite_logistic(where: str, x: np.ndarray, s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """TFLite's int8 Logistic of int8 values `x` (int64), its Q0.31 result requantized to (s_out, zp_out)."""
    real = float(np.float32(s_in)) * float(1 << (31 - INPUT_BITS))
    mant, left_shift = math.frexp(real)
    mult = math.floor(mant * (1 << 31) + 0.5)  # TfLiteRound: half away from zero
    if not 0 < left_shift <= 30 or mult >= 1 << 31:
        raise InputError(f"{where}: the Sigmoid input scale {s_in!r} is outside TFLite's Logistic range")
    radius = math.floor(((1 << INPUT_BITS) - 1) * float(1 << (31 - INPUT_BITS)) / float(1 << left_shift))
    d = np.asarray(x, np.int64) - zp_in
    q4 = qparams.mul_tflm(np.clip(d, -radius, radius), -mult, left_shift)
    q0 = np.where(d <= -radius, 0, np.where(d >= radius, I32_MAX, gemmlowp_logistic(q4)))
    try:
        out_mult, out_shift = qparams.quantize_multiplier(1.0 / (float(np.float32(s_out)) * 2.0**31))
    except ValueError as exc:
        raise InputError(f"{where}: Sigmoid output scale out of range ({exc})") from None
    return np.clip(rdbp(q0 * out_mult, 31 - out_shift) + zp_out, -128, 127)


def gemmlowp_logistic(a: np.ndarray) -> np.ndarray:
    """gemmlowp::logistic of Q4.27 raw values (int64 holding int32) -> Q0.31."""
    pos = one_over_one_plus_x(exp_on_negative_values(-np.abs(a), INPUT_BITS))
    return np.where(a == 0, 1 << 30, np.where(a > 0, pos, I32_MAX - pos))


def reference(layer: Layer, inputs: list[np.ndarray], consts: Mapping[str, np.ndarray], mode: str) -> np.ndarray:
    table = np.asarray(consts[f"{layer.cname}_table"], np.int64)
    return table[np.asarray(inputs[0], np.int64) & 0xFF].reshape(inputs[0].shape[0], *layer.out_shape[1:])


def emit_c(layer: Layer, mode: str) -> KernelCall:
    return KernelCall("fm_lut_s8", {"p": fields_from("fm_lut_params_t", layer.params)}, [0], [f"{layer.cname}_table"])


def cost(layer: Layer) -> int:
    """Multiply-accumulates: none (one table read per element)."""
    return 0
