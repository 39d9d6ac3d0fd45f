"""Op registry, discovered: every module of this package that defines KIND is an op module, and the
tables the front ends and the emitter use are built from the modules' own declarations.

Adding an op is one new module here (its contract: `ops/common.py`, the compiler README's op template):
KIND, ONNX_OPS, resolve/reference/emit_c/cost, and optionally QLINEAR (QOperator op types it reads),
TFLITE_OPS (TFLite builtins it implements), scratch_bytes, and KERNELS/STRUCTS (kernels it calls that
abi.py does not declare; their C declarations are rendered into the package's fm_op_kernels.h by
`emit.op_kernels_header`). No list here names it.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from flightml.compiler import abi
from flightml.compiler.ir import Layer
from flightml.compiler.ops.common import QLinear


def _discover() -> tuple[ModuleType, ...]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    modules = (importlib.import_module(f"{__name__}.{name}") for name in names)
    return tuple(m for m in modules if hasattr(m, "KIND"))


def _claims(table: str, pairs: list[tuple[str, ModuleType]]) -> dict[str, ModuleType]:
    """key -> module, refusing a key two modules claim (a compiler bug, found at import)."""
    out: dict[str, ModuleType] = {}
    for key, module in pairs:
        if key in out:
            raise ImportError(f"{table} {key!r} is claimed by ops.{out[key].KIND} and ops.{module.KIND}")
        out[key] = module
    return out


MODULES: tuple[ModuleType, ...] = _discover()
BY_KIND: dict[str, ModuleType] = _claims("KIND", [(m.KIND, m) for m in MODULES])
BY_ONNX: dict[str, ModuleType] = _claims("ONNX op", [(op, m) for m in MODULES for op in m.ONNX_OPS])
# QOperator op type -> how its inputs are laid out and the ONNX op it lowers as (resolved through BY_ONNX)
_BY_QLINEAR = _claims("QOperator op", [(q, m) for m in MODULES for q in getattr(m, "QLINEAR", {})])
QLINEAR: dict[str, QLinear] = {q: m.QLINEAR[q] for q, m in _BY_QLINEAR.items()}
# TFLite builtin -> (op module, the ONNX op whose node the TFLite front end builds for it)
_TFLITE = _claims("TFLite builtin", [(b, m) for m in MODULES for b in getattr(m, "TFLITE_OPS", {})])
BY_TFLITE: dict[str, tuple[ModuleType, str]] = {b: (m, m.TFLITE_OPS[b]) for b, m in _TFLITE.items()}
for _module in MODULES:
    abi.declare(getattr(_module, "KERNELS", ()), getattr(_module, "STRUCTS", {}))


def scratch_bytes(layer: Layer) -> int:
    """Bytes of kernel scratch a layer needs (its op module's `scratch_bytes`; 0 for ops that declare none)."""
    declared = getattr(BY_KIND[layer.kind], "scratch_bytes", None)
    return declared(layer) if declared is not None else 0
