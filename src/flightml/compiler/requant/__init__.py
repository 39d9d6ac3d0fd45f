"""The requantization modes as strategies: `for_mode(mode)` is what the ops ask (never the mode string)."""

from __future__ import annotations

from flightml.compiler.requant import fixedpoint, ort_exact, ort_int, tflm
from flightml.compiler.requant.base import Requant

BY_NAME: dict[str, Requant] = {m.MODE.name: m.MODE for m in (fixedpoint, ort_exact, ort_int, tflm)}


def for_mode(mode: str) -> Requant:
    """The strategy of `mode` (one of qparams.MODES)."""
    return BY_NAME[mode]
