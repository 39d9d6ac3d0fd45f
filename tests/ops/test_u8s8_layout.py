"""The U8S8 emulation's im2col (channels-last K, padding with the input zero point, groups, strides,
dilations, 2-D) and zero-point corrections: with the int16 clamp lifted, it must equal the integer
reference on every op case; with the clamp, it may only differ where a pair saturates."""

from __future__ import annotations

import numpy as np
import pytest
from op_cases import op_specs

from flightml.compiler.passes import load_model, lower
from flightml.verify import u8s8
from flightml.verify.reference import Reference

CASES = [spec.name for spec in op_specs()]


@pytest.mark.parametrize("name", CASES)
def test_emulation_without_the_clamp_is_the_reference(
    op_models: tuple[dict, dict], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    models, inputs = op_models
    graph = lower(*load_model(models[name]), "ort-exact")
    exact = Reference(graph).run(inputs[name])
    emulation = u8s8.SaturatingReference(graph)
    clamped = emulation.run(inputs[name])
    if not any(s.saturated_pairs for s in emulation.stats):
        np.testing.assert_array_equal(clamped, exact)
    monkeypatch.setattr(u8s8, "INT16_MIN", -(2**40))
    monkeypatch.setattr(u8s8, "INT16_MAX", 2**40)
    np.testing.assert_array_equal(u8s8.SaturatingReference(graph).run(inputs[name]), exact)
