"""Cores as data: the registry loads one file per core, a bad file is one line naming the field, and
`flightml verify DIR --target cortex-m55` (the core added as one file) takes --clock-mhz and
--flash-wait-states."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from flightml.artifacts import RunDir
from flightml.cli import main
from flightml.errors import InputError
from flightml.mcu.targets import TARGETS, cores_dir, load_targets


def test_a_core_is_one_file(tmp_path: Path) -> None:
    for name in ("cortex-m4", "cortex-m55"):
        shutil.copy(cores_dir() / f"{name}.toml", tmp_path)
    loaded = load_targets(tmp_path)
    assert list(loaded) == ["cortex-m4", "cortex-m55"]
    m55 = loaded["cortex-m55"]
    assert m55 == TARGETS["cortex-m55"]
    assert (m55.machine, m55.kernel_sets, m55.timing) == (
        "mps3-an547",
        ("dsp", "portable"),
        TARGETS["cortex-m4"].timing,
    )
    assert TARGETS["cortex-m4f"].accelerator == TARGETS["cortex-m4"].accelerator  # timing_as carries it


def test_bad_core_file_names_the_field(tmp_path: Path) -> None:
    text = (cores_dir() / "cortex-m3.toml").read_text().replace("load_p = 1\n", "load_p = -1\n")
    (tmp_path / "cortex-m3.toml").write_text(text)
    with pytest.raises(InputError, match=r"cortex-m3.toml: timing.load_p: must be >= 0.0"):
        load_targets(tmp_path)


@pytest.mark.mcu
def test_verify_dir_on_m55_with_clock_and_wait_states(ref_run: RunDir, tmp_path: Path, capsys) -> None:
    c_dir = ref_run.path("c", "fixedpoint")
    inputs = tmp_path / "x.npy"
    np.save(inputs, np.random.default_rng(1).integers(-128, 128, (3, 1, 64)).astype(np.int8))
    args = ["verify", str(c_dir), "--inputs", str(inputs), "--target", "cortex-m55"]
    assert main([*args, "--clock-mhz", "200", "--flash-wait-states", "2"]) == 0
    out = capsys.readouterr().out
    r = json.loads(out[out.index('{\n  "targets"') :])["targets"]["cortex-m55"]
    assert r["status"] == "ok" and r["bitexact"] == 1.0 and r["kernels"] == "dsp"
    assert (r["clock_mhz"], r["flash_wait_states"]) == (200.0, 2)
    assert r["cycles_by_class"]["ws_flash_reads"] == 2 * r["counts"]["flash_reads"] > 0
    assert main([*args, "--flash-wait-states", "99"]) == 2
    assert "--flash-wait-states: expected 0 to 15, got 99" in capsys.readouterr().err
