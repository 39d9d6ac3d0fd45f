"""Small synthetic int8 .tflite models (tests/tflite/builder.py) covering the importer's ops."""

from __future__ import annotations

import numpy as np
from tfl_builder import TfliteBuilder


def _conv_weights(rng, shape, out_axis=0):
    w = rng.integers(-127, 128, shape).astype(np.int8)
    scales = rng.uniform(0.002, 0.02, shape[out_axis])
    return w, scales


def branchy(seed: int = 0) -> bytes:
    """NHWC input 1x8x8x3 -> PAD -> CONV_2D (VALID, per-channel, RELU6) -> DEPTHWISE (SAME, x2, RELU)
    and MAX_POOL_2D -> CONCATENATION (channels) -> ADD with a CONV_2D branch -> AVERAGE_POOL_2D (SAME,
    2x2 stride 2) -> RESHAPE (flatten NHWC) -> FULLY_CONNECTED -> SOFTMAX."""
    rng = np.random.default_rng(seed)
    m = TfliteBuilder()
    x = m.tensor((1, 8, 8, 3), 0.04, -5)
    pads = m.tensor((4, 2), data=[[0, 0], [1, 1], [1, 1], [0, 0]], dtype=np.int32)
    xp = m.tensor((1, 10, 10, 3), 0.04, -5)
    m.op("PAD", [x, pads], [xp])
    w, s = _conv_weights(rng, (4, 3, 3, 3))
    wt = m.tensor(w.shape, s, 0, w)
    bt = m.tensor((4,), s * 0.04, 0, rng.integers(-2000, 2000, 4), np.int32)
    c1 = m.tensor((1, 8, 8, 4), 0.03, -128)
    m.op("CONV_2D", [xp, wt, bt], [c1], "Conv2DOptions", Padding=1, StrideW=1, StrideH=1, FusedActivationFunction=3)
    dw, ds = _conv_weights(rng, (1, 3, 3, 8), out_axis=3)
    dwt = m.tensor(dw.shape, ds, 0, dw, axis=3)
    dbt = m.tensor((8,), ds * 0.03, 0, rng.integers(-500, 500, 8), np.int32)
    d1 = m.tensor((1, 8, 8, 8), 0.03, -128)
    m.op(
        "DEPTHWISE_CONV_2D",
        [c1, dwt, dbt],
        [d1],
        "DepthwiseConv2DOptions",
        Padding=0,
        StrideW=1,
        StrideH=1,
        DepthMultiplier=2,
        FusedActivationFunction=1,
    )
    mp = m.tensor((1, 8, 8, 4), 0.03, -128)
    m.op("MAX_POOL_2D", [c1], [mp], "Pool2DOptions", Padding=0, StrideW=1, StrideH=1, FilterWidth=3, FilterHeight=3)
    cat = m.tensor((1, 8, 8, 12), 0.03, -128)
    m.op("CONCATENATION", [d1, mp], [cat], "ConcatenationOptions", Axis=3)
    w2, s2 = _conv_weights(rng, (12, 1, 1, 12))
    w2t = m.tensor(w2.shape, s2, 0, w2)
    c2 = m.tensor((1, 8, 8, 12), 0.06, 3)
    m.op("CONV_2D", [cat, w2t, -1], [c2], "Conv2DOptions", Padding=1, StrideW=1, StrideH=1)
    add = m.tensor((1, 8, 8, 12), 0.08, -7)
    m.op("ADD", [cat, c2], [add], "AddOptions", FusedActivationFunction=1)
    ap = m.tensor((1, 4, 4, 12), 0.08, -7)
    m.op(
        "AVERAGE_POOL_2D", [add], [ap], "Pool2DOptions", Padding=0, StrideW=2, StrideH=2, FilterWidth=2, FilterHeight=3
    )
    shape = m.tensor((2,), data=[1, 192], dtype=np.int32)
    flat = m.tensor((1, 192), 0.08, -7)
    m.op("RESHAPE", [ap, shape], [flat])
    fw = rng.integers(-127, 128, (10, 192)).astype(np.int8)
    fwt = m.tensor(fw.shape, 0.004, 0, fw)
    fbt = m.tensor((10,), 0.08 * 0.004, 0, rng.integers(-3000, 3000, 10), np.int32)
    logits = m.tensor((1, 10), 0.04, 10)
    m.op("FULLY_CONNECTED", [flat, fwt, fbt], [logits], "FullyConnectedOptions")
    probs = m.tensor((1, 10), 1.0 / 256, -128)
    m.op("SOFTMAX", [logits], [probs], "SoftmaxOptions", Beta=1.0)
    return m.build([x], [probs])


def nhwc_out(seed: int = 1) -> bytes:
    """A 4-D output: 1x6x5x2 -> CONV_2D (SAME, stride 2) -> 1x3x3x4 (the C returns NHWC)."""
    rng = np.random.default_rng(seed)
    m = TfliteBuilder()
    x = m.tensor((1, 6, 5, 2), 0.1, 7)
    w, s = _conv_weights(rng, (4, 3, 3, 2))
    wt, bt = m.tensor(w.shape, s, 0, w), m.tensor((4,), s * 0.1, 0, rng.integers(-900, 900, 4), np.int32)
    y = m.tensor((1, 3, 3, 4), 0.09, -3)
    m.op("CONV_2D", [x, wt, bt], [y], "Conv2DOptions", Padding=0, StrideW=2, StrideH=2)
    return m.build([x], [y])


def unsupported() -> bytes:
    """A TANH after a FULLY_CONNECTED: the importer must name operator 1 and its output tensor."""
    m = TfliteBuilder()
    x = m.tensor((1, 4), 0.1, 0)
    w = m.tensor((3, 4), 0.01, 0, np.ones((3, 4)))
    h = m.tensor((1, 3), 0.05, 0)
    m.op("FULLY_CONNECTED", [x, w, -1], [h], "FullyConnectedOptions")
    y = m.tensor((1, 3), 1.0 / 128, 0, name="tanh_out")
    m.op("TANH", [h], [y])
    return m.build([x], [y])


def float_edges_mean(mean_q: tuple[float, int] = (0.05, 3), seed: int = 2) -> bytes:
    """float32 in -> QUANTIZE -> CONV_2D (1x1) -> MEAN over H, W (keep dims; output quantization mean_q)
    -> DEQUANTIZE -> float32 out."""
    rng = np.random.default_rng(seed)
    m = TfliteBuilder()
    xf = m.tensor((1, 5, 4, 3), dtype=np.float32)
    x = m.tensor((1, 5, 4, 3), 0.05, 4)
    m.op("QUANTIZE", [xf], [x])
    w, s = _conv_weights(rng, (6, 1, 1, 3))
    wt, bt = m.tensor(w.shape, s, 0, w), m.tensor((6,), s * 0.05, 0, rng.integers(-300, 300, 6), np.int32)
    c = m.tensor((1, 5, 4, 6), 0.07, -20)
    m.op("CONV_2D", [x, wt, bt], [c], "Conv2DOptions", Padding=1, StrideW=1, StrideH=1)
    axes = m.tensor((2,), data=[1, 2], dtype=np.int32)
    mean = m.tensor((1, 1, 1, 6), *mean_q)
    m.op("MEAN", [c, axes], [mean], "ReducerOptions", KeepDims=True)
    yf = m.tensor((1, 1, 1, 6), dtype=np.float32)
    m.op("DEQUANTIZE", [mean], [yf])
    return m.build([xf], [yf])
