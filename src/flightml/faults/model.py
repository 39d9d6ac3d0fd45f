"""A compiled C directory as the fault tools see it: its Graph (re-lowered from the model it holds),
API name, memory plan and the region table of model.c, checked against each other."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flightml.artifacts import read_json
from flightml.compiler import load_graph
from flightml.compiler.emit import source_model
from flightml.compiler.ir import Graph
from flightml.errors import InputError
from flightml.faults.image import Image


@dataclass(frozen=True)
class Compiled:
    c_dir: Path
    name: str
    graph: Graph
    image: Image
    plan: dict[str, Any]


def region_names(model_c: Path, name: str) -> list[str]:
    """Array names listed in model.c's `NAME_const_region_ptr` table, in order."""
    text = model_c.read_text(encoding="utf-8")
    match = re.search(rf"{name}_const_region_ptr\[\d+\] = \{{(.*?)\}};", text, re.S)
    if match is None:
        raise InputError(f"{model_c}: no {name}_const_region_ptr table (compiled by an older flightml?)")
    return [n for n in re.findall(r"[A-Za-z_]\w*", match.group(1)) if n != "NULL"]


def load_compiled(c_dir: Path) -> Compiled:
    """Read DIR/{plan.json, ir.json, model_int8.onnx or .tflite, model.c}; InputError naming what is wrong."""
    c_dir = Path(c_dir)
    plan = read_json(c_dir / "plan.json", "memory plan (plan.json)")
    ir = read_json(c_dir / "ir.json", "compiled model IR (ir.json)")
    try:
        name, mode = str(plan["provenance"]["name"]), str(ir["mode"])
    except (KeyError, TypeError):
        raise InputError(f"{c_dir / 'plan.json'}: missing provenance.name (or ir.json: mode)") from None
    source = source_model(c_dir)
    graph = load_graph(source, mode)
    if graph.model_sha256 != ir.get("model_sha256"):
        raise InputError(f"{source}: sha256 differs from ir.json's model_sha256")
    image = Image(graph)
    listed = region_names(c_dir / "model.c", name)
    if listed != [r.name for r in image.regions]:
        raise InputError(f"{c_dir / 'model.c'}: constant regions {listed} do not match the model's arrays")
    return Compiled(c_dir, name, graph, image, plan)
