"""THE rounding rules of flightml (mirrored by runtime/fm_requant.h and tested against it).

Two requantization modes map an int32 accumulator `acc` (the exact integer sum of products plus the
int32 bias) to an int8 output in [act_min, act_max]:

- `fixedpoint` (TFLM/CMSIS-NN single rounding): `real = s_in * s_w / s_out` (float64) becomes an int32
  multiplier in [2^30, 2^31) and a shift in [-31, 30]; `y = floor((acc * mult + 2^(30 - shift)) /
  2^(31 - shift)) + zp`, i.e. round half up. Integers only.
- `ort-exact` (ONNX Runtime / MLAS): `scale = float32(float32(s_in * s_w) / s_out)`;
  `y = round_half_even(float32(acc) * scale) + zp`, all in float32, bit-exact with ONNX Runtime.

All functions take and return numpy arrays (any shape; `acc` int64 holding int32 values).
"""

from __future__ import annotations

import math

import numpy as np

MODES = ("fixedpoint", "ort-exact")


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
    """Per-channel float64 reals -> (int32 multipliers, int32 shifts)."""
    pairs = [quantize_multiplier(float(r)) for r in np.asarray(real, dtype=np.float64).ravel()]
    return (np.array([p[0] for p in pairs], dtype=np.int32), np.array([p[1] for p in pairs], dtype=np.int32))


def ort_scale(s_in: float | np.ndarray, s_w: float | np.ndarray, s_out: float | np.ndarray) -> np.ndarray:
    """float32((float32(s_in) * float32(s_w)) / float32(s_out)) exactly as ONNX Runtime computes it."""
    prod = np.float32(s_in) * np.asarray(s_w, dtype=np.float32)
    return (prod / np.float32(s_out)).astype(np.float32)


def sat_add32(acc: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """int32 saturating add (the C kernels add the bias this way, so flipped bias bits stay defined)."""
    total = np.asarray(acc, dtype=np.int64) + np.asarray(bias, dtype=np.int64)
    return np.clip(total, -(2**31), 2**31 - 1)


def requant_fixedpoint(
    acc: np.ndarray, mult: np.ndarray, shift: np.ndarray, zp: int, act_min: int, act_max: int
) -> np.ndarray:
    """int64 acc (int32 range), broadcastable int32 mult/shift -> int64 output in [act_min, act_max]."""
    acc = np.asarray(acc, dtype=np.int64)
    mult = np.asarray(mult, dtype=np.int64)
    total = np.clip(31 - np.asarray(shift, dtype=np.int64), 1, 62)  # the C's guard for corrupted shifts
    prod = acc * mult + (np.int64(1) << (total - 1))
    out = (prod >> total) + zp
    return np.clip(out, act_min, act_max)


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
