"""THE rounding rules of flightml (mirrored by runtime/fm_requant.h and tested against it).

Four requantization modes (MODES) map an int32 accumulator `acc` (the exact integer sum of products plus
the int32 bias) to an int8 output in [act_min, act_max]:

- `fixedpoint` (TFLM/CMSIS-NN single rounding): `real = s_in * s_w / s_out` (float64) becomes an int32
  multiplier in [2^30, 2^31) and a shift in [-31, 30] (stored as int8); `y = floor((acc * mult + 2^(30 - shift)) /
  2^(31 - shift)) + zp`, i.e. round half up. Integers only.
- `ort-exact` (ONNX Runtime / MLAS): `scale = float32(float32(s_in * s_w) / s_out)`;
  `y = round_half_even(float32(acc) * scale) + zp`, all in float32, bit-exact with ONNX Runtime.
- `tflm` (TensorFlow Lite's default double rounding, as the TFLite Micro Python package computes):
  the `fixedpoint` multiplier and shift; `x * 2^max(shift, 0)` saturated to int32, then gemmlowp's
  SaturatingRoundingDoublingHighMul (round half away from zero at 2^31), then RoundingDivideByPOT by
  `max(-shift, 0)` (round half away from zero). Multipliers are stored negated (-mult), so kernels'
  inline single-rounding rules, which recognise multipliers in [2^30, 2^31), never take them.
- `ort-int`: the `ort-exact` arithmetic reproduced with integers alone (for cores without an FPU): the
  float32 scale becomes a 24-bit mantissa and an exponent; int32 -> float32 rounding of `acc`, the
  24-bit rounding of the mantissa product and the final rounding are all round half to even.

All functions take and return numpy arrays (any shape; `acc` int64 holding int32 values).
"""

from __future__ import annotations

import math

import numpy as np

INT32 = (-(2**31), 2**31 - 1)
MODES = ("fixedpoint", "ort-exact", "ort-int", "tflm")


def quantize_multiplier(real: float) -> tuple[int, int]:
    """float64 real > 0 -> (mult int32 in [2^30, 2^31) or 0, shift in [-31, 30]); TFLM QuantizeMultiplier."""
    if not (real >= 0.0 and math.isfinite(real)):
        raise ValueError(f"requantization scale must be finite and >= 0, got {real!r}")
    if real == 0.0:
        return 0, 0
    q, exp = math.frexp(real)
    q_fixed = math.floor(q * (1 << 31) + 0.5)
    if q_fixed == 1 << 31:
        q_fixed //= 2
        exp += 1
    if exp < -31:
        return 0, 0
    if exp > 30:
        raise ValueError(f"requantization scale {real!r} is too large (>= 2^30)")
    return q_fixed, exp


def fixedpoint_params(real: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel float64 reals -> (int32 multipliers, int8 shifts: [-31, 30] fits, a quarter of the flash)."""
    pairs = [quantize_multiplier(float(r)) for r in np.asarray(real, dtype=np.float64).ravel()]
    return (np.array([p[0] for p in pairs], dtype=np.int32), np.array([p[1] for p in pairs], dtype=np.int8))


def fixed_params(real: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """fixedpoint_params stored for `mode` (fixedpoint or tflm): tflm keeps its multipliers negated."""
    mult, shift = fixedpoint_params(real)
    return (-mult if mode == "tflm" else mult), shift


def ort_scale(s_in: float | np.ndarray, s_w: float | np.ndarray, s_out: float | np.ndarray) -> np.ndarray:
    """float32((float32(s_in) * float32(s_w)) / float32(s_out)) exactly as ONNX Runtime computes it."""
    prod = np.float32(s_in) * np.asarray(s_w, dtype=np.float32)
    return (prod / np.float32(s_out)).astype(np.float32)


def sat_add32(acc: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """int32 saturating add (the C kernels add the bias this way, so flipped bias bits stay defined)."""
    total = np.asarray(acc, dtype=np.int64) + np.asarray(bias, dtype=np.int64)
    return np.clip(total, -(2**31), 2**31 - 1)


def mul_q31(x: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """floor((x * mult + 2^(30 - shift)) / 2^(31 - shift)) for int32-range x (int64 result)."""
    x = np.asarray(x, dtype=np.int64)
    mult = np.asarray(mult, dtype=np.int64)
    total = np.clip(31 - np.asarray(shift, dtype=np.int64), 1, 62)  # the C's guard for corrupted shifts
    return (x * mult + (np.int64(1) << (total - 1))) >> total


def mul_tflm(x: np.ndarray, neg_mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """TFLite MultiplyByQuantizedMultiplier (double rounding) of int32-range x by the stored -mult."""
    x = np.asarray(x, dtype=np.int64)
    mult = -np.asarray(neg_mult, dtype=np.int64)
    shift = np.clip(np.asarray(shift, dtype=np.int64), -31, 30)  # the C's guard for corrupted shifts
    left = np.clip(x << np.maximum(shift, 0), *INT32)
    ab = left * mult
    nudge = np.where(ab >= 0, np.int64(1) << 30, 1 - (np.int64(1) << 30))
    t = ab + nudge
    high = np.where(t >= 0, t >> 31, -((-t) >> 31))  # C division: toward zero
    high = np.clip(high, *INT32)
    right = np.maximum(-shift, 0)
    mask = (np.int64(1) << right) - 1
    threshold = (mask >> 1) + (high < 0)
    return (high >> right) + ((high & mask) > threshold)


def requant_fixed(
    acc: np.ndarray, mult: np.ndarray, shift: np.ndarray, zp: int, act_min: int, act_max: int, mode: str
) -> np.ndarray:
    """requant_fixedpoint, or its tflm double rounding (stored -mult), by `mode` (fixedpoint or tflm)."""
    if mode == "tflm":
        return np.clip(mul_tflm(acc, mult, shift) + zp, act_min, act_max)
    return requant_fixedpoint(acc, mult, shift, zp, act_min, act_max)


def requant_fixedpoint(
    acc: np.ndarray, mult: np.ndarray, shift: np.ndarray, zp: int, act_min: int, act_max: int
) -> np.ndarray:
    """int64 acc (int32 range), broadcastable int32 mult/shift -> int64 output in [act_min, act_max]."""
    return np.clip(mul_q31(acc, mult, shift) + zp, act_min, act_max)


ADD_LEFT_SHIFT = 20


def add_fixedpoint_params(s_a: float, s_b: float, s_out: float) -> tuple[np.ndarray, np.ndarray]:
    """TFLM-style Add: (mult int32[3], shift int8[3]) for input a, input b and the output (left shift 20)."""
    s_a, s_b, s_out = (float(np.float32(v)) for v in (s_a, s_b, s_out))
    twice = 2.0 * max(s_a, s_b)
    return fixedpoint_params(np.array([s_a / twice, s_b / twice, twice / ((1 << ADD_LEFT_SHIFT) * s_out)]))


def requant_add_fixedpoint(
    a: np.ndarray,
    b: np.ndarray,
    zps: tuple[int, int, int],
    mult: np.ndarray,
    shift: np.ndarray,
    lo: int,
    hi: int,
    mode: str = "fixedpoint",
) -> np.ndarray:
    """int8 a, b (int64 arrays) -> int64 in [lo, hi]; every intermediate is clamped to int32 as in the C
    (`mode` tflm: each multiplication with TFLite's double rounding)."""
    mul = mul_tflm if mode == "tflm" else mul_q31
    a0 = np.clip((np.asarray(a, np.int64) - zps[0]) << ADD_LEFT_SHIFT, *INT32)
    b0 = np.clip((np.asarray(b, np.int64) - zps[1]) << ADD_LEFT_SHIFT, *INT32)
    a1 = np.clip(mul(a0, mult[0], shift[0]), *INT32)
    b1 = np.clip(mul(b0, mult[1], shift[1]), *INT32)
    total = np.clip(a1 + b1, *INT32)
    return np.clip(mul(total, mult[2], shift[2]) + zps[2], lo, hi)


def add_ort_params(s_a: float, s_b: float, s_out: float, zp_a: int, zp_b: int, zp_out: int) -> np.ndarray:
    """ONNX Runtime QLinearAdd (MLAS AVX2) constants float32[3]: a/c ratio, b/c ratio, fixed part.
    Zero points are in the model's raw domain (uint8 models: 0..255). MLAS's AVX2 build contracts the
    fixed part's `r_a * zp_a + r_b * zp_b` into one fused multiply-add, so it is fma(r_a, zp_a, r_b * zp_b)."""
    f = np.float32
    r_a, r_b = f(f(s_a) / f(s_out)), f(f(s_b) / f(s_out))
    fixed = f(f(zp_out) - fma32(r_a, f(zp_a), f(r_b * f(zp_b))))
    return np.array([r_a, r_b, fixed], dtype=np.float32)


def fma32(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """float32 fused multiply-add (one rounding), exact: float64 product is exact, and the float64 sum's
    double rounding is corrected with its TwoSum error when it lands on a float32 midpoint."""
    p = np.asarray(x, np.float32).astype(np.float64) * np.asarray(y, np.float32).astype(np.float64)
    z64 = np.asarray(z, np.float32).astype(np.float64)
    s = p + z64
    bb = s - p
    err = (p - (s - bb)) + (z64 - bb)
    r = s.astype(np.float32)
    r64 = r.astype(np.float64)
    hi64 = np.nextafter(r, np.float32(np.inf)).astype(np.float64)
    lo64 = np.nextafter(r, np.float32(-np.inf)).astype(np.float64)
    up = (s > r64) & (s == (r64 + hi64) / 2) & (err > 0)
    down = (s < r64) & (s == (r64 + lo64) / 2) & (err < 0)
    return np.where(up, hi64, np.where(down, lo64, r64)).astype(np.float32)


def requant_add_ort(a_raw: np.ndarray, b_raw: np.ndarray, consts: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Raw-domain a, b -> raw-domain int64 in [lo, hi]: rint(fma(a, r_a, fma(b, r_b, fixed)))."""
    c = np.asarray(consts, dtype=np.float32)
    v = fma32(np.asarray(a_raw).astype(np.float32), c[0], fma32(np.asarray(b_raw).astype(np.float32), c[1], c[2]))
    v = np.minimum(np.where(v >= np.float32(lo), v, np.float32(lo)), np.float32(hi))
    return np.rint(v).astype(np.int64)


def requant_ort(acc: np.ndarray, scale: np.ndarray, zp: int, act_min: int, act_max: int) -> np.ndarray:
    """int64 acc (int32 range), broadcastable float32 scale -> int64 output in [act_min, act_max]."""
    value = np.asarray(acc).astype(np.float32) * np.asarray(scale, dtype=np.float32)
    lo, hi = np.float32(act_min - zp), np.float32(act_max - zp)
    value = np.minimum(np.where(value >= lo, value, lo), hi)  # NaN -> lo, as the C
    return np.rint(value).astype(np.int64) + zp


def quantize_float(x: np.ndarray, scale: float, zp: int, qmin: int = -128, qmax: int = 127) -> np.ndarray:
    """float32 x -> int64 q = clamp(round_half_even(float32(x / scale)) + zp); ONNX Runtime QuantizeLinear."""
    value = np.asarray(x, dtype=np.float32) / np.float32(scale)
    return np.clip(np.rint(value).astype(np.int64) + zp, qmin, qmax)


def dequantize(q: np.ndarray, scale: float, zp: int) -> np.ndarray:
    """int q -> float32 (q - zp) * scale, as ONNX Runtime DequantizeLinear."""
    return (np.asarray(q, dtype=np.int64) - zp).astype(np.float32) * np.float32(scale)


def ort_int_params(scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 scales (normal, > 0) -> (int32 mantissas in [2^23, 2^24), int8 exponents): scale = m * 2^e.

    Exponents are at most 104 for float32; below -128 they are stored as -128, which gives the same
    results: |acc| < 2^31 and m < 2^24 keep the final exponent below -62, so every output is 0 + zp."""
    frac, exp = np.frexp(np.asarray(scale, dtype=np.float32).astype(np.float64))
    mant = np.round(frac * (1 << 24)).astype(np.int64)
    return mant.astype(np.int32), np.maximum(exp.astype(np.int64) - 24, -128).astype(np.int8)


def _bitlen(x: np.ndarray) -> np.ndarray:
    """Bit length of non-negative int64 values < 2^53 (0 -> 0)."""
    _, e = np.frexp(x.astype(np.float64))
    return np.where(x > 0, e, 0).astype(np.int64)


def _rne_shift(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """round_half_even(x / 2^k) for int64 x >= 0 and 1 <= k <= 62 (elementwise; k < 1 returns x)."""
    k = np.asarray(k, dtype=np.int64)
    ks = np.clip(k, 1, 62)
    q = x >> ks
    rem = x & ((np.int64(1) << ks) - 1)
    half = np.int64(1) << (ks - 1)
    up = (rem > half) | ((rem == half) & ((q & 1) == 1))
    return np.where(k >= 1, q + up, x)


def requant_ort_int(
    acc: np.ndarray, mant: np.ndarray, exp: np.ndarray, zp: int, act_min: int, act_max: int
) -> np.ndarray:
    """Integer-only twin of requant_ort (same results): float32(acc) * float32(m * 2^e), round half even."""
    acc = np.asarray(acc, dtype=np.int64)
    mant = np.broadcast_to(np.asarray(mant, dtype=np.int64), acc.shape)
    e = np.broadcast_to(np.asarray(exp, dtype=np.int64), acc.shape).copy()
    a = np.abs(acc)
    nb = _bitlen(a)
    a = _rne_shift(a, nb - 24)  # int32 -> float32
    e += np.maximum(nb - 24, 0)
    p = a * mant
    nb = _bitlen(p)
    p = _rne_shift(p, nb - 24)  # float32 product
    e += np.maximum(nb - 24, 0)
    big = e >= 10
    v = np.where(e >= 0, p << np.clip(e, 0, 9), _rne_shift(p, np.clip(-e, 1, 62)))
    v = np.where(big, 1 << 20, np.where(e < -62, 0, v))
    v = np.where((a == 0) | (mant <= 0), 0, v)
    return np.clip(np.where(acc < 0, -v, v) + zp, act_min, act_max)
