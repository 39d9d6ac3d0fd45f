"""What a requantization mode is to the ops: the constants it stores, how its requant structs point at
them, its Python rounding rule (delegated to qparams) and the ops it refuses. One module per mode."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np


class Requant:
    """A mode. `fixed_point`: TFLite multiplier + shift constants and TFLite's integer algorithms (Add,
    Softmax, Concat tables); otherwise ONNX Runtime's float32 arithmetic (exact or on integers)."""

    name = ""
    c_source = ""  # runtime/requant/<c_source>, copied into the package as fm_requant.c
    fixed_point = False
    float_windows = False  # AveragePool over a real window as ORT's float32 QLinearAveragePool
    ort_arithmetic = False  # the C is ONNX Runtime's arithmetic itself (reports demand equality with ORT)
    tflite_pool = False  # an equal-quantization 2-D AveragePool as TFLite's integer average pool (avgpool_div)
    refuses: ClassVar[dict[str, str]] = {}  # op -> why this mode cannot run it

    def refusal(self, op: str) -> str | None:
        """The message refusing `op` (Add, Softmax) in this mode, or None when it runs."""
        return self.refuses.get(op)

    def layer_consts(self, s_in: float, w_scale: np.ndarray, s_out: float) -> dict[str, np.ndarray]:
        """The per-channel constants of acc * s_in * w_scale / s_out (ValueError: not representable)."""
        raise NotImplementedError

    def real_consts(self, real: np.ndarray) -> dict[str, np.ndarray]:
        """fixed_point modes: multiplier and shift arrays of the float64 multipliers `real`."""
        raise NotImplementedError(f"{self.name} stores no fixed-point multipliers")

    def scale_consts(self, scale: np.ndarray) -> dict[str, np.ndarray]:
        """ONNX Runtime modes: the float32 `scale` as this mode stores it."""
        raise NotImplementedError(f"{self.name} stores no float32 scales")

    def requant(self, acc: np.ndarray, consts: dict[str, np.ndarray], zp: int, lo: int, hi: int) -> np.ndarray:
        """The integer reference: int64 accumulators -> outputs in [lo, hi] with this mode's constants."""
        raise NotImplementedError

    def add_consts(self, scales: tuple[float, float, float], raw_zps: tuple[int, int, int]) -> dict[str, np.ndarray]:
        """Add's constants from the scales of a, b, out and their zero points in the model's own type."""
        raise NotImplementedError(f"{self.name} has no Add")

    def requant_add(self, a: np.ndarray, b: np.ndarray, p: dict[str, Any], consts: dict[str, np.ndarray]) -> np.ndarray:
        """The integer reference of Add on int8 operands a, b (int64) with the layer's params `p`."""
        raise NotImplementedError(f"{self.name} has no Add")

    def pointers(self, cname: str) -> dict[str, str]:
        """The mult/shift/scale fields of fm_requant_t and fm_add_requant_t for the layer `cname`."""
        return {"mult": f"{cname}_mult", "shift": f"{cname}_shift", "scale": "NULL"}

    def struct(self, cname: str, params: dict[str, Any]) -> dict[str, Any]:
        """The fm_requant_t field values of a layer (model.c)."""
        keys = ("per_channel", "out_zp", "act_min", "act_max")
        return {**self.pointers(cname), **{k: params[k] for k in keys}}
