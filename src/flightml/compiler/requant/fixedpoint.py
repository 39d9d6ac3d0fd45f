"""`fixedpoint`: TFLM/CMSIS-NN int32 multiplier + shift, one rounding (half up), integers only."""

from __future__ import annotations

from typing import Any

import numpy as np

from flightml.compiler import qparams
from flightml.compiler.requant.base import Requant


class FixedPoint(Requant):
    name = "fixedpoint"
    c_source = "fixedpoint.c"
    fixed_point = True

    def product(self, s_in: float, w_scale: np.ndarray) -> np.ndarray:
        """s_in * w_scale as this mode forms it: float64 product of the float32 scales."""
        return np.float64(np.float32(s_in)) * w_scale

    def layer_consts(self, s_in: float, w_scale: np.ndarray, s_out: float) -> dict[str, np.ndarray]:
        real = self.product(s_in, w_scale).astype(np.float64) / np.float64(np.float32(s_out))
        return self.real_consts(real)

    def real_consts(self, real: np.ndarray) -> dict[str, np.ndarray]:
        mult, shift = qparams.fixed_params(real, self.name)
        return {"mult": mult, "shift": shift}

    def add_consts(self, scales: tuple[float, float, float], raw_zps: tuple[int, int, int]) -> dict[str, np.ndarray]:
        mult, shift = qparams.add_fixedpoint_params(*scales)
        return {"mult": mult, "shift": shift}

    def requant_add(self, a: np.ndarray, b: np.ndarray, p: dict[str, Any], consts: dict[str, np.ndarray]) -> np.ndarray:
        zps = (p["a_zp"], p["b_zp"], p["out_zp"])
        return qparams.requant_add_fixedpoint(
            a, b, zps, consts["mult"], consts["shift"], p["act_min"], p["act_max"], self.name
        )

    def requant(self, acc: np.ndarray, consts: dict[str, np.ndarray], zp: int, lo: int, hi: int) -> np.ndarray:
        return qparams.requant_fixed(acc, consts["mult"], consts["shift"], zp, lo, hi, self.name)


MODE = FixedPoint()
