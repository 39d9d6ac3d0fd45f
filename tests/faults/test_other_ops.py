"""Fault injection beyond the reference network: 2-D and depthwise conv, residual Add, AveragePool,
and a single-layer model without an arena. The C build equals the batched reference on faulty images."""

from __future__ import annotations

import numpy as np
import pytest

from flightml.faults.campaign import Sampler, make_trial
from flightml.faults.cbuild import FaultHarness
from flightml.faults.inject import Propagator
from flightml.faults.model import load_compiled
from flightml.verify.reference import Reference


def _model(kind: str):
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c1 = nn.Conv2d(2, 4, 3, padding=1)
            self.c2 = nn.Conv2d(4, 4, 3, padding=1, groups=4)
            self.fc = nn.Linear(64, 3)
            self.only = nn.Linear(8, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if kind == "single":
                return self.only(x)
            y = torch.relu(self.c1(x))
            z = nn.functional.avg_pool2d(self.c2(y) + y, 2)
            return self.fc(z.flatten(1))

    torch.manual_seed(0)
    return Net().eval(), (8,) if kind == "single" else (2, 8, 8)


@pytest.mark.parametrize("kind", ["single", "residual"])
def test_c_equals_reference_on_faulty_images_other_ops(kind: str, tmp_path) -> None:
    import torch

    from flightml.compiler import compile_model
    from flightml.config import QuantConfig
    from flightml.quantize.stage import quantize_onnx

    net, shape = _model(kind)
    x = torch.randn(48, *shape)
    torch.onnx.export(net, (x[:1],), str(tmp_path / "fp32.onnx"), opset_version=13, input_names=["spectrum"],
                      output_names=["logits"], dynamic_axes={"spectrum": {0: "b"}, "logits": {0: "b"}}, dynamo=False)
    quantize_onnx(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", x.numpy(), QuantConfig())
    compile_model(tmp_path / "int8.onnx", tmp_path / "c", "tiny", "fixedpoint", "tests/faults")
    compiled = load_compiled(tmp_path / "c")
    xq = Reference(compiled.graph).quantize_input(x.numpy())
    prop = Propagator(compiled.graph, xq)
    rng = np.random.default_rng(0)
    specs = [Sampler(compiled.image, prop, where).draw(n, rng)
             for where in ("weights", "biases", "requant", "arena", "all") for n in (1, 3, 10)]
    status, _, outputs = FaultHarness(compiled, sanitize=True).run(xq, specs)
    expected = prop.outputs([make_trial(compiled.image, c, a) for c, a in specs])
    for got, want in zip(outputs, expected, strict=True):
        assert np.array_equal(got, want.reshape(got.shape))
    changed = np.array([compiled.image.crc32(compiled.image.apply(c)) != compiled.image.crc32() for c, _ in specs])
    assert np.array_equal(status != 0, changed)
