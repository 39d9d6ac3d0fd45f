"""Empirical bias correction of an ORT QDQ int8 model (only its int32 biases change).

Int8 rounding of weights and activations shifts each output channel's mean: the int8 logits of the
reference setting carry per-class offsets several times larger than their spread, which is what
flips C/X spectra. Layer by layer in graph order, on the calibration spectra (never the test set),
the mean difference between the int8 model's Conv/Gemm output (before its output quantization) and
the fp32 model's is measured per output channel and subtracted from the int32 bias
(`bias_q -= round(mean_error / bias_scale)`); later layers are measured after earlier ones are
corrected. The result is still an ordinary QDQ model with the same scales, so the compiler takes it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from flightml.errors import FlightmlError
from flightml.export.stage import INPUT_NAME
from flightml.ort_session import ort_session

LAYER_OPS = ("Conv", "Gemm")


def _session(model: onnx.ModelProto, outputs: list[str]):  # -> onnxruntime.InferenceSession
    model = onnx.ModelProto.FromString(model.SerializeToString())
    existing = {o.name for o in model.graph.output}
    model.graph.output.extend(
        helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs if n not in existing
    )
    return ort_session(model, optimize=False)


def _channel_mean(error: np.ndarray) -> np.ndarray:
    """Mean over every axis but the channel axis (1)."""
    axes = tuple(i for i in range(error.ndim) if i != 1)
    return error.astype(np.float64).mean(axis=axes)


def correct_biases(fp32_path: Path, int8_path: Path, calibration: np.ndarray) -> dict[str, list[int]]:
    """Rewrite `int8_path` in place with corrected int32 biases; returns the change per layer (LSB)."""
    fp32 = onnx.load(str(fp32_path))
    int8 = onnx.load(str(int8_path))
    fp32_out = {node.input[2]: node.output[0] for node in fp32.graph.node if node.op_type in LAYER_OPS}
    dq_of = {node.output[0]: node for node in int8.graph.node if node.op_type == "DequantizeLinear"}
    inits = {t.name: t for t in int8.graph.initializer}
    changes: dict[str, list[int]] = {}
    for node in [n for n in int8.graph.node if n.op_type in LAYER_OPS and len(n.input) > 2]:
        bias_dq = dq_of.get(node.input[2])
        if bias_dq is None or node.input[2] not in fp32_out or bias_dq.input[0] not in inits:
            raise FlightmlError(f"bias correction: {node.name or node.op_type} has no quantized bias to correct")
        reference = _session(fp32, [fp32_out[node.input[2]]]).run([fp32_out[node.input[2]]], {INPUT_NAME: calibration})[
            0
        ]
        got = _session(int8, [node.output[0]]).run([node.output[0]], {INPUT_NAME: calibration})[0]
        scale = numpy_helper.to_array(inits[bias_dq.input[1]]).astype(np.float64)
        step = np.round(_channel_mean(got - reference) / scale).astype(np.int64)
        bias = numpy_helper.to_array(inits[bias_dq.input[0]]).astype(np.int64)
        corrected = np.clip(bias - step, -(2**31), 2**31 - 1).astype(np.int32)
        inits[bias_dq.input[0]].CopyFrom(numpy_helper.from_array(corrected, bias_dq.input[0]))
        changes[node.input[2]] = (corrected.astype(np.int64) - bias).tolist()
    onnx.save(int8, str(int8_path))
    return changes
