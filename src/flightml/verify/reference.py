"""The numpy integer reference executor: the arbiter the generated C must equal bit for bit.

`Reference(graph, consts)` runs the graph's layers with the constant arrays taken from `consts`, a
dict C-name -> numpy array (the same names and dtypes as the `static const` arrays in model.c, e.g.
`l0_conv_weights` int8, `l0_conv_bias` int32, `l0_conv_mult` int32 and `l0_conv_shift` int8, or `l0_conv_scale`
float32). By default it is a copy of `graph.consts()`; a caller (fault injection) can pass modified
copies and re-run. Integer arithmetic is int64 and mirrors the C exactly, including the saturating
bias addition and the guards on corrupted shifts.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from flightml.compiler import qparams
from flightml.compiler.ir import Graph, Layer
from flightml.compiler.ops import BY_KIND
from flightml.compiler.passes import load_model, lower
from flightml.errors import InputError


class Reference:
    """Batched reference inference of a lowered Graph (int8 in, int8 out)."""

    def __init__(self, graph: Graph, consts: Mapping[str, np.ndarray] | None = None) -> None:
        self.graph = graph
        self.consts = {k: np.array(v) for k, v in (consts if consts is not None else graph.consts()).items()}

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.graph.tensors[self.graph.input].shape[1:]

    def run(self, x: np.ndarray) -> np.ndarray:
        """int8 x [B, *input_shape] -> int8 [B, *output_shape] (the C's int8 domain, uint8 shifted by -128)."""
        x = np.asarray(x)
        if x.dtype != np.int8 or x.shape[1:] != self.input_shape:
            raise InputError(
                f"reference input: expected int8 [B, {', '.join(map(str, self.input_shape))}], got "
                f"{x.dtype} {list(x.shape)}"
            )
        g = self.graph
        values: dict[str, np.ndarray] = {g.input: x.astype(np.int64)}
        for layer in g.layers:
            values[layer.output] = self.layer_output(layer, [values[g.storage(name)] for name in layer.inputs])
        out = values[g.storage(g.output)]
        return out.reshape(out.shape[0], *g.tensors[g.output].shape[1:]).astype(np.int8)

    def layer_output(self, layer: Layer, inputs: list[np.ndarray]) -> np.ndarray:
        """One layer's batched int64 output (a subclass may change how a layer accumulates)."""
        return BY_KIND[layer.kind].reference(layer, inputs, self.consts, self.graph.mode)

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        """float32 [B, *input_shape] -> int8 as ONNX Runtime's QuantizeLinear (uint8 shifted by -128)."""
        t = self.graph.tensors[self.graph.input]
        return qparams.quantize_float(x, t.scale, t.zp).astype(np.int8)

    def dequantize_output(self, y: np.ndarray) -> np.ndarray:
        """int8 output -> float32 (y - zp) * scale."""
        t = self.graph.tensors[self.graph.output]
        return qparams.dequantize(y, t.scale, t.zp)


def exact_int8_outputs(model: Path, x: np.ndarray) -> np.ndarray:
    """The int8 ONNX model's outputs on float32 inputs `x` under its exact integer semantics
    (ONNX Runtime's rounding, int32 accumulation: the `ort-exact` reference), dequantized, [B, -1].

    This is flightml's int8 truth: the same on every host, equal to an exact ONNX Runtime session. A
    model the compiler cannot lower (an op it lacks, e.g. a Relu QDQ-quantized on its own) is run by
    that exact session instead (`flightml.ort_session.ort_session`; tests/ort_x86/test_oracle.py).
    """
    try:
        graph = lower(*load_model(Path(model)), "ort-exact")
    except InputError:
        from flightml.ort_session import ort_session

        session = ort_session(Path(model))
        y = session.run(None, {session.get_inputs()[0].name: np.asarray(x, dtype=np.float32)})[0]
        return y.reshape(y.shape[0], -1)
    ref = Reference(graph)
    y = ref.run(ref.quantize_input(np.asarray(x, dtype=np.float32)))
    return ref.dequantize_output(y).reshape(y.shape[0], -1)
