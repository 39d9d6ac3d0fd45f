"""`ort-exact`: ONNX Runtime's float32 requantization (round half to even), bit-exact with it."""

from __future__ import annotations

from typing import Any

import numpy as np

from flightml.compiler import qparams
from flightml.compiler.requant.base import Requant


class OrtExact(Requant):
    name = "ort-exact"
    c_source = "ort_exact.c"
    float_windows = True
    ort_arithmetic = True

    def layer_consts(self, s_in: float, w_scale: np.ndarray, s_out: float) -> dict[str, np.ndarray]:
        return self.scale_consts(qparams.ort_scale(s_in, w_scale, s_out))

    def scale_consts(self, scale: np.ndarray) -> dict[str, np.ndarray]:
        return {"scale": np.asarray(scale, dtype=np.float32)}

    def requant(self, acc: np.ndarray, consts: dict[str, np.ndarray], zp: int, lo: int, hi: int) -> np.ndarray:
        return qparams.requant_ort(acc, consts["scale"], zp, lo, hi)

    def add_consts(self, scales: tuple[float, float, float], raw_zps: tuple[int, int, int]) -> dict[str, np.ndarray]:
        return {"scale": qparams.add_ort_params(*scales, *raw_zps)}

    def requant_add(self, a: np.ndarray, b: np.ndarray, p: dict[str, Any], consts: dict[str, np.ndarray]) -> np.ndarray:
        raw = p["raw_offset"]
        return qparams.requant_add_ort(a + raw, b + raw, consts["scale"], p["act_min"] + raw, p["act_max"] + raw) - raw

    def pointers(self, cname: str) -> dict[str, str]:
        return {"mult": "NULL", "shift": "NULL", "scale": f"{cname}_scale"}


MODE = OrtExact()
