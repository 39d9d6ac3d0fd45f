"""Session fixture: a run directory with the reference network (2 epochs), quantized int8 QDQ and
compiled to RUN/c/fixedpoint and RUN/c/ort-exact, plus RUN/spectra.npz."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flightml.artifacts import RunDir


def _train_export(out: Path, spectra: object) -> Path:
    import torch
    from torch import nn

    from flightml.config import ModelConfig
    from flightml.model import build_model

    torch.manual_seed(0)
    net = build_model(ModelConfig(), 64, 4)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    x, y = torch.from_numpy(spectra.x_train), torch.from_numpy(spectra.y_train)
    gen = torch.Generator().manual_seed(0)
    for _ in range(2):
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), 128):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[perm[i : i + 128]]), y[perm[i : i + 128]]).backward()
            opt.step()
    net.eval()
    fp32 = out / "model_fp32.onnx"
    torch.onnx.export(net, (x[:1],), str(fp32), opset_version=13, input_names=["spectrum"],
                      output_names=["logits"], dynamic_axes={"spectrum": {0: "batch"}, "logits": {0: "batch"}},
                      dynamo=False)
    return fp32


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    from flightml.compiler import compile_model
    from flightml.config import QuantConfig
    from flightml.data import save_spectra
    from flightml.data.reference import generate
    from flightml.quantize.stage import quantize_onnx

    out = tmp_path_factory.mktemp("faults_run")
    spectra = generate(4000, 1000, 64, 0.03, 0)
    save_spectra(out / "spectra.npz", spectra)
    fp32 = _train_export(out, spectra)
    int8 = out / "model_int8.onnx"
    quantize_onnx(fp32, int8, np.asarray(spectra.x_train[:300]), QuantConfig())
    for mode in ("fixedpoint", "ort-exact"):
        compile_model(int8, out / "c" / mode, "spectrumnet", mode, "tests/faults fixture")
    return RunDir(out)
