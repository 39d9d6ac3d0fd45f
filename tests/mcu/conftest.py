"""Fixtures for the MCU tests: tools present (else skip), the synthetic package (reference shapes,
random weights, numpy reference) and a run directory with the reference network (2 epochs,
per-tensor QDQ int8, compiled fixedpoint with the board files). Session-cached."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from flightml.artifacts import RunDir

sys.path.insert(0, str(Path(__file__).parent))
import synthetic


@pytest.fixture(scope="session")
def tools() -> None:
    from flightml.mcu.toolchain import missing_tools

    missing = missing_tools()
    if missing:
        pytest.skip(f"MCU tests need {', '.join(missing)} (make setup)")


@pytest.fixture(scope="session")
def synth(tools: None, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    """(package dir, int8 inputs [24, 64], numpy reference outputs [24, 4])."""
    c_dir = synthetic.write_package(tmp_path_factory.mktemp("synth") / "c")
    x = np.random.default_rng(7).integers(-128, 128, (24, 64)).astype(np.int8)
    return c_dir, x, synthetic.reference(x)


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
    torch.onnx.export(
        net,
        (x[:1],),
        str(fp32),
        opset_version=13,
        input_names=["spectrum"],
        output_names=["logits"],
        dynamic_axes={"spectrum": {0: "batch"}, "logits": {0: "batch"}},
        dynamo=False,
    )
    return fp32


@pytest.fixture(scope="session")
def ref_run(tools: None, tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    from flightml.compiler import compile_model
    from flightml.config import QuantConfig
    from flightml.data import save_spectra
    from flightml.data.reference import generate
    from flightml.mcu.package import add_board_files
    from flightml.quantize.stage import quantize_onnx

    out = tmp_path_factory.mktemp("mcu_run")
    spectra = generate(4000, 1000, 64, 0.03, 0)
    save_spectra(out / "spectra.npz", spectra)
    int8 = out / "model_int8.onnx"
    quantize_onnx(_train_export(out, spectra), int8, np.asarray(spectra.x_train[:300]), QuantConfig(per_channel=False))
    compile_model(int8, out / "c" / "fixedpoint", "spectrumnet", "fixedpoint", "tests/mcu fixture")
    add_board_files(out / "c" / "fixedpoint", "spectrumnet")
    return RunDir(out)
