"""The reference network end to end: C == reference on all 1000 test spectra in both modes,
ort-exact == ONNX Runtime, fixedpoint class agreement >= 99.9 %, arena <= 1,100 bytes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import flightml
from flightml.artifacts import RunDir, read_json
from flightml.cli import main
from flightml.compiler import compile_model
from flightml.compiler.stage import compile_stage
from flightml.config import Config
from flightml.data import save_spectra
from flightml.mcu.model_api import read_model_api
from flightml.ort_session import ort_session
from flightml.verify.host import verify_dir, verify_host_stage


@pytest.mark.parametrize("mode", ["fixedpoint", "ort-exact", "ort-int"])
def test_refnet_bitexact(refnet, tmp_path: Path, mode: str) -> None:
    c_dir = tmp_path / "c"
    compile_model(refnet.int8, c_dir, "spectrumnet", mode, "pytest")
    r = verify_dir(c_dir, refnet.spectra.x_test, refnet.spectra.y_test, latency=False)
    assert r["samples"] == 1000
    assert r["bitexact_vs_reference"] == 1.0
    assert r["arena_bytes"] <= 1344  # tensors 1,024 B + the pair kernel's scratch 312 B at layer 1
    if mode != "fixedpoint":
        assert r["bitexact_vs_ort"] == 1.0
    assert r["class_agreement_vs_ort"] >= 0.999


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["int8_pc", "int8_qop"])
@pytest.mark.parametrize("mode", ["fixedpoint", "ort-exact"])
def test_refnet_per_channel_and_qoperator_bitexact(refnet, tmp_path: Path, mode: str, variant: str) -> None:
    compile_model(getattr(refnet, variant), tmp_path / "c", "spectrumnet", mode, "pytest")
    r = verify_dir(tmp_path / "c", refnet.spectra.x_test, refnet.spectra.y_test, latency=False)
    assert r["bitexact_vs_reference"] == 1.0
    assert r["class_agreement_vs_ort"] >= 0.999
    if mode == "ort-exact":
        assert r["bitexact_vs_ort"] == 1.0
    else:
        assert r["max_abs_diff_lsb_vs_ort"] <= 2


def test_compiled_model_predict_matches_onnxruntime(refnet, tmp_path: Path) -> None:
    compile_model(refnet.int8, tmp_path / "c", "spectrumnet", "ort-exact", "pytest")
    model = flightml.CompiledModel(tmp_path / "c")
    x = refnet.spectra.x_test[:50]
    sess = ort_session(refnet.int8)
    expected = np.concatenate([sess.run(None, {"spectrum": x[i : i + 1]})[0] for i in range(len(x))])
    np.testing.assert_array_equal(model.predict(x), expected)
    assert model.invoke_int8(model.quantize(x[0])).shape == (1, 4)


def test_same_inputs_give_identical_bytes(refnet, tmp_path: Path) -> None:
    for d in ("a", "b"):
        compile_model(refnet.int8, tmp_path / d, "spectrumnet", "fixedpoint", "pytest")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_package_is_the_same_from_any_folder(refnet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`flightml compile` from two folders (relative vs absolute paths, different cwd and --out) gives a
    byte-identical package (C, board files, JSON); the banner names the model's basename, not a path."""
    outs = []
    for d, relative in (("first/x", True), ("second/deeper/y", False)):
        folder = tmp_path / d
        folder.mkdir(parents=True)
        shutil.copy(refnet.int8, folder / "model_int8.onnx")
        monkeypatch.chdir(folder)
        model, out = (Path("model_int8.onnx"), Path("pkg")) if relative else (folder / "model_int8.onnx", folder / "o")
        assert main(["compile", str(model), "--out", str(out), "--name", "spectrumnet"]) == 0
        outs.append(folder / out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    for f in files:
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f
    head = (outs[0] / "model.h").read_text()
    assert " * model: model_int8.onnx sha256 " in head and str(tmp_path) not in head


def test_package_reads_as_a_reviewer_needs(refnet, tmp_path: Path) -> None:
    """WEIGHT_BYTES counts the weight and bias arrays of model.c, CONST_BYTES every constant array; every
    scalar #define of model.h is parenthesised; no null pointer is written as 0; each constant array has
    its layer, node, dtype and shape above it; arena offsets are named macros, never bare numbers."""
    compile_model(refnet.int8, tmp_path / "c", "spectrumnet", "fixedpoint", "pytest")
    model_c = (tmp_path / "c" / "model.c").read_text()
    sizes = {"int8_t": 1, "int32_t": 4, "float": 4}
    arrays = {n: sizes[t] * int(k) for t, n, k in re.findall(r"static const (\w+) (\w+)\[(\d+)\] = \{", model_c)}
    api = read_model_api(tmp_path / "c")
    assert api.sizes["weights_and_biases"] == sum(b for n, b in arrays.items() if n.endswith(("_weights", "_bias")))
    assert api.sizes["weights_and_biases"] == 33800
    assert api.sizes["const"] == sum(arrays.values()) > 33800
    header = (tmp_path / "c" / "model.h").read_text()
    scalars = re.findall(r"^#define SPECTRUMNET_\w+ (.*)$", header, re.M)
    assert scalars and all(v.startswith("(") or v.startswith("{") for v in scalars), scalars
    assert "#define SPECTRUMNET_INPUT_ZERO_POINT (-" in header
    assert ".scale = NULL," in model_c and "input == NULL" in model_c
    assert not re.search(r"\.(mult|shift|scale) = 0,|== 0\b", model_c)
    lines = model_c.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"static const (int8_t|int32_t|float) \w+\[", line):
            comment = r"/\* layer \d \w+ <- node '.*' \([\w+]+\): \w+ \w+ \[[\d,]+\], \d+ B \*/"
            assert re.fullmatch(comment, lines[i - 1]), line
    assert "int8 [1,16,32], 512 B, live layers 1-2 */" in model_c
    assert "#define SPECTRUMNET_ARENA_T1_OFFSET 832u /* tensor " in model_c
    assert "#define SPECTRUMNET_ARENA_S1_OFFSET 512u /* kernel scratch of layer 1 (conv_maxpool), 312 B */" in model_c
    assert not re.search(r"arena\.bytes( \+ |\[)\d", model_c)


def test_generated_files_have_banner_and_plan(refnet, tmp_path: Path) -> None:
    compile_model(refnet.int8, tmp_path / "c", "spectrumnet", "fixedpoint", "pytest")
    for f in (tmp_path / "c").rglob("*.[ch]"):
        assert f.read_text().startswith("/* Generated by flightml"), f
    plan = read_json(tmp_path / "c" / "plan.json")
    assert [layer["kernel"] for layer in plan["layers"]] == [
        "fm_conv_pair_s8",
        "fm_conv_maxpool_pair_s8",
        "fm_fc_s8",
        "fm_fc_s8",
    ]
    assert plan["arena_bytes"] >= plan["peak_live_bytes"]
    text = (tmp_path / "c" / "model.c").read_text()
    assert "float" not in text.split("_invoke(")[1].split("void spectrumnet_quantize_input")[0]


@pytest.mark.slow
def test_stage_functions_write_summary(refnet, tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    run.root.mkdir()
    (run.path("model_int8.onnx")).write_bytes(refnet.int8.read_bytes())
    save_spectra(run.path("spectra.npz"), refnet.spectra)
    config = Config()
    compile_stage(run, config)
    verify_host_stage(run, config)
    summary = run.summary()
    for mode in ("fixedpoint", "ort-exact"):
        c = summary["c"][mode]
        assert c["bitexact_vs_reference"] == 1.0
        assert c["arena_bytes"] <= 1344
        assert c["latency_us"] > 0
    assert summary["c"]["ort-exact"]["bitexact_vs_ort"] == 1.0
    assert summary["macs"] == 59136
    assert read_json(run.path("verify_host.json"))["target"] == "host"


def test_c_quantize_helper_matches_quantizelinear(refnet, tmp_path: Path) -> None:
    """NAME_quantize_input (C, float) equals ONNX Runtime's QuantizeLinear rule on the test spectra."""
    import ctypes

    compile_model(refnet.int8, tmp_path / "c", "spectrumnet", "fixedpoint", "pytest")
    model = flightml.CompiledModel(tmp_path / "c")
    fn = model._lib.spectrumnet_quantize_input
    fn.argtypes, fn.restype = [ctypes.c_void_p, ctypes.c_void_p], None
    x = np.ascontiguousarray(refnet.spectra.x_test[:200], dtype=np.float32)
    q = np.empty(x.shape, dtype=np.int8)
    for i in range(len(x)):
        fn(x[i].ctypes.data, q[i].ctypes.data)
    np.testing.assert_array_equal(q, model.quantize(x))
