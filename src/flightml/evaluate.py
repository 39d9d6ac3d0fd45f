"""The `evaluate` stage: sizes, accuracy, confusion, fp32/int8 agreement and ORT latency.

Writes evaluation.json. int8 accuracy is the int8 model's exact integer semantics (the integer
reference the generated C equals bit for bit; the same on every host); `int8.ort_accuracy` is what a
default ONNX Runtime session gets on this host, described by `ort_host` (on x86 AVX2 without VNNI its
int8 kernels saturate, see flightml.verify.u8s8). Latency (of the default sessions) is the median and
p99 of single-sample `InferenceSession.run` calls from Python (one intra-op thread, after a warm-up);
`ort_call_overhead_us` is the same measurement on a one-node Identity model, i.e. the part of each
call that is not the network.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from flightml.artifacts import RunDir, atomic_output_path, atomic_write_json
from flightml.config import Config, EvaluateConfig
from flightml.data import load_spectra
from flightml.data.scores import label_scores, softmax_confidence
from flightml.data.stage import SPECTRA
from flightml.export.stage import FP32, INPUT_NAME, OUTPUT_NAME
from flightml.onnx_io import load_onnx
from flightml.ort_session import ort_host, ort_session
from flightml.quantize.stage import INT8
from flightml.verify.reference import exact_int8_outputs

EVALUATION = "evaluation.json"
QUANTIZED_DTYPES = (np.int8, np.uint8, np.int32)


# Input positions that carry quantized weights or biases (not scales or zero points), by op type.
WEIGHT_INPUTS = {"DequantizeLinear": (0,), "QLinearConv": (3, 8), "QLinearMatMul": (3,), "QGemm": (3, 6)}


def int8_weight_bytes(model: onnx.ModelProto) -> int:
    """Bytes of the quantized weights (int8/uint8) and biases (int32), without scales and zero points."""
    initializers = {tensor.name: tensor for tensor in model.graph.initializer}
    names = {
        node.input[i]
        for node in model.graph.node
        for i in WEIGHT_INPUTS.get(node.op_type, ())
        if i < len(node.input) and node.input[i] in initializers
    }
    arrays = (numpy_helper.to_array(initializers[name]) for name in sorted(names))
    return sum(a.nbytes for a in arrays if a.dtype in QUANTIZED_DTYPES)


def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> list[list[int]]:
    """Row = true class, column = predicted class."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix.tolist()


def time_single_calls(session: Any, samples: np.ndarray, calls: int, warmup: int) -> list[float]:
    """Wall time in microseconds of `calls` single-sample runs, cycling over `samples`."""
    feeds = [{session.get_inputs()[0].name: samples[i : i + 1]} for i in range(len(samples))]
    for i in range(warmup):
        session.run(None, feeds[i % len(feeds)])
    times = []
    for i in range(calls):
        start = time.perf_counter_ns()
        session.run(None, feeds[i % len(feeds)])
        times.append((time.perf_counter_ns() - start) / 1000.0)
    return times


def latency_stats(times_us: list[float]) -> dict[str, float]:
    return {"median_us": float(np.median(times_us)), "p99_us": float(np.percentile(times_us, 99))}


def throughput(session: Any, x: np.ndarray, batch: int) -> float:
    """Samples per second over the whole of `x` in batches of `batch` (best of three passes)."""
    name = session.get_inputs()[0].name
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(0, len(x), batch):
            session.run(None, {name: x[i : i + batch]})
        best = min(best, time.perf_counter() - start)
    return len(x) / best


def identity_model_path(bands: int, directory: Path) -> Path:
    graph = helper.make_graph(
        [helper.make_node("Identity", [INPUT_NAME], [OUTPUT_NAME])],
        "identity",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [None, 1, bands])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [None, 1, bands])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    path = directory / ".identity.onnx"
    with atomic_output_path(path) as tmp:
        onnx.save(model, str(tmp))
    return path


def scores(logits: np.ndarray, y: np.ndarray, classes: int) -> dict[str, Any]:
    predicted = logits.argmax(axis=1)
    return {
        "logits": logits,
        "accuracy": float((predicted == y).mean()),
        "confusion": confusion(y, predicted, classes),
        "predicted": predicted.tolist(),
    }


def timing(session: Any, x: np.ndarray, settings: EvaluateConfig) -> dict[str, Any]:
    times = time_single_calls(session, x[:256], settings.latency_calls, settings.warmup_calls)
    return {"latency": latency_stats(times), "throughput_per_s": throughput(session, x, settings.throughput_batch)}


def evaluate_model(
    path: Path, x: np.ndarray, y: np.ndarray, classes: int, settings: EvaluateConfig, int8: bool = False
) -> dict[str, Any]:
    """Size, accuracy, confusion and ORT timing of one model. For the int8 model, accuracy and confusion
    are its exact integer semantics (`exact_int8_outputs`); `ort_accuracy` is a default ONNX Runtime
    session's on this host (what a user running the int8 ONNX gets; see `ort_host`)."""
    session = ort_session(path, exact=not int8)
    ort_logits = session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]
    result = {"bytes": path.stat().st_size, **scores(exact_int8_outputs(path, x) if int8 else ort_logits, y, classes)}
    if int8:
        result["ort_accuracy"] = float((ort_logits.argmax(axis=1) == y).mean())
    return {**result, **timing(session, x, settings)}


def evaluate_stage(run: RunDir, config: Config) -> None:
    spectra = load_spectra(run.require(SPECTRA, "data"))
    fp32_path = run.require(FP32, "export")
    int8_path = run.require(INT8, "quantize")
    load_onnx(fp32_path, "fp32 ONNX model")
    int8_model = load_onnx(int8_path, "int8 ONNX model")
    x, y, classes = spectra.x_test, spectra.y_test, spectra.classes
    fp32 = evaluate_model(fp32_path, x, y, classes, config.evaluate)
    int8 = evaluate_model(int8_path, x, y, classes, config.evaluate, int8=True)
    identity = identity_model_path(spectra.bands, run.root)
    settings = config.evaluate
    try:
        session = ort_session(identity, exact=False)
        overhead = latency_stats(time_single_calls(session, x[:256], settings.latency_calls, settings.warmup_calls))
    finally:
        identity.unlink()
    for figures in (fp32, int8):
        logits = figures.pop("logits")
        figures["labels"] = label_scores(
            y, logits.argmax(axis=1), spectra.class_names, spectra.meta, softmax_confidence(logits),
            settings.reject_confidence,
        )  # fmt: skip
    host = ort_host()
    agreement = float(np.mean(np.array(fp32.pop("predicted")) == np.array(int8.pop("predicted"))))
    result = {
        "class_names": spectra.class_names,
        "test_samples": len(y),
        "fp32": fp32,
        "int8": int8,
        "int8_weight_bytes": int8_weight_bytes(int8_model),
        "fp32_int8_agreement": agreement,
        "ort_host": host,
        "ort_call_overhead_us": overhead,
        "latency_method": "median/p99 of single-sample InferenceSession.run from Python, 1 intra-op thread",
    }
    atomic_write_json(run.path(EVALUATION), result)
    run.update_summary(
        {
            "fp32_onnx_bytes": fp32["bytes"],
            "int8_onnx_bytes": int8["bytes"],
            "int8_weight_bytes": result["int8_weight_bytes"],
            "fp32_accuracy": fp32["accuracy"],
            "int8_accuracy": int8["accuracy"],
            "ort_int8_accuracy": int8["ort_accuracy"],
            "ort_host": host,
            "ort_fp32_latency_us": fp32["latency"]["median_us"],
            "ort_int8_latency_us": int8["latency"]["median_us"],
        }
    )
