"""What ONNX Runtime's x86 U8S8 saturation does to an int8 model, measured on any host.

flightml's int8 figures are the exact integer semantics. A user running the int8 ONNX with a default
ONNX Runtime session on an x86 CPU with AVX2 and without VNNI gets something else: pairs of products
added into a saturating int16 (flightml.verify.u8s8, which equals ORT recorded on such a host bit for
bit). `saturation_analysis` runs that emulation on the test set and reports, per layer, the fraction
of pair sums that saturate and of accumulators that change; the accuracy such a host's default
session gets; and the effect of each remedy, each measured with the same emulation:

- `session.x64quantprecision=1`: ONNX Runtime converts the weights to uint8 and runs exact U8U8 kernels;
- uint8 weights (and so uint8 activations; weight zero point 128): exact U8U8 kernels;
- `reduce_range` (7-bit weights): still U8S8, but no pair of products can reach the int16 limit.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from flightml.compiler.passes import load_model, lower
from flightml.config import QuantConfig
from flightml.errors import InputError
from flightml.ort_session import EXACT_CONFIG, ort_host
from flightml.verify.reference import Reference
from flightml.verify.u8s8 import SaturatingReference, uint8_weight_nodes

UINT8 = "uint8 weights and activations"
REDUCE_RANGE = "reduce_range (7-bit weights)"
RULE = (
    "x86 AVX2 without VNNI (ONNX Runtime's default U8S8 kernels): u8 = int8 + 128, consecutive pairs of "
    "products saturated to int16, summed in int32; convolutions reduce over kernel tap x channel "
    "(channels-last), depthwise convolutions and uint8 weights are exact"
)


def emulate(model_path: Path, x: np.ndarray, y: np.ndarray, all_exact: bool = False) -> dict[str, Any]:
    """Accuracy of `model_path` (int8 ONNX) under the U8S8 rule on float32 `x`, against its exact semantics.

    `all_exact` runs every layer as U8U8 (what `session.x64quantprecision=1` makes ONNX Runtime do).
    """
    onnx_model, sha = load_model(Path(model_path))
    graph = lower(onnx_model, sha, "ort-exact")
    exact = Reference(graph)
    x_int8 = exact.quantize_input(np.asarray(x, dtype=np.float32))
    y_exact = exact.run(x_int8).reshape(len(x_int8), -1)
    u8u8 = {layer.node.split("+")[0] for layer in graph.layers} if all_exact else uint8_weight_nodes(onnx_model)
    emulation = SaturatingReference(graph, u8u8)
    y_sat = emulation.run(x_int8).reshape(len(x_int8), -1)
    diff = np.abs(y_sat.astype(np.int16) - y_exact.astype(np.int16))
    stats = emulation.stats
    pairs = sum(s.pairs for s in stats)
    return {
        "accuracy": float(np.mean(y_sat.argmax(axis=1) == y)),
        "exact_accuracy": float(np.mean(y_exact.argmax(axis=1) == y)),
        "outputs_equal_to_exact_fraction": float(np.mean(np.all(diff == 0, axis=1))),
        "max_output_diff_lsb": int(diff.max(initial=0)),
        "saturated_pair_fraction": sum(s.saturated_pairs for s in stats) / pairs if pairs else 0.0,
        "per_layer": [s.to_json() for s in stats if s.pairs or s.path != "exact"],
    }


def remedy_rows(model_path: Path, x: np.ndarray, y: np.ndarray, remedy_models: dict[str, Path]) -> list[dict]:
    """One row per remedy: name, the kernel path ONNX Runtime takes, accuracy and saturated pairs."""
    option = ", ".join(f"{k}={v}" for k, v in EXACT_CONFIG.items())
    runs = [(f"session option {option}", "U8U8 (exact)", emulate(model_path, x, y, all_exact=True))]
    paths = {UINT8: "U8U8 (exact)", REDUCE_RANGE: "U8S8 (7-bit weights)"}
    runs += [(name, paths[name], emulate(path, x, y)) for name, path in remedy_models.items()]
    return [
        {
            "remedy": name,
            "ort_path": path,
            "accuracy": r["accuracy"],
            "saturated_pair_fraction": r["saturated_pair_fraction"],
            "outputs_equal_to_exact_fraction": r["outputs_equal_to_exact_fraction"],
        }
        for name, path, r in runs
    ]


def saturation_analysis(
    int8_path: Path, x: np.ndarray, y: np.ndarray, remedy_models: dict[str, Path] | None = None
) -> dict[str, Any]:
    """The `ort_x86_saturation` entry of quant_report.json (same content on every host but `this_host`)."""
    result = emulate(int8_path, x, y)
    return {
        "rule": RULE,
        "saturating_host_accuracy": result.pop("accuracy"),
        **result,
        "remedies": remedy_rows(int8_path, x, y, remedy_models or {}),
        "this_host": ort_host(),
    }


def remedy_models(fp32: Path, calibration: np.ndarray, quant: QuantConfig, directory: Path) -> dict[str, Path]:
    """The model re-quantized as U8U8 (uint8 weights and activations: ONNX Runtime's quantizer has no int8
    activations with uint8 weights) and with reduce_range (other settings unchanged)."""
    from flightml.quantize.stage import effective, quantize_onnx

    quant = effective(quant)
    uint8, reduced = directory / "uint8.onnx", directory / "reduce_range.onnx"
    quantize_onnx(fp32, uint8, calibration, dataclasses.replace(quant, activation_type="uint8"), uint8_weights=True)
    quantize_onnx(fp32, reduced, calibration, dataclasses.replace(quant, reduce_range=True))
    return {UINT8: uint8, REDUCE_RANGE: reduced}


def analyse_saturation(
    fp32: Path, int8: Path, calibration: np.ndarray, quant: QuantConfig, x: np.ndarray, y: np.ndarray
) -> dict[str, Any]:
    """`saturation_analysis` with the remedy models quantized in a temporary directory; for a model the
    compiler cannot lower, {"unavailable": why, "this_host": ...} (the compile stage then says it too)."""
    with tempfile.TemporaryDirectory(prefix="flightml-sat-") as tmp:
        try:
            return saturation_analysis(int8, x, y, remedy_models(fp32, calibration, quant, Path(tmp)))
        except InputError as exc:
            return {"unavailable": str(exc), "this_host": ort_host()}


def warning_line(summary: dict[str, Any]) -> str | None:
    """The one line `flightml run` prints when this host's ONNX Runtime saturates (else None)."""
    host = summary.get("ort_host") or {}
    if not host.get("saturates"):
        return None
    return (
        f"warning: this host's ONNX Runtime int8 kernels saturate ({host.get('kernel_path')}, {host.get('cpu')}): "
        f"a default session of model_int8.onnx scores {summary.get('ort_int8_accuracy', float('nan')):.4f} here, "
        f"the exact int8 semantics {summary.get('int8_accuracy', float('nan')):.4f} (flightml's figures); "
        f"run ONNX Runtime with {', '.join(f'{k}={v}' for k, v in EXACT_CONFIG.items())} "
        "(quant_report.json: ort_x86_saturation)"
    )
