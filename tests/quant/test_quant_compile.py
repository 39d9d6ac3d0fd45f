"""The default (per-channel) and QAT int8 models compile and verify bit-exact through flightml's compiler."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from quant_helpers import small_config

from flightml.artifacts import RunDir
from flightml.compiler import compile_model
from flightml.data import load_spectra
from flightml.ort_session import ort_session
from flightml.quantize.qat import activation_tensors, export_qat, finetune
from flightml.quantize.stage import calibration_set
from flightml.train.stage import load_model
from flightml.verify.host import verify_dir


def _compile_and_verify(model: Path, out: Path, spectra, mode: str) -> dict:
    compile_model(model, out, "spectrumnet", mode, "pytest")
    return verify_dir(out, spectra.x_test, spectra.y_test, latency=False)


@pytest.fixture(scope="module")
def qat_model(small_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, list]:
    config = small_config(preset="reference", qat_epochs=1)
    run = RunDir(small_run)
    spectra = load_spectra(run.path("spectra.npz"))
    calibration = calibration_set(spectra, config.quant)
    result = finetune(load_model(run, config), spectra, calibration, config)
    path = tmp_path_factory.mktemp("qat") / "model_int8.onnx"
    scales = export_qat(result, spectra.bands, path, calibration, config.quant)
    return path, result, scales


@pytest.mark.parametrize("mode", ["ort-exact", "fixedpoint"])
def test_per_channel_default_compiles_bitexact(small_run: Path, tmp_path: Path, mode: str) -> None:
    spectra = load_spectra(small_run / "spectra.npz")
    int8 = onnx.load(str(small_run / "model_int8.onnx"))
    weight_scales = [t for t in int8.graph.initializer if t.name.endswith("weight_scale")]
    assert any(len(t.dims) == 1 and t.dims[0] > 1 for t in weight_scales)  # per-channel
    r = _compile_and_verify(small_run / "model_int8.onnx", tmp_path / "c", spectra, mode)
    assert r["bitexact_vs_reference"] == 1.0
    assert r["bitexact_vs_ort"] == 1.0


@pytest.mark.parametrize("mode", ["ort-exact", "fixedpoint"])
def test_qat_model_compiles_bitexact(small_run: Path, qat_model, tmp_path: Path, mode: str) -> None:
    spectra = load_spectra(small_run / "spectra.npz")
    r = _compile_and_verify(qat_model[0], tmp_path / "c", spectra, mode)
    assert r["bitexact_vs_reference"] == 1.0
    assert r["bitexact_vs_ort"] == 1.0


def test_qat_export_keeps_learned_scales(small_run: Path, qat_model) -> None:
    path, result, scales = qat_model
    model = onnx.load(str(path))
    assert [s["tensor"] for s in scales] == activation_tensors(onnx.load(str(small_run / "model_fp32.onnx")))
    values = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    for row, (scale, zp) in zip(scales, result.act_qparams, strict=True):
        assert values[f"{row['tensor']}_scale"] == np.float32(scale)
        assert int(values[f"{row['tensor']}_zero_point"]) == zp


def test_qat_fake_quant_matches_onnxruntime_int8(small_run: Path, qat_model) -> None:
    """The PyTorch fake-quantized network and the exported ORT int8 model predict the same classes."""
    from flightml.quantize.qat import wrap

    path, result, _ = qat_model
    spectra = load_spectra(small_run / "spectra.npz")
    config = small_config(preset="reference", qat_epochs=1)
    net, fakes = wrap(result.model, config.quant)
    for fake, (scale, zp) in zip(fakes, result.act_qparams, strict=True):
        fake.initialised, fake.observing = True, False
        fake.qparams = lambda s=scale, z=zp: (s, z)
    net.eval()
    with torch.no_grad():
        torch_pred = net(torch.from_numpy(spectra.x_test)).argmax(1).numpy()
    ort_logits = ort_session(path).run(None, {"spectrum": spectra.x_test})[0]
    assert np.mean(torch_pred == ort_logits.argmax(1)) >= 0.99
    with torch.no_grad():
        lsb = np.abs(net(torch.from_numpy(spectra.x_test)).numpy() - ort_logits) / result.act_qparams[-1][0]
    assert lsb.max() <= 1.001  # float accumulation vs int32: at most one rounding step apart
