"""`ort-int`: the `ort-exact` results with integers alone (24-bit mantissa + exponent, every rounding half
to even), for cores without an FPU. Refuses Add (an integer fused multiply-add) and Softmax."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from flightml.compiler import qparams
from flightml.compiler.requant.base import Requant


class OrtInt(Requant):
    name = "ort-int"
    c_source = "ort_int.c"
    refuses: ClassVar[dict[str, str]] = {
        "Add": "Add is not available in ort-int mode (it needs an integer fused multiply-add); "
        "use fixedpoint or ort-exact",
        "Softmax": "Softmax is not available in ort-int mode (ONNX Runtime's arithmetic needs a float32 division); "
        "use fixedpoint or ort-exact",
    }

    def layer_consts(self, s_in: float, w_scale: np.ndarray, s_out: float) -> dict[str, np.ndarray]:
        return self.scale_consts(qparams.ort_scale(s_in, w_scale, s_out))

    def scale_consts(self, scale: np.ndarray) -> dict[str, np.ndarray]:
        mult, shift = qparams.ort_int_params(scale)
        return {"mult": mult, "shift": shift}

    def requant(self, acc: np.ndarray, consts: dict[str, np.ndarray], zp: int, lo: int, hi: int) -> np.ndarray:
        return qparams.requant_ort_int(acc, consts["mult"], consts["shift"], zp, lo, hi)


MODE = OrtInt()
