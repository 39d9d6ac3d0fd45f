"""Hypothesis: random small QDQ models (Conv 1-D/2-D with random channels, kernels, strides, dilations,
paddings, groups, bias or not, per-tensor or per-channel, Relu or not; Gemm; MaxPool), random
quantization parameters and random int8 inputs including all -128 and all 127: the generated C equals
the numpy reference in both modes. Each example compiles a batch of models into one C build per mode.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).parents[1] / "ops"))

from harness import run_all

MODELS_PER_EXAMPLE = 6


def _q(name: str, src: str, dst: str, scale: float, zp: int) -> list:
    return [
        numpy_helper.from_array(np.array(scale, dtype=np.float32), f"{name}_s"),
        numpy_helper.from_array(np.array(zp, dtype=np.int8), f"{name}_z"),
    ], [
        helper.make_node("QuantizeLinear", [src, f"{name}_s", f"{name}_z"], [f"{dst}_q"], name=f"{name}_Q"),
        helper.make_node("DequantizeLinear", [f"{dst}_q", f"{name}_s", f"{name}_z"], [dst], name=f"{name}_DQ"),
    ]


@st.composite
def conv_models(draw: st.DrawFn) -> tuple[onnx.ModelProto, tuple[int, ...]]:
    rank = draw(st.sampled_from([1, 2]))
    c = draw(st.integers(1, 4))
    depthwise = draw(st.booleans())
    groups = c if depthwise else 1
    m = c * draw(st.integers(1, 2)) if depthwise else draw(st.integers(1, 5))
    kernel = [draw(st.integers(1, 4)) for _ in range(rank)]
    strides = [draw(st.integers(1, 3)) for _ in range(rank)]
    dils = [draw(st.integers(1, 2)) for _ in range(rank)]
    pads = [draw(st.integers(0, k - 1)) for k in kernel] + [draw(st.integers(0, k - 1)) for k in kernel]
    spatial = [draw(st.integers((k - 1) * d + 1, 12)) for k, d in zip(kernel, dils, strict=True)]
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    per_channel = draw(st.booleans())
    sx = float(draw(st.floats(0.005, 0.2)))
    zx = draw(st.integers(-128, 127))
    sw = rng.uniform(0.002, 0.05, m if per_channel else 1).astype(np.float32)
    w = rng.integers(-128, 128, (m, c // groups, *kernel)).astype(np.int8)
    taps = (c // groups) * int(np.prod(kernel))
    sy = float(sx * float(sw.mean()) * 40.0 * np.sqrt(taps) * draw(st.floats(0.2, 2.0)))
    zy = draw(st.integers(-128, 127))
    inits, nodes = _q("x", "x", "xf", sx, zx)
    w_axis = {"axis": 0} if per_channel else {}
    inits += [
        numpy_helper.from_array(w, "w"),
        numpy_helper.from_array(sw if per_channel else np.float32(sw[0]), "w_s"),
        numpy_helper.from_array(np.zeros(m if per_channel else (), dtype=np.int8), "w_z"),
    ]
    nodes.append(helper.make_node("DequantizeLinear", ["w", "w_s", "w_z"], ["wf"], name="w_DQ", **w_axis))
    conv_in = ["xf", "wf"]
    if draw(st.booleans()):
        bias = rng.integers(-3000, 3000, m).astype(np.int32)
        inits += [
            numpy_helper.from_array(bias, "b"),
            numpy_helper.from_array((np.float32(sx) * sw).astype(np.float32).reshape(-1), "b_s"),
            numpy_helper.from_array(np.zeros(sw.size, dtype=np.int32), "b_z"),
        ]
        nodes.append(helper.make_node("DequantizeLinear", ["b", "b_s", "b_z"], ["bf"], name="b_DQ", axis=0))
        conv_in.append("bf")
    relu = draw(st.booleans())
    nodes.append(
        helper.make_node(
            "Conv",
            conv_in,
            ["c" if relu else "cf"],
            name="conv",
            group=groups,
            kernel_shape=kernel,
            strides=strides,
            dilations=dils,
            pads=pads,
        )
    )
    if relu:
        nodes.append(helper.make_node("Relu", ["c"], ["cf"], name="relu"))
    q_inits, q_nodes = _q("y", "cf", "yf", sy, zy)
    inits += q_inits
    nodes += q_nodes
    conv_out = [
        (size + pads[i] + pads[i + rank] - (k - 1) * d - 1) // st_ + 1
        for i, (size, k, d, st_) in enumerate(zip(spatial, kernel, dils, strides, strict=True))
    ]
    if min(conv_out) >= 2 and draw(st.booleans()):  # a max pool after the conv (fused when it applies)
        nodes[-1].output[0] = "yp"
        nodes.append(
            helper.make_node(
                "MaxPool",
                ["yp"],
                ["mp"],
                name="pool",
                kernel_shape=[2] * rank,
                strides=[draw(st.integers(1, 2))] * rank,
                ceil_mode=1,
            )
        )
        p_inits, p_nodes = _q("p", "mp", "yf", sy, zy)
        inits += p_inits
        nodes += p_nodes
    return _float_model("random", nodes, inits, (c, *spatial))


def _float_model(name: str, nodes: list, inits: list, shape: tuple[int, ...]) -> tuple[onnx.ModelProto, tuple]:
    """(QDQ model with float input 'x' [1, *shape] and float output 'yf', shape)."""
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *shape])],
        [helper.make_tensor_value_info("yf", TensorProto.FLOAT, None)],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model, shape


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(conv_models(), min_size=MODELS_PER_EXAMPLE, max_size=MODELS_PER_EXAMPLE), st.integers(0, 2**31))
def test_random_conv_models_c_equals_reference(models: list, seed: int) -> None:
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory(prefix="flightml-prop-") as tmp:
        work = Path(tmp)
        paths, inputs = {}, {}
        for i, (model, shape) in enumerate(models):
            name = f"r{i}"
            paths[name] = work / f"{name}.onnx"
            onnx.save(model, paths[name])
            x = rng.integers(-128, 128, (12, *shape)).astype(np.int8)
            x[0], x[1] = -128, 127
            inputs[name] = x
        results = run_all(paths, inputs, work, modes=("fixedpoint", "ort-exact", "ort-int"), with_ort=False)
        for (name, mode), r in results.items():
            np.testing.assert_array_equal(r.c, r.ref, err_msg=f"{name} {mode}")


def _conv_node(draw: st.DrawFn, rng: np.random.Generator, name: str, src: str, c: int, rank: int, sx: float) -> tuple:
    """A QDQ Conv (random kernel, 'same' padding, dilation, depthwise or not, per-tensor or per-channel,
    bias, Relu) of float tensor `src` (c channels, scale sx) -> (inits, nodes, out, channels, scale, zp)."""
    depthwise = c > 1 and draw(st.booleans())
    m = c if depthwise else draw(st.integers(1, 4))
    kernel = [draw(st.integers(1, 3)) for _ in range(rank)]
    dils = [draw(st.integers(1, 2)) for _ in range(rank)]
    pads = [(k - 1) * d // 2 for k, d in zip(kernel, dils, strict=True)]
    pads = pads + [(k - 1) * d - p for k, d, p in zip(kernel, dils, pads, strict=True)]
    per_channel = draw(st.booleans())
    sw = rng.uniform(0.002, 0.05, m if per_channel else 1).astype(np.float32)
    w = rng.integers(-128, 128, (m, 1 if depthwise else c, *kernel)).astype(np.int8)
    bias = rng.integers(-3000, 3000, m).astype(np.int32)
    taps = (1 if depthwise else c) * int(np.prod(kernel))
    sy = float(sx * float(sw.mean()) * 40.0 * np.sqrt(taps) * draw(st.floats(0.3, 2.0)))
    inits = [
        numpy_helper.from_array(w, f"{name}_w"),
        numpy_helper.from_array(sw if per_channel else np.float32(sw[0]), f"{name}_ws"),
        numpy_helper.from_array(np.zeros(m if per_channel else (), dtype=np.int8), f"{name}_wz"),
        numpy_helper.from_array(bias, f"{name}_b"),
        numpy_helper.from_array((np.float32(sx) * sw).astype(np.float32).reshape(-1), f"{name}_bs"),
        numpy_helper.from_array(np.zeros(sw.size, dtype=np.int32), f"{name}_bz"),
    ]
    axis = {"axis": 0} if per_channel else {}
    nodes = [
        helper.make_node("DequantizeLinear", [f"{name}_w", f"{name}_ws", f"{name}_wz"], [f"{name}_wf"], **axis),
        helper.make_node("DequantizeLinear", [f"{name}_b", f"{name}_bs", f"{name}_bz"], [f"{name}_bf"], axis=0),
    ]
    relu = draw(st.booleans())
    conv_out = f"{name}_c" if relu else f"{name}_cf"
    nodes.append(
        helper.make_node(
            "Conv",
            [src, f"{name}_wf", f"{name}_bf"],
            [conv_out],
            name=name,
            group=c if depthwise else 1,
            kernel_shape=kernel,
            dilations=dils,
            pads=pads,
        )
    )
    if relu:
        nodes.append(helper.make_node("Relu", [conv_out], [f"{name}_cf"], name=f"{name}_relu"))
    # After a Relu, quantize_static's zero point is the int8 minimum; with any other, ONNX Runtime keeps
    # Conv+Relu in float (FusedConv between DQ and Q), which no integer semantics equals bit for bit.
    zy = -128 if relu else draw(st.integers(-128, 127))
    q_inits, q_nodes = _q(f"{name}_y", f"{name}_cf", f"{name}_out", sy, zy)
    return inits + q_inits, nodes + q_nodes, f"{name}_out", m, sy, zy


@st.composite
def mixed_models(draw: st.DrawFn) -> tuple[onnx.ModelProto, tuple[int, ...]]:
    """conv -> [residual: conv (same channels) + Add] -> [MaxPool or AveragePool] as QDQ, random params."""
    rank = draw(st.sampled_from([1, 2]))
    c = draw(st.integers(1, 4))
    spatial = [draw(st.integers(3, 10)) for _ in range(rank)]
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    sx = float(draw(st.floats(0.005, 0.2)))
    inits, nodes = _q("x", "x", "xf", sx, draw(st.integers(-128, 127)))
    i1, n1, y, m, sy, zy = _conv_node(draw, rng, "c1", "xf", c, rank, sx)
    inits, nodes = inits + i1, nodes + n1
    if draw(st.booleans()):  # residual: y + conv(y), requantized
        i2, n2, y2, m2, _, _ = _conv_node(draw, rng, "c2", y, m, rank, sy)
        if m2 == m:
            add = helper.make_node("Add", [y, y2], ["res"], name="add")
            sy, zy = sy * draw(st.floats(1.0, 2.0)), draw(st.integers(-30, 30))
            q_inits, q_nodes = _q("r", "res", "res_out", sy, zy)
            inits, nodes, y = inits + i2 + q_inits, [*nodes, *n2, add, *q_nodes], "res_out"
    pool = draw(st.sampled_from(["none", "MaxPool", "AveragePool"]))
    if pool != "none":
        k = [draw(st.integers(1, min(3, s))) for s in spatial]
        attrs = {"kernel_shape": k, "strides": [draw(st.integers(1, 2)) for _ in range(rank)]}
        attrs["pads"] = [draw(st.integers(0, kk - 1)) for kk in k] * 2
        if pool == "AveragePool":
            attrs["count_include_pad"] = int(draw(st.booleans()))
        nodes.append(helper.make_node(pool, [y], ["pooled"], name="pool", **attrs))
        if pool == "AveragePool":
            sy, zy = sy * draw(st.floats(0.5, 1.5)), draw(st.integers(-20, 20))
        q_inits, q_nodes = _q("p", "pooled", "pool_out", sy, zy)  # MaxPool: its input's quantization
        inits, nodes, y = inits + q_inits, nodes + q_nodes, "pool_out"
    nodes[-1].output[0] = "yf"
    return _float_model("mixed", nodes, inits, (c, *spatial))


@settings(
    max_examples=5,
    deadline=None,
    # the same examples on every run (CI must not depend on luck); drop derandomize to hunt with random draws:
    # --hypothesis-seed=39595 found the Add fixed part's fused multiply-add (qparams.add_ort_params)
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: a failure prints its models at once
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(mixed_models(), min_size=MODELS_PER_EXAMPLE, max_size=MODELS_PER_EXAMPLE), st.integers(0, 2**31))
def test_random_mixed_models_ort_exact_equals_onnxruntime(models: list, seed: int) -> None:
    """ort-exact == ONNX Runtime (an exact session) on Conv 1-D/2-D, depthwise, dilation, residual Add,
    MaxPool and AveragePool, per-tensor and per-channel; and the C == the reference."""
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory(prefix="flightml-prop-") as tmp:
        work = Path(tmp)
        paths, inputs = {}, {}
        for i, (model, shape) in enumerate(models):
            paths[f"r{i}"] = work / f"r{i}.onnx"
            onnx.save(model, paths[f"r{i}"])
            x = rng.integers(-128, 128, (12, *shape)).astype(np.int8)
            x[0], x[1] = -128, 127
            inputs[f"r{i}"] = x
        for (name, _), r in run_all(paths, inputs, work, modes=("ort-exact",)).items():
            np.testing.assert_array_equal(r.c, r.ref, err_msg=name)
            np.testing.assert_array_equal(r.ref, r.ort, err_msg=f"{name}: ort-exact vs ONNX Runtime")
