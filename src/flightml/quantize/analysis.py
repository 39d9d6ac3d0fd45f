"""Per-layer quantization error: the `quant_analysis` stage -> RUN/quant_report.json.

Reads RUN/spectra.npz, model_fp32.onnx and model_int8.onnx (and model_qat_fp32.onnx after QAT).
For every activation tensor the int8 QDQ model quantizes, a copy of the int8 model exposes its
DequantizeLinear output and a copy of the fp32 model the matching tensor; over the test set it
reports SQNR (dB) and max |error| (against the QAT-tuned fp32 weights after QAT, so they measure
quantization alone). Also, against model_fp32.onnx: the test samples that change class (with their
fp32 margins), both confusion matrices, the worst-case logit error and the fraction of samples
whose fp32 top-1 margin is below it (and below twice it: a margin above twice the worst logit
error cannot flip). The int8 logits are the exact integer semantics (flightml.verify.reference);
the per-layer tensors come from the exact ONNX Runtime oracle. `ort_x86_saturation` is what a default
ONNX Runtime session on x86 AVX2 without VNNI makes of the model and what each remedy changes
(flightml.quantize.saturation; the remedy models are re-quantized from the model the per-layer errors
compare against). Adds `int8_accuracy_drop_pts`, `ort_saturating_host_int8_accuracy`, `quant.settings`
and `quant.per_layer_sqnr_db` to summary.json.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper

from flightml.artifacts import RunDir, atomic_write_json
from flightml.config import Config
from flightml.data import load_spectra
from flightml.data.stage import SPECTRA
from flightml.evaluate import confusion
from flightml.export.stage import FP32, INPUT_NAME, OUTPUT_NAME
from flightml.onnx_io import load_onnx
from flightml.ort_session import ort_session
from flightml.quantize.saturation import analyse_saturation
from flightml.quantize.stage import INT8, QAT_FP32, calibration_set, settings_dict
from flightml.verify.reference import exact_int8_outputs

QUANT_REPORT = "quant_report.json"
QDQ_OUTPUT_SUFFIX = "_QuantizeLinear_Input"


def quantized_tensors(int8: onnx.ModelProto) -> list[tuple[str, str]]:
    """(fp32 tensor name, int8 DequantizeLinear output) for each quantized activation, graph order."""
    constants = {t.name for t in int8.graph.initializer}
    dq_of = {n.input[0]: n.output[0] for n in int8.graph.node if n.op_type == "DequantizeLinear"}
    pairs = []
    for node in int8.graph.node:
        if node.op_type == "QuantizeLinear" and node.input[0] not in constants and node.output[0] in dq_of:
            name = node.input[0].removesuffix(QDQ_OUTPUT_SUFFIX)
            pairs.append((name, dq_of[node.output[0]]))
    return pairs


def layer_labels(fp32: onnx.ModelProto, names: list[str]) -> dict[str, str]:
    """Readable labels: 'input', then the producing op (through a ReLU) numbered per type: Conv1, Gemm2..."""
    producer = {out: node for node in fp32.graph.node for out in node.output}
    counts: Counter[str] = Counter()
    labels = {}
    for name in names:
        node = producer.get(name)
        if node is None:
            labels[name] = "input"
            continue
        suffix = ""
        if node.op_type in ("Relu", "Clip") and node.input[0] in producer:
            node, suffix = producer[node.input[0]], "+Relu"
        counts[node.op_type] += 1
        labels[name] = f"{node.op_type}{counts[node.op_type]}{suffix}"
    return labels


def _with_outputs(model: onnx.ModelProto, names: list[str], directory: Path, stem: str) -> Path:
    model = onnx.ModelProto.FromString(model.SerializeToString())
    existing = {o.name for o in model.graph.output}
    model.graph.output.extend(
        helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in names if n not in existing
    )
    path = directory / f"{stem}.onnx"
    onnx.save(model, str(path))
    return path


def _run(path: Path, names: list[str], x: np.ndarray) -> list[np.ndarray]:
    return ort_session(path).run(names, {INPUT_NAME: x})


def sqnr_db(reference: np.ndarray, test: np.ndarray) -> float:
    """10 log10(signal power / error power); capped at 200 dB for an exact match."""
    noise = float(np.sum((reference.astype(np.float64) - test) ** 2))
    signal = float(np.sum(reference.astype(np.float64) ** 2))
    if noise == 0.0:
        return 200.0
    return float(10 * np.log10(max(signal, 1e-300) / noise))


def per_layer(fp32: onnx.ModelProto, int8: onnx.ModelProto, x: np.ndarray) -> list[dict[str, Any]]:
    pairs = quantized_tensors(int8)
    if not pairs:
        return []
    labels = layer_labels(fp32, [name for name, _ in pairs])
    with tempfile.TemporaryDirectory(prefix="flightml-qa-") as tmp:
        ref = _run(_with_outputs(fp32, [n for n, _ in pairs], Path(tmp), "fp32"), [n for n, _ in pairs], x)
        got = _run(_with_outputs(int8, [d for _, d in pairs], Path(tmp), "int8"), [d for _, d in pairs], x)
    rows = []
    for (name, _), r, q in zip(pairs, ref, got, strict=True):
        error = np.abs(r.astype(np.float64) - q)
        rows.append(
            {
                "layer": labels[name],
                "tensor": name,
                "sqnr_db": round(sqnr_db(r, q), 3),
                "max_abs_error": float(error.max()),
                "mean_abs_error": float(error.mean()),
                "fp32_absmax": float(np.abs(r).max()),
            }
        )
    return rows


def top1_margin(logits: np.ndarray) -> np.ndarray:
    top2 = np.sort(logits, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


def analyse(
    fp32_path: Path, int8_path: Path, x: np.ndarray, y: np.ndarray, classes: int, layer_reference: Path | None = None
) -> dict[str, Any]:
    """The quant_report.json content (without settings) for one fp32/int8 pair on a test set.

    Per-layer errors compare against `layer_reference` when given (the QAT-tuned fp32 model, so they
    measure quantization alone); accuracy, class changes and logit errors against `fp32_path`.
    """
    load_onnx(fp32_path, "fp32 ONNX model")
    layer_path = layer_reference or fp32_path
    fp32_model = load_onnx(layer_path, "fp32 ONNX model")
    int8_model = load_onnx(int8_path, "int8 ONNX model")
    f = _run(fp32_path, [OUTPUT_NAME], x)[0].astype(np.float64)
    q = exact_int8_outputs(int8_path, x).astype(np.float64)
    pf, pq = f.argmax(axis=1), q.argmax(axis=1)
    margin = top1_margin(f)
    worst = float(np.abs(q - f).max())
    flips = [
        {
            "index": int(i),
            "true": int(y[i]),
            "fp32": int(pf[i]),
            "int8": int(pq[i]),
            "fp32_margin": float(margin[i]),
            "logit_error": float(np.abs(q[i] - f[i]).max()),
        }
        for i in np.flatnonzero(pf != pq)
    ]
    acc_f, acc_q = float(np.mean(pf == y)), float(np.mean(pq == y))
    return {
        "test_samples": len(y),
        "fp32_accuracy": acc_f,
        "int8_accuracy": acc_q,
        "int8_accuracy_drop_pts": round(100 * (acc_f - acc_q), 4),
        "per_layer": per_layer(fp32_model, int8_model, x),
        "per_layer_reference": layer_path.name,
        "changed_class": flips,
        "confusion": {"fp32": confusion(y, pf, classes), "int8": confusion(y, pq, classes)},
        "worst_logit_error": worst,
        "margin_below_worst_error_fraction": float(np.mean(margin < worst)),
        "margin_below_twice_worst_error_fraction": float(np.mean(margin < 2 * worst)),
        "fp32_margin_quantiles": {q: float(np.quantile(margin, float(q))) for q in ("0.0", "0.01", "0.05", "0.5")},
        "fp32_margin": [round(float(m), 5) for m in margin],
    }


def quant_analysis_stage(run: RunDir, config: Config) -> None:
    spectra = load_spectra(run.require(SPECTRA, "data"))
    qat_fp32 = run.path(QAT_FP32)
    layer_reference = qat_fp32 if config.quant.qat_epochs > 0 and qat_fp32.exists() else None
    report = analyse(
        run.require(FP32, "export"),
        run.require(INT8, "quantize"),
        spectra.x_test,
        spectra.y_test,
        spectra.classes,
        layer_reference,
    )
    report["class_names"] = spectra.class_names
    report["settings"] = settings_dict(config.quant)
    source = layer_reference or run.path(FP32)
    calibration = calibration_set(spectra, config.quant)
    saturation = analyse_saturation(source, run.path(INT8), calibration, config.quant, spectra.x_test, spectra.y_test)
    report["ort_x86_saturation"] = saturation
    atomic_write_json(run.path(QUANT_REPORT), report)
    run.update_summary(
        {
            "int8_accuracy_drop_pts": report["int8_accuracy_drop_pts"],
            "ort_saturating_host_int8_accuracy": saturation.get("saturating_host_accuracy"),
            "quant": {
                "settings": report["settings"],
                "per_layer_sqnr_db": {row["layer"]: row["sqnr_db"] for row in report["per_layer"]},
            },
        }
    )
