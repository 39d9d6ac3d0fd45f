"""A compiled C directory as the fault tools see it: its Graph (re-lowered from the model it holds),
API name, memory plan and its constant arrays as package.json lists them, checked against each other
(the generated C is never parsed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flightml.artifacts import read_json
from flightml.compiler import load_graph
from flightml.compiler.emit import source_model
from flightml.compiler.ir import Graph
from flightml.compiler.package import FILE, read_package
from flightml.errors import InputError
from flightml.faults.image import Image


@dataclass(frozen=True)
class Compiled:
    c_dir: Path
    name: str
    graph: Graph
    image: Image
    plan: dict[str, Any]


def load_compiled(c_dir: Path) -> Compiled:
    """Read DIR/{package.json, plan.json, ir.json, model_int8.onnx or .tflite}; InputError naming what is wrong."""
    c_dir = Path(c_dir)
    package = read_package(c_dir)
    plan = read_json(c_dir / "plan.json", "memory plan (plan.json)")
    ir = read_json(c_dir / "ir.json", "compiled model IR (ir.json)")
    name, mode = package["name"], str(package["mode"])
    if ir.get("mode") != mode:
        raise InputError(f"{c_dir / 'ir.json'}: mode {ir.get('mode')!r} differs from package.json's {mode!r}")
    source = source_model(c_dir)
    graph = load_graph(source, mode)
    if graph.model_sha256 != ir.get("model_sha256"):
        raise InputError(f"{source}: sha256 differs from ir.json's model_sha256")
    image = Image(graph)
    listed = [(c["name"], c["bytes"], c["fault_class"]) for c in package["constants"]]
    if listed != [(r.name, r.nbytes, r.fault_class) for r in image.regions]:
        raise InputError(f"{c_dir / FILE}: constants do not match the model's arrays (name, bytes, fault class)")
    return Compiled(c_dir, name, graph, image, plan)
