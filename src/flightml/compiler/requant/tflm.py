"""`tflm`: TFLite's multiplier (float32 product first) and gemmlowp double rounding, multipliers stored
negated so the kernels tell it from `fixedpoint`."""

from __future__ import annotations

import numpy as np

from flightml.compiler.requant.fixedpoint import FixedPoint


class Tflm(FixedPoint):
    name = "tflm"
    c_source = "tflm.c"
    tflite_pool = True

    def product(self, s_in: float, w_scale: np.ndarray) -> np.ndarray:
        """TFLite's order: float64(float32(s_in * s_w)) (then / float64(s_out))."""
        return np.float32(s_in) * w_scale

    def add_consts(self, scales: tuple[float, float, float], raw_zps: tuple[int, int, int]) -> dict[str, np.ndarray]:
        consts = super().add_consts(scales, raw_zps)
        return {**consts, "mult": -consts["mult"]}


MODE = Tflm()
