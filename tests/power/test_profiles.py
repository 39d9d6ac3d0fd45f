from pathlib import Path

import pytest

from flightml.errors import InputError
from flightml.power.profiles import FIGURES, builtin_names, load_profile

REQUIRED_TARGETS = {
    "stm32l476", "stm32l4r5", "stm32f411", "stm32h743", "atsamv71q21", "rp2040", "stm32u575", "nrf52840",
}

GOOD = """part = "X"
core = "cortex-m4f"
[clock_mhz]
value = 48.0
source = "DS1 Table 2"
checked = false
[supply_v]
value = 3.3
source = "board"
checked = true
[run_current_ua_per_mhz]
value = 100.0
source = "DS1 Features"
checked = false
[sleep_current_ua]
value = 2.0
source = "DS1 Table 9"
checked = false
[flash_kb]
value = 256
source = "DS1"
checked = true
[ram_kb]
value = 64
source = "DS1"
checked = true
[flash_wait_states]
value = 1
source = "RM1 Table 5"
checked = false
"""


def test_builtin_profiles_cover_the_required_targets_with_sources():
    assert set(builtin_names()) >= REQUIRED_TARGETS
    for name in builtin_names():
        profile = load_profile(name)
        assert profile.run_current_ma > 0 and profile.clock_mhz > 0
        assert all(f.source for f in profile.figures.values())
        assert set(profile.unchecked) <= set(FIGURES)


def test_custom_profile_file_and_per_mhz_current(tmp_path: Path):
    path = tmp_path / "my.toml"
    path.write_text(GOOD)
    profile = load_profile(str(path))
    assert profile.run_current_ma == pytest.approx(4.8)
    assert profile.name == "my"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('core = "cortex-m4f"', 'core = "cortex-a53"', "core"),
        ("[ram_kb]\nvalue = 64", "[ram_kb]\nvalue = -64", "ram_kb.value"),
        ("[ram_kb]\nvalue = 64", '[ram_kb]\nvalue = "64 KB"', "ram_kb.value"),
        ("[flash_kb]\nvalue = 256\nsource", "[flash_kb]\nvalue = 256\nwidth = 2\nsource", "flash_kb.width"),
        ('[flash_wait_states]\nvalue = 1\nsource = "RM1 Table 5"\n', "[flash_wait_states]\nvalue = 1\n",
         "flash_wait_states.source"),
        ('source = "board"\nchecked = true', 'source = "board"\nchecked = "yes"', "supply_v.checked"),
        ("[run_current_ua_per_mhz]", "[run_current_ma]\nvalue = 4.0\nsource = 'x'\nchecked = false\n"
                                     "[run_current_ua_per_mhz]", "run_current_ma / run_current_ua_per_mhz"),
        ('part = "X"\n', "", "part"),
    ],
)
def test_bad_profile_names_file_and_field(tmp_path: Path, old: str, new: str, field: str):
    path = tmp_path / "bad.toml"
    assert old in GOOD
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(InputError) as info:
        load_profile(str(path))
    message = str(info.value)
    assert str(path) in message and field in message and "\n" not in message


def test_unknown_profile_lists_builtins():
    with pytest.raises(InputError, match="stm32l476"):
        load_profile("no-such-mcu")
