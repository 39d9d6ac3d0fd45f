"""Compile many quantized models, build them into ONE host executable per mode, and compare C vs the
numpy reference vs ONNX Runtime on every model (shared by tests/ops and tests/properties)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

import numpy as np

from flightml.compiler import compile_model
from flightml.compiler.ir import Graph
from flightml.verify import ort_runner
from flightml.verify.build import build_multi, run_harness
from flightml.verify.ort_runner import ort_int8
from flightml.verify.reference import Reference


def exact_session(model: Path):
    """An ONNX Runtime oracle session that is exact on every host (AVX2 without VNNI saturates by default:
    /work/shared/design/ORT-X86-SATURATION.md). Local until the shared exact-session helper is merged."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.add_session_config_entry("session.qdqisint8allowed", "1")
    return ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])


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
            with patch.object(ort_runner, "session", exact_session):
                ort = ort_int8(models[name], g, x).reshape(ref.shape) if with_ort else ref
            results[(name, mode)] = Result(name, mode, x, ref, c, ort)
    return results
