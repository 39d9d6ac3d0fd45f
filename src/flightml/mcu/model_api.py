"""What the MCU build needs to know about a generated C package, read from its package.json
(flightml.compiler.package), never from the generated C.

Contract (the compiler's output directory): package.json names the API (`fm_status_t NAME_invoke(const
int8_t *, int8_t *)`, input/output sizes in int8 elements), the sizes by kind, every constant array
and the layers in call order, each with its kernel name and MACs; kernels live in
`kernels/portable/*.c` and optionally `kernels/dsp/*.c`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flightml.compiler.package import read_package
from flightml.errors import InputError


@dataclass(frozen=True)
class Layer:
    name: str
    kernel: str
    macs: int


@dataclass(frozen=True)
class ModelApi:
    """The API of a package: `sizes` by kind (package.json), constant array names, weight+bias array names."""

    name: str
    input_size: int
    output_size: int
    sizes: dict[str, int] = field(default_factory=dict)
    layers: list[Layer] = field(default_factory=list)
    const_symbols: list[str] = field(default_factory=list)
    weight_symbols: list[str] = field(default_factory=list)

    @property
    def invoke(self) -> str:
        return f"{self.name}_invoke"


def read_model_api(c_dir: Path) -> ModelApi:
    """The API of the package in `c_dir` from its package.json; InputError naming what is missing."""
    package = read_package(Path(c_dir))
    api, consts = package["api"], package["constants"]
    sizes = {k: int(v) for k, v in package["sizes"].items() if v is not None}
    layers = [Layer(str(r["node"]), str(r["kernel"]), int(r["macs"])) for r in package["layers"]]
    return ModelApi(
        package["name"],
        int(api["input"]["size"]),
        int(api["output"]["size"]),
        sizes,
        layers,
        [str(c["name"]) for c in consts],
        [str(c["name"]) for c in consts if c["kind"] in ("weights", "biases")],
    )


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
