"""Converter-style models (issue 15): how they lower. Bit-exactness is in test_ops (the cv_* cases)."""

from __future__ import annotations

import onnx
import pytest
import qmodels as qm
from onnx import numpy_helper
from op_cases import converter_specs

from flightml.compiler.passes import lower
from flightml.errors import InputError

SPECS = {s.name: s for s in converter_specs()}


def _kinds(name: str, mode: str = "fixedpoint") -> tuple[list[str], list[str]]:
    graph = lower(SPECS[name].prebuilt, "sha", mode)
    return [layer.kind for layer in graph.layers], graph.notes


def test_matmul_add_is_one_fc_layer_and_batch_is_said() -> None:
    kinds, notes = _kinds("cv_fc_bias_relu")
    assert kinds == ["fc"]
    assert notes == ["input 'x': symbolic batch dimension 'batch' taken as 1"]


def test_layout_only_transpose_is_a_view() -> None:
    assert _kinds("cv_transpose_view_fc")[0] == ["fc"]


def test_nhwc_transposes_are_copy_kernels() -> None:
    assert _kinds("cv_nhwc_conv")[0] == ["transpose", "conv", "transpose"]


def test_softmax_layer() -> None:
    assert _kinds("cv_fc_bias_softmax")[0] == ["fc", "softmax"]


def test_int8_input_scale_is_read_from_its_dequantize() -> None:
    graph = lower(SPECS["cv_nhwc_conv"].prebuilt, "sha", "fixedpoint")
    x = graph.tensors[graph.input]
    assert (x.scale, x.zp, x.shape) == (pytest.approx(0.05), 3, (1, 5, 6, 3))


def test_bias_with_wrong_scale_is_refused() -> None:
    model = onnx.ModelProto()
    model.CopyFrom(SPECS["cv_fc_bias_relu"].prebuilt)
    bias_scale = next(i for i in model.graph.initializer if i.name.startswith("bs_"))
    bias_scale.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(bias_scale) * 2, bias_scale.name))
    with pytest.raises(InputError, match="bias scale must be input scale x weight scale"):
        lower(model, "sha", "fixedpoint")


def test_pad_folds_into_the_conv(tmp_path) -> None:
    spec = qm.pad_conv("fold_pad", (3, 12), [2, 1], pads=[0, 1])
    model = onnx.load(qm.quantize(spec, tmp_path))
    layers = lower(model, "sha", "fixedpoint").layers
    assert [(layer.kind, layer.params["pad_left"], layer.out_shape) for layer in layers] == [("conv", 2, (1, 3, 14))]
    pad = next(n for n in model.graph.node if n.op_type == "Pad")
    pad.attribute[0].s = b"reflect"
    with pytest.raises(InputError, match=r"fold_pad_pad.*only a constant zero Pad"):
        lower(model, "sha", "fixedpoint")
