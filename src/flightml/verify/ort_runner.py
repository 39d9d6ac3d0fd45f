"""ONNX Runtime outputs of a quantized model, as int8 in the compiled C's domain (uint8 shifted by -128).

The session is the exact oracle (`flightml.ort_session.ort_session`): the same result on every host.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flightml.compiler import qparams
from flightml.compiler.ir import Graph
from flightml.ort_session import ort_session


def ort_int8(model: Path, graph: Graph, x_int8: np.ndarray) -> np.ndarray:
    """Run ONNX Runtime on the C-domain int8 inputs; returns C-domain int8 outputs [N, *out_shape]."""
    sess = ort_session(model)
    t_in, t_out = graph.tensors[graph.input], graph.tensors[graph.output]
    inp = sess.get_inputs()[0]
    if inp.type == "tensor(float)":
        feed = qparams.dequantize(x_int8, t_in.scale, t_in.zp)
    elif inp.type == "tensor(uint8)":
        feed = (x_int8.astype(np.int16) + 128).astype(np.uint8)
    else:
        feed = x_int8.astype(np.int8)
    ys = [sess.run(None, {inp.name: feed[i : i + 1]})[0] for i in range(feed.shape[0])]
    y = np.concatenate(ys, axis=0)
    if y.dtype == np.float32:
        q = np.rint(y / np.float32(t_out.scale)).astype(np.int64) + t_out.zp
        return np.clip(q, -128, 127).astype(np.int8)
    return (y.astype(np.int16) - (128 if y.dtype == np.uint8 else 0)).astype(np.int8)
