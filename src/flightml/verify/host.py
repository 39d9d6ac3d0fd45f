"""Host verification: the generated C (system compiler, CFLAGS of verify.build) vs the numpy integer
reference vs ONNX Runtime (ONNX sources; the exact oracle session of flightml.ort_session, the same on
every host) or TFLite Micro (.tflite sources: the *_vs_tflm keys), on
every sample; and the pipeline stage writing RUN/verify_host.json.

Metrics (one dict per compiled directory): samples, bitexact_vs_reference and bitexact_vs_ort
(fractions of samples whose whole output is equal), max_abs_diff_lsb_vs_ort, class_agreement_vs_ort
(argmax), accuracy (argmax vs labels, when given), arena_bytes, weight_bytes, macs, latency_us
(median single inference called from Python).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from flightml.artifacts import RunDir, atomic_write_json, read_json
from flightml.compiler import is_tflite, load_graph
from flightml.compiler.emit import source_model
from flightml.config import Config
from flightml.verify.build import build_harness, run_harness
from flightml.verify.compiled import CompiledModel
from flightml.verify.ort_runner import ort_int8
from flightml.verify.reference import Reference


def _argmax(y: np.ndarray) -> np.ndarray:
    return y.reshape(y.shape[0], -1).argmax(axis=1)


def _oracle(source: Path, graph, x_int8: np.ndarray) -> tuple[str, np.ndarray]:
    """(oracle name, its int8 outputs): TFLite Micro for a .tflite source, ONNX Runtime for ONNX."""
    if is_tflite(source):
        from flightml.verify.tflm import tflm_int8

        return "tflm", tflm_int8(source, x_int8)
    return "ort", ort_int8(source, graph, x_int8)


def verify_dir(c_dir: Path, x: np.ndarray, labels: np.ndarray | None = None, latency: bool = True) -> dict[str, Any]:
    """Verify a compiled directory on inputs `x` (float32, or int8 already quantized, in the model's
    own input layout), batched, against the reference and the oracle of its source model (ONNX Runtime
    for ONNX, TFLite Micro for .tflite: keys *_vs_ort or *_vs_tflm)."""
    c_dir = Path(c_dir)
    ir = read_json(c_dir / "ir.json", "compiled model IR (ir.json)")
    plan = read_json(c_dir / "plan.json", "memory plan (plan.json)")
    source = source_model(c_dir)
    graph = load_graph(source, ir["mode"])
    ref = Reference(graph)
    x = np.asarray(x)
    x_int8 = x if x.dtype == np.int8 else ref.quantize_input(x.astype(np.float32))
    y_ref = ref.run(x_int8).reshape(x_int8.shape[0], -1)
    exe = build_harness(c_dir)
    y_c = run_harness(exe, x_int8, y_ref.shape[1])
    name, y_o = _oracle(source, graph, x_int8)
    y_o = y_o.reshape(y_ref.shape)
    diff = np.abs(y_c.astype(np.int16) - y_o.astype(np.int16))
    result: dict[str, Any] = {
        "mode": ir["mode"],
        "samples": int(x_int8.shape[0]),
        "bitexact_vs_reference": float(np.mean(np.all(y_c == y_ref, axis=1))),
        f"bitexact_vs_{name}": float(np.mean(np.all(diff == 0, axis=1))),
        f"reference_bitexact_vs_{name}": float(np.mean(np.all(y_ref == y_o, axis=1))),
        f"max_abs_diff_lsb_vs_{name}": int(diff.max(initial=0)),
        f"elements_differing_vs_{name}": int(np.count_nonzero(diff)),
        f"class_agreement_vs_{name}": float(np.mean(_argmax(y_c) == _argmax(y_o))),
        "arena_bytes": int(plan["arena_bytes"]),
        "weight_bytes": int(plan["weight_bytes"]),
        "macs": int(sum(layer["macs"] for layer in plan["layers"])),
    }
    if labels is not None:
        result["accuracy"] = float(np.mean(_argmax(y_c) == np.asarray(labels)))
    if latency:
        result["latency_us"] = CompiledModel(c_dir).latency_us(x_int8[:1])
    return result


def verify_host_stage(run: RunDir, config: Config) -> None:
    """RUN/c/<mode>/ for each config.compile.modes on the test spectra -> verify_host.json + summary."""
    from flightml.data import load_spectra

    spectra = load_spectra(run.require("spectra.npz", "data"))
    results = {}
    for mode in config.compile.modes:
        c_dir = run.require(f"c/{mode}", "compile")
        results[mode] = verify_dir(c_dir, spectra.x_test, spectra.y_test)
    atomic_write_json(run.path("verify_host.json"), {"target": "host", "modes": results})
    keys = (
        "bitexact_vs_reference",
        "bitexact_vs_ort",
        "max_abs_diff_lsb_vs_ort",
        "class_agreement_vs_ort",
        "arena_bytes",
        "weight_bytes",
        "latency_us",
        "accuracy",
    )
    summary: dict[str, Any] = {"c": {mode: {k: r[k] for k in keys if k in r} for mode, r in results.items()}}
    if results:
        summary["macs"] = next(iter(results.values()))["macs"]
    run.update_summary(summary)
