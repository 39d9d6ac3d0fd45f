"""The per-op test cases (float models quantized by quantize_static)."""

from __future__ import annotations

import convmodels as cm
import qmodels as qm


def op_specs() -> list[qm.Spec]:
    specs = [
        qm.conv("conv1d_pad1", (3, 16), 5, (3,), pads=[1, 1]),
        qm.conv("conv1d_stride2_asym", (2, 17), 4, (3,), strides=[2], pads=[0, 2], relu=False),
        qm.conv("conv1d_same_upper", (3, 20), 4, (4,), auto_pad="SAME_UPPER"),
        qm.conv("conv1d_dil2", (3, 20), 4, (3,), pads=[2, 1], dilations=[2]),
        qm.conv("conv1d_same_lower_s2", (2, 15), 3, (4,), auto_pad="SAME_LOWER", strides=[2], bias=False),
        qm.conv("conv1d_depthwise", (4, 12), 4, (3,), group=4, pads=[1, 1]),
        qm.conv("conv2d_basic", (3, 7, 6), 4, (3, 3), pads=[1, 1, 1, 1]),
        qm.conv("conv2d_stride_dil", (2, 9, 8), 3, (3, 2), strides=[2, 1], dilations=[1, 2], pads=[1, 0, 2, 1]),
        qm.conv("conv2d_depthwise_valid", (3, 6, 6), 6, (3, 3), group=3, auto_pad="VALID"),
        qm.conv("conv2d_grouped", (4, 5, 5), 4, (1, 3), group=2, pads=[0, 1, 0, 1], relu=False),
        qm.gemm("gemm_relu", 24, 10, relu=True),
        qm.gemm("gemm_nobias_transb0", 12, 5, bias=False, trans_b=0),
        qm.matmul("matmul_2d", (7,), 6),
        qm.matmul("matmul_3d", (3, 5), 4),
        qm.pool("maxpool1d", "MaxPool", (3, 11), kernel_shape=[3], strides=[2], pads=[1, 1]),
        qm.pool("maxpool2d_ceil", "MaxPool", (2, 7, 7), kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
        qm.pool("maxpool2d_dil", "MaxPool", (2, 8, 8), kernel_shape=[2, 2], dilations=[2, 2]),
        qm.chain("chain1d_flatten", (2, 16), "Flatten"),
        qm.chain("chain2d_reshape", (2, 8, 8), "Reshape"),
        qm.chain("chain1d_squeeze_unsqueeze", (2, 12), "SqueezeUnsqueeze"),
        qm.residual("residual1d", (3, 12)),
        qm.residual("residual2d", (2, 5, 5)),
        qm.matmul_bias("matmul_add_bias", (3, 6), 5),
        qm.concat("concat1d", (2, 10)),
        qm.concat("concat2d", (2, 4, 5)),
        qm.conv_clip("conv_clip6", (2, 9)),
        qm.pool("avgpool1d", "AveragePool", (3, 11), kernel_shape=[3], strides=[2], pads=[1, 1]),
        qm.pool(
            "avgpool2d_incl_pad", "AveragePool", (2, 6, 6), kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1
        ),
        qm.pool("avgpool2d_ceil", "AveragePool", (2, 7, 6), kernel_shape=[2, 3], strides=[2, 2], ceil_mode=1),
        qm.pool("gap1d", "GlobalAveragePool", (4, 9)),
        qm.pool("gap2d", "GlobalAveragePool", (3, 5, 4)),
        qm.pad_conv("pad_conv1d", (3, 12), [2, 1], pads=[0, 1]),
        qm.pad_conv("pad_conv2d_stride", (2, 7, 6), [1, 0, 2, 1], strides=[2, 2]),
        qm.softmax("softmax10", 16, 10),
        qm.softmax("softmax_rows", 8, 12, rows=(3,)),
    ]
    pc = qm.conv("conv1d_per_channel", (3, 16), 6, (3,), pads=[1, 1])
    pc.per_channel = True
    pc2 = qm.gemm("gemm_per_channel", 16, 8, relu=True)
    pc2.per_channel = True
    u8 = qm.conv("conv2d_uint8", (2, 6, 6), 3, (3, 3), pads=[1, 1, 1, 1])
    u8.unsigned = True
    u8w = qm.gemm("gemm_uint8_weights", 10, 4)
    u8w.unsigned = True
    u8w.weight_unsigned = True
    u8r = qm.residual("residual_uint8", (3, 9))
    u8r.unsigned = True
    u8s = qm.softmax("softmax_uint8", 12, 6)
    u8s.unsigned = True
    u8a = qm.pool("avgpool1d_uint8", "AveragePool", (3, 12), kernel_shape=[4], strides=[3], pads=[2, 1])
    u8a.unsigned = True
    io8 = qm.conv("int8_io_conv1d", (3, 16), 4, (3,), pads=[1, 1])
    io8.int8_io = True
    io8u = qm.residual("uint8_io_residual", (2, 10))
    io8u.int8_io = io8u.unsigned = True
    io8s = qm.softmax("int8_io_softmax", 10, 5)
    io8s.int8_io = True
    return [*specs, pc, pc2, u8, u8w, u8r, u8s, u8a, io8, io8u, io8s, *converter_specs()]


def converter_specs() -> list[qm.Spec]:
    """tf2onnx-style models: int8 I/O, symbolic batch, MatMul + Add(bias), input/output Transpose, Softmax."""
    models = {
        "cv_fc_bias_relu": ((24,), cm.fc_bias("cv_fc_bias_relu", 24, 10, relu=True)),
        "cv_fc_bias_softmax": ((16,), cm.fc_bias("cv_fc_bias_softmax", 16, 8, relu=False, softmax=True)),
        "cv_transpose_view_fc": ((12, 1), cm.fc_bias("cv_transpose_view_fc", 12, 6, relu=True, transpose_in=True)),
        "cv_nhwc_conv": ((5, 6, 3), cm.nhwc_conv("cv_nhwc_conv", (5, 6, 3), 4)),
        "cv_nhwc_depthwise": ((4, 4, 5), cm.nhwc_conv("cv_nhwc_depthwise", (4, 4, 5), 5, depthwise=True)),
    }
    return [qm.Spec(name, shape, [], prebuilt=model) for name, (shape, model) in models.items()]
