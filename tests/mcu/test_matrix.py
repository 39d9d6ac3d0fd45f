"""Every target: bit-exact with the integer reference, counts present and deterministic, footprint."""

from __future__ import annotations

import numpy as np
import pytest
import synthetic

from flightml.mcu.targets import TARGETS
from flightml.mcu.verify import RESULT_KEYS, verify_mcu_targets

pytestmark = pytest.mark.mcu
SETTINGS = {"timeout_s": 60.0, "clock_mhz": 80.0, "flash_wait_states": 2, "wcet_margin": 1.25}


@pytest.fixture(scope="module")
def matrix(synth: tuple) -> dict:
    """Every core on the 24 random samples plus the extremes (all -128, all 127) first."""
    c_dir, x, _ = synth
    x = np.concatenate([np.full((1, 64), -128, np.int8), np.full((1, 64), 127, np.int8), x])
    return verify_mcu_targets(c_dir, x, synthetic.reference(x), ["all"], **SETTINGS)["targets"]


@pytest.mark.parametrize("name", list(TARGETS))
def test_target_bitexact_counted_and_measured(matrix: dict, name: str) -> None:
    r = matrix[name]
    assert set(r) == set(RESULT_KEYS)
    assert r["status"] == "ok", r["reason"]
    assert r["bitexact"] == 1.0 and r["mismatches"] == [] and r["samples"] == 26
    assert r["kernels"] == TARGETS[name].kernel_sets[0]
    assert 0 < r["instructions"]["min"] <= r["instructions"]["median"] <= r["instructions"]["max"]
    assert [layer["kernel"] for layer in r["per_layer"]] == ["fm_conv_s8", "fm_conv_maxpool_s8", "fm_fc_s8", "fm_fc_s8"]
    assert all(layer["instructions"] > 0 for layer in r["per_layer"])
    assert sum(layer["macs"] for layer in r["per_layer"]) == 59136
    assert r["cycles_est"]["max"] > 0 and r["wcet_cycles"] == round(r["cycles_est"]["max"] * 1.25)
    assert r["wcet_us"] == pytest.approx(r["wcet_cycles"] / 80.0, abs=1e-3)
    assert r["weight_bytes"] == 33800  # int8 weights + int32 biases, in their own section
    assert r["flash_bytes"] == r["weight_bytes"] + r["code_bytes"] + r["const_bytes"]
    assert r["arena_bytes"] == 2368 and r["ram_bytes"] >= r["arena_bytes"]
    assert r["stack_bytes"] > 0


@pytest.mark.parametrize("name", list(TARGETS))
def test_data_dependent_paths_named_and_bounded(matrix: dict, name: str) -> None:
    """Extremes and random inputs: a count that varies names its layers; the WCET takes the worst."""
    r = matrix[name]
    varies = r["instructions"]["min"] < r["instructions"]["max"]
    assert varies == bool(r["data_dependent_layers"])
    assert r["cycles_est"]["max"] >= r["cycles_typical"]["max"] and r["wcet_cycles"] == round(
        r["cycles_est"]["max"] * 1.25
    )
    assert r["counts"]["flash_reads"] > 33800 // 4
    assert r["cycles_by_class"]["ws_flash_reads"] == 2 * r["counts"]["flash_reads"]


def test_dsp_kernels_use_fewer_instructions(matrix: dict) -> None:
    m3, m4 = matrix["cortex-m3"]["instructions"]["median"], matrix["cortex-m4"]["instructions"]["median"]
    assert m4 < m3 / 2


def test_counts_are_deterministic(synth: tuple) -> None:
    c_dir, x, ref = synth
    runs = [
        verify_mcu_targets(c_dir, x[:4], ref[:4], ["cortex-m4"], **SETTINGS)["targets"]["cortex-m4"] for _ in range(2)
    ]
    assert runs[0]["instructions"] == runs[1]["instructions"]
    assert runs[0]["per_layer"] == runs[1]["per_layer"]


def test_mismatch_is_reported_per_sample(synth: tuple) -> None:
    c_dir, x, ref = synth
    wrong = ref.copy()
    wrong[[2, 5], 1] ^= np.int8(1)
    r = verify_mcu_targets(c_dir, x[:8], wrong[:8], ["cortex-m0"], **SETTINGS)["targets"]["cortex-m0"]
    assert r["status"] == "mismatch"
    assert r["mismatches"] == [2, 5] and r["bitexact"] == pytest.approx(0.75)
    assert "2 of 8 samples" in r["reason"]
