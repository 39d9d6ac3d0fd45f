"""package.json: what a generated C package holds, written beside the C and read by the tools that use
the package (flightml.mcu, flightml.faults, flightml.verify), which never parse the generated C.

Holds: the API (function and macro names, input/output shape, dtype, scale, zero point), sizes by kind,
each constant array (name, dtype, shape, bytes, layer and ONNX node, size kind, fault class), each arena
tensor (offset macro, offset, bytes, first/last layer), the layers in call order (kernel, MACs) and the
source files. Deterministic: sorted keys, no paths, no timestamps.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from flightml.artifacts import read_json
from flightml.compiler.ir import Graph
from flightml.errors import InputError

if TYPE_CHECKING:
    from flightml.compiler.planner import Plan

FILE = "package.json"
FORMAT = 1
# The flags every generated package (and the hand-written C built with it) compiles cleanly with, host and ARM.
C_FLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-Wconversion")
MODEL_SOURCE = "model.c"  # the inference: integers only in the integer modes
FLOAT_SOURCE = "model_float.c"  # the float quantize/dequantize helpers, outside the inference object
# Constant key (suffix after the layer's C name) -> size kind; the kinds' fault class (`faults --where`).
KINDS = {
    "weights": "weights",
    "a": "weights",
    "b": "weights",
    "bias": "biases",
    "mult": "requant",
    "shift": "requant",
    "scale": "requant",
    "table": "luts",
}
FAULT_CLASS = {"weights": "weights", "biases": "biases", "requant": "requant", "luts": "requant"}
WHERE_CLASSES = frozenset(FAULT_CLASS.values())
SIZE_KINDS = ("weights", "biases", "requant", "luts")


def const_kind(key: str) -> str:
    """Size kind of a constant array by its key (an unknown key is a requantization constant)."""
    return KINDS.get(key, "requant")


def const_bytes(graph: Graph, kinds: tuple[str, ...] = SIZE_KINDS) -> int:
    """Bytes of the constant arrays of the given size kinds (all kinds: every constant array)."""
    return int(sum(v.nbytes for layer in graph.layers for k, v in layer.consts.items() if const_kind(k) in kinds))


def weight_bytes(graph: Graph) -> int:
    """Weights and biases (NAME_WEIGHT_BYTES): not requantization constants nor LUTs."""
    return const_bytes(graph, ("weights", "biases"))


def _io(graph: Graph, tensor: str, macro: str) -> dict[str, Any]:
    t = graph.tensors[tensor]
    fields = ("SIZE", "RANK", "SHAPE", "SCALE", "ZERO_POINT", "UNSIGNED")
    return {
        "tensor": tensor,
        "dtype": "int8",
        "shape": list(t.shape),
        "size": t.size,
        "scale": float(t.scale),
        "zero_point": int(t.zp),
        "unsigned": bool(t.unsigned),
        "macros": {f.lower(): f"{macro}_{f}" for f in fields},
    }


def _api(graph: Graph, name: str) -> dict[str, Any]:
    upper = name.upper()
    return {
        "name": name,
        "status_type": "fm_status_t",
        "invoke": f"{name}_invoke",
        "functions": {
            f"{name}_invoke": {"file": MODEL_SOURCE, "returns": "fm_status_t", "args": ["const int8_t *", "int8_t *"]},
            f"{name}_argmax": {"file": MODEL_SOURCE, "returns": "int32_t", "args": ["const int8_t *"]},
            f"{name}_quantize_input": {"file": FLOAT_SOURCE, "returns": "void", "args": ["const float *", "int8_t *"]},
            f"{name}_dequantize_output": {
                "file": FLOAT_SOURCE,
                "returns": "void",
                "args": ["const int8_t *", "float *"],
            },
        },
        "const_region_table": [f"{name}_const_region_{x}" for x in ("count", "ptr", "bytes")],
        "size_macros": {k: f"{upper}_{k.upper()}_BYTES" for k in ("arena", "weight", "const")},
        "input": _io(graph, graph.input, f"{upper}_INPUT"),
        "output": _io(graph, graph.output, f"{upper}_OUTPUT"),
    }


def _constants(graph: Graph) -> list[dict[str, Any]]:
    """Every constant array in model.c order (the order of the constant image and its region table)."""
    return [
        {
            "name": f"{layer.cname}_{key}",
            "dtype": str(value.dtype),
            "shape": list(value.shape),
            "bytes": int(value.nbytes),
            "layer": layer.index,
            "key": key,
            "source": {"node": layer.node, "onnx_op": layer.onnx_op},
            "kind": const_kind(key),
            "fault_class": FAULT_CLASS[const_kind(key)],
        }
        for layer in graph.layers
        for key, value in layer.consts.items()
    ]


def manifest(
    graph: Graph, p: Plan, name: str, macros: dict[str, dict[str, str]], layers: list[dict[str, Any]]
) -> dict[str, Any]:
    """package.json for `graph` compiled as `name` with plan `p`; `macros`: tensor -> its arena offset macro;
    `layers`: plan.json's layers (kernel, MACs) in call order. Code bytes are unknown until linked (null)."""
    sizes: dict[str, int | None] = {k: const_bytes(graph, (k,)) for k in SIZE_KINDS}
    sizes.update(const=const_bytes(graph), weights_and_biases=weight_bytes(graph), arena=p.arena_bytes, code=None)
    return {
        "format": FORMAT,
        "name": name,
        "mode": graph.mode,
        "model_sha256": graph.model_sha256,
        "api": _api(graph, name),
        "sizes": sizes,
        "constants": _constants(graph),
        "tensors": [
            {
                "tensor": b.tensor,
                "macro": macros[b.tensor]["macro"],
                "offset": b.offset,
                "bytes": b.size,
                "shape": list(graph.tensors[b.tensor].shape),
                "first_layer": b.first,
                "last_layer": b.last,
            }
            for b in p.buffers
        ],
        "layers": layers,
        "files": {"model": MODEL_SOURCE, "float_helpers": FLOAT_SOURCE, "c_flags": list(C_FLAGS)},
    }


def read_package(c_dir: Path) -> dict[str, Any]:
    """DIR/package.json, checked for the fields the tools read; InputError naming the file and field."""
    path = Path(c_dir) / FILE
    data = read_json(path, "package manifest (package.json)")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{path}: format: expected {FORMAT} (compiled by an older flightml? compile again)")
    try:
        name, api, sizes = str(data["name"]), data["api"], data["sizes"]
        for io in ("input", "output"):
            if int(api[io]["size"]) < 1:
                raise ValueError(f"api.{io}.size < 1")
        for c in data["constants"]:
            ok = str(c["name"]).isidentifier() and int(c["bytes"]) >= 0 and c["kind"] in SIZE_KINDS
            if not (ok and c["fault_class"] in WHERE_CLASSES):
                raise ValueError(f"constants: bad entry {c.get('name')!r}")
        for key in (*SIZE_KINDS, "const", "weights_and_biases", "arena"):
            int(sizes[key])
        for layer in data["layers"]:
            str(layer["kernel"]), int(layer["macs"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: missing or bad field ({exc.__class__.__name__}: {exc})") from None
    if not name.isidentifier():
        raise InputError(f"{path}: name: expected a C identifier, got {name!r}")
    return data
