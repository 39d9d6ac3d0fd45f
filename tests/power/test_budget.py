import json
from pathlib import Path

import pytest

from flightml.artifacts import RunDir
from flightml.cli import main
from flightml.config import config_from_dict
from flightml.power.stage import budget_stage


def test_example_mission_passes_on_fixture_numbers(make_run, capsys):
    run = make_run()
    assert main(["budget", str(run)]) == 0
    out = capsys.readouterr().out
    assert "verdict: pass" in out
    doc = json.loads((run / "budget.json").read_text())
    assert doc["schema"] == "flightml.budget/1" and doc["target"] == "cortex-m4"
    # 352000 cycles at 80 MHz = 4.4 ms; x 3.3 V x 10.2 mA = 148.1 uJ, + 5 us wake-up.
    assert doc["model"]["wcet_us"] == pytest.approx(4400.0)
    assert doc["model"]["energy_uj_per_inference"] == pytest.approx(4405e-6 * 3.3 * 10.2e-3 * 1e6)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["verdict"] == "pass"
    assert set(summary) >= {"energy_uj_per_inference", "avg_power_mw", "peak_current_ma", "wcet_margin", "power_modes"}
    assert set(summary["power_modes"]) == {"nominal", "sun_pointing", "downlink"}
    assert summary["power_modes"]["downlink"]["margin_mw"] > 0


@pytest.mark.parametrize(
    ("entry", "edits", "line"),
    [
        (dict(flash_bytes=900_000), (), "flash"),
        (dict(ram_bytes=120_000), (), "ram"),
        (dict(cycles_est={"min": 1, "median": 2_000_000, "max": 4_500_000}), (), "wcet"),
        ({}, ("energy_uj_per_inference = 2000.0", "energy_uj_per_inference = 100.0"), "energy"),
        ({}, ("avg_power_mw = 5.0", "avg_power_mw = 0.01"), "avg_power"),
        ({}, ("other_loads_mw = 1150.0", "other_loads_mw = 1290.0"), "sun_pointing.power"),
        ({}, ("other_peak_ma = 700.0", "other_peak_ma = 795.0"), "downlink.peak"),
    ],
)
def test_each_budget_violation_exits_1_naming_the_line(make_run, write_mission, capsys, entry, edits, line):
    run = make_run({"cortex-m4": entry})
    mission = write_mission(*edits)
    assert main(["budget", str(run), "--mission", str(mission)]) == 1
    captured = capsys.readouterr()
    assert f"FAIL  {line}:" in captured.out
    assert f"budget failed: {line}:" in captured.err
    assert json.loads((run / "summary.json").read_text())["verdict"] == "fail"


def test_missing_inputs_exit_2_and_say_what_produces_them(tmp_path: Path, make_run, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["budget", str(empty)]) == 2
    assert "verify_mcu.json: missing" in capsys.readouterr().err
    run = make_run({"cortex-m0plus": {}})
    assert main(["budget", str(run)]) == 2
    err = capsys.readouterr().err
    assert "cortex-m4f or cortex-m4" in err and "verify" in err
    run2 = make_run({"cortex-m4": dict(status="timeout")}, name="run2")
    assert main(["budget", str(run2)]) == 2
    assert "status is 'timeout'" in capsys.readouterr().err


def test_m4f_target_preferred_and_wait_state_mismatch_noted(make_run):
    run = make_run({"cortex-m4": dict(flash_bytes=900_000), "cortex-m4f": dict(flash_wait_states=0)})
    assert main(["budget", str(run)]) == 0
    doc = json.loads((run / "budget.json").read_text())
    assert doc["target"] == "cortex-m4f"
    assert any("0 flash wait states" in note for note in doc["notes"])


def test_profile_override_uses_that_core(make_run, capsys):
    run = make_run({"cortex-m7": {}, "cortex-m4": {}})
    # The H743's Stop current and 120 mA run current break the L476 mission's power lines.
    assert main(["budget", str(run), "--profile", "stm32h743"]) == 1
    doc = json.loads((run / "budget.json").read_text())
    assert doc["target"] == "cortex-m7" and doc["profile"]["name"] == "stm32h743"
    assert "FAIL  downlink.peak" in capsys.readouterr().out


def test_stage_records_a_failing_verdict_without_raising(make_run, write_mission):
    run = make_run({"cortex-m4": dict(ram_bytes=500_000)})
    config = config_from_dict({"mission": {"file": str(write_mission())}})
    budget_stage(RunDir(run), config)
    assert json.loads((run / "budget.json").read_text())["verdict"] == "fail"
    budget_stage(RunDir(run), config_from_dict({}))
    assert json.loads((run / "summary.json").read_text())["verdict"] == "fail"
