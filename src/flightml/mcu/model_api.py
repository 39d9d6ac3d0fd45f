"""What the MCU build needs to know about a generated C package, read from its files.

Contract (the compiler's output directory): `model.h` declares `int NAME_invoke(const int8_t *,
int8_t *)` and `#define`s NAME_INPUT_SIZE / NAME_OUTPUT_SIZE (int8 elements); `plan.json` lists the
layers in call order, each with its kernel name and MACs; kernels live in `kernels/portable/*.c`
and optionally `kernels/dsp/*.c`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from flightml.errors import InputError

_INVOKE = re.compile(r"\bint\s+(\w+)_invoke\s*\(")
_DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)\s+\(?\s*(-?\d+)[uUlL]*\s*\)?\s*(?:/[*/].*)?$", re.M)


@dataclass(frozen=True)
class Layer:
    name: str
    kernel: str
    macs: int


@dataclass(frozen=True)
class ModelApi:
    name: str
    input_size: int
    output_size: int
    defines: dict[str, int]
    layers: list[Layer] = field(default_factory=list)

    @property
    def invoke(self) -> str:
        return f"{self.name}_invoke"

    def define(self, suffix: str) -> int | None:
        """The value of `NAME_<suffix>` (case-insensitive prefix), or None."""
        return self.defines.get(f"{self.name.upper()}_{suffix}")


def read_model_api(c_dir: Path) -> ModelApi:
    """Parse model.h and plan.json of a generated package; InputError naming what is missing."""
    header = Path(c_dir) / "model.h"
    if not header.is_file():
        raise InputError(f"{header}: not found (is {c_dir} a compiled model directory?)")
    text = header.read_text(encoding="utf-8")
    match = _INVOKE.search(text)
    if match is None:
        raise InputError(f"{header}: no 'int NAME_invoke(' declaration")
    name = match.group(1)
    defines = {key: int(value) for key, value in _DEFINE.findall(text)}
    sizes = {}
    for what in ("INPUT_SIZE", "OUTPUT_SIZE"):
        value = defines.get(f"{name.upper()}_{what}")
        if value is None or value < 1:
            raise InputError(f"{header}: missing or bad #define {name.upper()}_{what}")
        sizes[what] = value
    return ModelApi(name, sizes["INPUT_SIZE"], sizes["OUTPUT_SIZE"], defines, read_plan(Path(c_dir)))


def read_plan(c_dir: Path) -> list[Layer]:
    """Layers of plan.json in call order (empty when the package has no plan.json)."""
    path = c_dir / "plan.json"
    if not path.is_file():
        return []
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
        rows = plan["layers"] if isinstance(plan, dict) else plan
        return [
            Layer(str(r.get("node", r.get("name", i))), str(r["kernel"]), int(r.get("macs", 0)))
            for i, r in enumerate(rows)
        ]
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: not a valid plan ({exc.__class__.__name__}: {exc})") from None


def kernel_sources(c_dir: Path, kernels: str) -> list[Path]:
    """The kernel set `kernels` ('portable' or 'dsp'): every kernels/<set>/*.c (each set is complete:
    the same functions, fm_requant.c included). Dispatch is by directory, never by #ifdef."""
    sources = sorted((Path(c_dir) / "kernels" / kernels).glob("*.c"))
    if not sources:
        raise InputError(f"{c_dir}/kernels/{kernels}: no kernel sources")
    return sources


def has_kernel_set(c_dir: Path, name: str) -> bool:
    """The package has kernels/<name>/*.c."""
    return any((Path(c_dir) / "kernels" / name).glob("*.c"))


_CONST = re.compile(r"\bstatic\s+const\s+(?:int8_t|int32_t|float)\s+(\w+)\s*\[")


def const_symbols(c_dir: Path) -> list[str]:
    """Names of the constant arrays of model.c (weights, biases, requantization constants)."""
    return _CONST.findall((Path(c_dir) / "model.c").read_text(encoding="utf-8"))


def weight_symbols(c_dir: Path) -> list[str]:
    """The weights and biases among them (the compiler names them *_weights and *_bias)."""
    return [name for name in const_symbols(c_dir) if name.endswith(("_weights", "_bias"))]
