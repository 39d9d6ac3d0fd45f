"""TFLite front end: synthetic .tflite models through flightml compile; the reference, the generated C
and TFLite Micro's interpreter agree bit for bit in the tflm mode (all -128, all 127, random inputs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tfl_models as models

from flightml.artifacts import read_json
from flightml.cli import main
from flightml.commands.verify import generate_inputs
from flightml.compiler import compile_model, load_graph
from flightml.compiler.planner import Buffer, place
from flightml.verify.compiled import CompiledModel
from flightml.verify.host import verify_dir
from flightml.verify.reference import Reference

pytest.importorskip("tflite_micro")
from flightml.verify.tflm import tflm_arena, tflm_int8


@pytest.fixture(scope="module")
def branchy(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tfl") / "branchy.tflite"
    path.write_bytes(models.branchy())
    return path


def test_branchy_bitexact_with_tflm(branchy: Path, tmp_path: Path) -> None:
    compile_model(branchy, tmp_path / "c", "model", "tflm", command="test")
    cm = CompiledModel(tmp_path / "c")
    assert cm.input_shape == (8, 8, 3)  # the .tflite's NHWC layout
    x = generate_inputs(cm.input_shape, 24)
    y_tflm = tflm_int8(branchy, x)
    y_ref = Reference(load_graph(branchy, "tflm")).run(x)
    assert np.array_equal(y_ref, y_tflm)
    assert np.array_equal(cm.invoke_int8(x), y_tflm)
    assert len(np.unique(y_tflm)) > 5  # not a saturated, constant output


def test_nhwc_output_layout(tmp_path: Path) -> None:
    path = tmp_path / "out4d.tflite"
    path.write_bytes(models.nhwc_out())
    result_dir = tmp_path / "c"
    compile_model(path, result_dir, "model", "tflm", command="test")
    cm = CompiledModel(result_dir)
    assert cm.output_shape == (3, 3, 4)
    x = generate_inputs(cm.input_shape, 8)
    assert np.array_equal(cm.invoke_int8(x), tflm_int8(path, x))


def test_verify_dir_reports_tflm_metrics_and_arena(branchy: Path, tmp_path: Path) -> None:
    compile_model(branchy, tmp_path / "c", "model", "tflm", command="test")
    x = generate_inputs((8, 8, 3), 16)
    result = verify_dir(tmp_path / "c", x, latency=False)
    assert result["bitexact_vs_tflm"] == 1.0 and result["max_abs_diff_lsb_vs_tflm"] == 0
    assert result["class_agreement_vs_tflm"] == 1.0 and "bitexact_vs_ort" not in result
    arena = tflm_arena(branchy)
    assert 0 < arena["head"] < arena["total"]
    # flightml's arena also holds the kernels' scratch (conv_mm: 2,696 B whatever the shape); its tensors
    # alone, planned as before scratch, stay within TFLM's planned head (TFLM's activations and scratch)
    plan = read_json(tmp_path / "c" / "plan.json")
    tensors = place([Buffer(b["tensor"], b["size"], b["first_layer"], b["last_layer"]) for b in plan["buffers"]])
    assert tensors <= arena["head"] and result["arena_bytes"] <= tensors + plan["scratch_bytes"]


def test_unsupported_op_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "tanh.tflite"
    path.write_bytes(models.unsupported())
    out = tmp_path / "c"
    proc = subprocess.run(
        [sys.executable, "-m", "flightml", "compile", str(path), "--out", str(out)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "operator 1 (TANH, output 'tanh_out')" in proc.stderr and "not supported" in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "not a TFLite flatbuffer"),
        (b"\x18\x00\x00\x00TFL3" + b"\xff" * 40, "corrupted TFLite flatbuffer"),
        (b"\x00" * 64, "not a TFLite flatbuffer"),
    ],
)
def test_bad_file_is_one_line_exit_2(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "bad.tflite"
    path.write_bytes(data)
    proc = subprocess.run(
        [sys.executable, "-m", "flightml", "compile", str(path), "--out", str(tmp_path / "c")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and expected in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "c").exists()


@pytest.mark.mcu
def test_branchy_bitexact_with_tflm_on_cortex_m4(branchy: Path, tmp_path: Path) -> None:
    """The DSP kernel set on emulated Cortex-M4 equals TFLite Micro (tflm mode: no inline fixedpoint rule)."""
    from flightml.mcu.toolchain import missing_tools
    from flightml.mcu.verify import verify_mcu_targets

    if missing_tools():
        pytest.skip(f"needs {', '.join(missing_tools())} (make setup)")
    compile_model(branchy, tmp_path / "c", "model", "tflm", command="test")
    x = generate_inputs((8, 8, 3), 16)
    expected = tflm_int8(branchy, x).reshape(16, -1)
    report = verify_mcu_targets(
        tmp_path / "c", x, expected, ["cortex-m4"], timeout_s=120, clock_mhz=80.0, flash_wait_states=4, wcet_margin=1.2
    )
    m4 = report["targets"]["cortex-m4"]
    assert m4["status"] == "ok" and m4["bitexact"] == 1.0 and m4["kernels"] == "dsp"


def test_float_edges_and_mean(tmp_path: Path) -> None:
    """QUANTIZE/DEQUANTIZE at the edges leave int8 I/O; MEAN (requantizing) is bit-exact with TFLM, and
    MEAN with equal input/output quantization (TFLM's other integer path) is within 1 LSB: measured."""
    x = generate_inputs((5, 4, 3), 64)
    for mean_q, exact in (((0.05, 3), True), ((0.07, -20), False)):
        path = tmp_path / f"mean{exact}.tflite"
        path.write_bytes(models.float_edges_mean(mean_q))
        compile_model(path, tmp_path / f"c{exact}", "model", "tflm", command="test")
        cm = CompiledModel(tmp_path / f"c{exact}")
        assert cm.input_shape == (5, 4, 3) and cm.output_shape == (1, 1, 6)
        y, t = cm.invoke_int8(x).astype(int), tflm_int8(path, x).astype(int)
        if exact:
            assert np.array_equal(y, t)
        else:
            assert np.count_nonzero(y != t) > 0 and np.abs(y - t).max() == 1


def test_cli_compile_writes_the_whole_package(branchy: Path, tmp_path: Path) -> None:
    """`flightml compile MODEL.tflite`: the package with the source model, integrity and board files."""
    out = tmp_path / "pkg"
    proc = subprocess.run(
        [sys.executable, "-m", "flightml", "compile", str(branchy), "--out", str(out), "--requant", "tflm"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "model_int8.tflite").read_bytes() == branchy.read_bytes()
    assert (out / "integrity.c").is_file() and not (out / "model_int8.onnx").exists()


@pytest.mark.mcu
@pytest.mark.parametrize("mode", ["tflm", "fixedpoint"])
def test_verify_dir_on_cortex_m4_in_each_mode(tmp_path: Path, capsys, mode: str) -> None:
    """A .tflite package is held to TFLite Micro in `tflm` and to the host C in the other modes (which
    round differently from TFLite Micro, so holding them to it reported every core as a mismatch)."""
    from flightml.mcu.toolchain import missing_tools

    if missing_tools():
        pytest.skip("needs the ARM toolchain and QEMU (make setup)")
    path = tmp_path / "branchy3.tflite"
    path.write_bytes(models.branchy(seed=3))  # a seed on which fixedpoint and TFLite Micro differ
    compile_model(path, tmp_path / "c", "model", mode, command="test")
    x = generate_inputs((8, 8, 3), 3)
    assert (mode == "tflm") == np.array_equal(CompiledModel(tmp_path / "c").invoke_int8(x), tflm_int8(path, x))
    assert main(["verify", str(tmp_path / "c"), "--generate", "3", "--target", "cortex-m4"]) == 0
    out = capsys.readouterr().out
    r = json.loads(out[out.index('{\n  "targets"') :])["targets"]["cortex-m4"]
    assert r["status"] == "ok" and r["bitexact"] == 1.0 and r["samples"] == 3
