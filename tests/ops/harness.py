"""Compile many quantized models, build them into ONE host executable per mode, and compare C vs the
numpy reference vs ONNX Runtime on every model (shared by tests/ops and tests/properties)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flightml.compiler import compile_model
from flightml.compiler.ir import Graph
from flightml.verify.build import build_multi, run_harness
from flightml.verify.ort_runner import ort_int8
from flightml.verify.reference import Reference


@dataclass
class Result:
    name: str
    mode: str
    x: np.ndarray
    ref: np.ndarray
    c: np.ndarray
    ort: np.ndarray


def run_all(
    models: dict[str, Path],
    inputs: dict[str, np.ndarray],
    work: Path,
    modes: tuple[str, ...] = ("fixedpoint", "ort-exact"),
    extra: tuple[str, ...] = (),
    with_ort: bool = True,
) -> dict[tuple[str, str], Result]:
    """Results keyed by (model name, mode)."""
    results = {}
    for mode in modes:
        graphs: dict[str, Graph] = {}
        dirs = []
        for i, (name, path) in enumerate(sorted(models.items())):
            d = work / mode / name
            graphs[name] = compile_model(path, d, f"m{i}", mode, "pytest")
            dirs.append(d)
        exe = build_multi(dirs, work / mode / "_build", extra)
        for i, name in enumerate(sorted(models)):
            g, x = graphs[name], inputs[name]
            ref = Reference(g).run(x).reshape(x.shape[0], -1)
            c = run_harness(exe, x, ref.shape[1], index=i)
            ort = ort_int8(models[name], g, x).reshape(ref.shape) if with_ort else ref  # the exact oracle
            results[(name, mode)] = Result(name, mode, x, ref, c, ort)
    return results
