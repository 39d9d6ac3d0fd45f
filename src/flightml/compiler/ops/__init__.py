"""Op registry: ONNX op type -> op module (resolve) and layer kind -> op module (reference, emit_c, cost).

Adding an op is one module with KIND, ONNX_OPS, resolve/reference/emit_c/cost and one line in MODULES.
"""

from __future__ import annotations

from types import ModuleType

from flightml.compiler.ir import Layer
from flightml.compiler.ops import (
    add,
    avgpool,
    avgpool_div,
    concat,
    conv,
    conv_maxpool,
    fc,
    maxpool,
    softmax,
    transpose,
    view,
)

MODULES: tuple[ModuleType, ...] = (
    add,
    avgpool,
    avgpool_div,
    concat,
    conv,
    conv_maxpool,
    fc,
    maxpool,
    softmax,
    transpose,
    view,
)
BY_ONNX: dict[str, ModuleType] = {op: m for m in MODULES for op in m.ONNX_OPS}
BY_KIND: dict[str, ModuleType] = {m.KIND: m for m in MODULES}


def scratch_bytes(layer: Layer) -> int:
    """Bytes of kernel scratch a layer needs (its op module's `scratch_bytes`; 0 for ops that declare none)."""
    declared = getattr(BY_KIND[layer.kind], "scratch_bytes", None)
    return declared(layer) if declared is not None else 0
