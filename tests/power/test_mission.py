from pathlib import Path

import pytest

from flightml.cli import main
from flightml.errors import InputError
from flightml.power.mission import example_text, load_mission


def test_builtin_example_is_a_3u_mission_on_the_l476():
    mission = load_mission(None)
    assert mission.profile.name == "stm32l476" and mission.profile.clock_mhz == 80.0
    assert {m.name for m in mission.modes} == {"nominal", "sun_pointing", "downlink"}
    assert 0 < mission.deadline_ms <= mission.period_s * 1000


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("period_s = 10.0", "period_s = -10.0", "mission.period_s"),
        ("period_s = 10.0", 'period_s = "10 s"', "mission.period_s"),
        ("period_s = 10.0", "period = 10.0", "mission.period"),
        ("deadline_ms = 100.0", "deadline_ms = 20000.0", "mission.deadline_ms"),
        ("memory = 0.25", "memory = 25", "margins.memory"),
        ("wcet = 2.0", "wcet = 0.5", "margins.wcet"),
        ("other_loads_mw = 900.0", "other_loads_w = 0.9", "modes.nominal.other_loads_w"),
        ("current_limit_ma = 1000.0", "current_limit_ma = 0", "modes.nominal.current_limit_ma"),
        ('profile = "stm32l476"', 'profile = "missing.toml"', "missing.toml"),
        ("avg_power_mw = 5.0", "avg_power_mw = true", "budget.avg_power_mw"),
    ],
)
def test_bad_mission_names_the_field(write_mission, old: str, new: str, field: str):
    path = write_mission(old, new)
    with pytest.raises(InputError) as info:
        load_mission(path)
    assert field in str(info.value) and "\n" not in str(info.value)


def test_invalid_toml_and_missing_file(tmp_path: Path):
    bad = tmp_path / "m.toml"
    bad.write_text("[mission\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_mission(bad)
    with pytest.raises(InputError, match="not found"):
        load_mission(tmp_path / "none.toml")


def test_init_mission_writes_the_example_and_refuses_to_overwrite(tmp_path: Path, capsys):
    out = tmp_path / "mission.toml"
    assert main(["init", "mission", "--out", str(out)]) == 0
    assert out.read_text() == example_text()
    assert load_mission(out).name == load_mission(None).name
    assert main(["init", "mission", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["init", "mission"]) == 0
    assert "[modes.nominal]" in capsys.readouterr().out


def test_mission_profile_path_is_relative_to_the_mission_file(tmp_path: Path, write_mission):
    from flightml.power.profiles import builtin_dir

    (tmp_path / "boards").mkdir()
    text = (builtin_dir() / "stm32l476.toml").read_text().replace("value = 80.0", "value = 40.0", 1)
    (tmp_path / "boards" / "obc.toml").write_text(text)
    mission = load_mission(write_mission('profile = "stm32l476"', 'profile = "boards/obc.toml"'))
    assert mission.profile.name == "obc" and mission.profile.clock_mhz == 40.0
