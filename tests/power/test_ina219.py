import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flightml.errors import InputError
from flightml.power.ina219 import (
    ADC,
    CNVR,
    INA219,
    POR_CONFIG,
    REG_BUS,
    REG_CALIBRATION,
    REG_CONFIG,
    calibrate,
    config_word,
    cycle_us,
)
from flightml.power.sim_ina219 import SimINA219, Waveform


def flat(current_a: float, seconds: float = 1.0) -> Waveform:
    return Waveform(np.array([0.0, seconds]), np.array([current_a]))


@pytest.mark.parametrize(("shunt", "imax"), [(0.1, 1.0), (0.1, 3.2), (0.1, 0.4), (1.0, 0.1), (0.01, 10.0), (0.5, 0.2)])
def test_calibration_register_equals_the_datasheet_formula(shunt: float, imax: float):
    lsb = imax / 2**15
    expected = math.trunc(0.04096 / (lsb * shunt)) & 0xFFFE
    cal = calibrate(shunt, imax)
    assert cal.cal == expected
    assert cal.power_lsb_w == pytest.approx(20 * cal.current_lsb_a)
    assert cal.current_lsb_a == pytest.approx(lsb, rel=2e-4)
    device = SimINA219(flat(0.0), shunt_ohms=shunt)
    INA219(device, 0x40, shunt, imax).configure()
    assert device.regs[REG_CALIBRATION] == expected


@given(st.floats(0.001, 10.0), st.floats(0.001, 20.0))
def test_calibration_property(shunt: float, imax: float):
    if shunt * imax > 0.32 or math.trunc(0.04096 / (imax / 2**15 * shunt)) > 0xFFFE:
        return
    cal = calibrate(shunt, imax)
    assert cal.cal == math.trunc(0.04096 / (imax / 2**15 * shunt)) & 0xFFFE
    # the effective LSB is what one Current count is after truncation: Cal x LSB x R = 0.04096
    assert cal.cal * cal.current_lsb_a * shunt == pytest.approx(0.04096)
    assert shunt * imax <= cal.shunt_range_v * (1 + 1e-9)


def test_hand_computed_calibration():
    # 0.1 ohm, 2 A: Current_LSB = 2 / 32768 = 61.035 uA; Cal = trunc(0.04096 / 6.1035e-6) = 6710.
    cal = calibrate(0.1, 2.0)
    assert cal.cal == 6710 and cal.pga == 3


def test_config_word_fields_and_reset():
    word = config_word("12bit", 3)
    assert word == POR_CONFIG  # the power-on default is 32 V, /8, 12-bit, continuous shunt and bus
    assert (config_word("avg128", 0) >> 7) & 0xF == 0xF and config_word("9bit", 1) & 0x7 == 0b111
    device = SimINA219(flat(0.0))
    driver = INA219(device, 0x40, 0.1, 1.0, "9bit")
    driver.configure()
    assert device.regs[REG_CONFIG] == driver.config
    driver.write(REG_CONFIG, 0x8000)
    assert device.regs[REG_CONFIG] == POR_CONFIG and device.regs[REG_CALIBRATION] == 0


def test_shunt_range_too_small_is_an_input_error():
    with pytest.raises(InputError, match="320 mV"):
        calibrate(0.1, 4.0)
    with pytest.raises(InputError, match="--adc"):
        config_word("13bit", 0)


@pytest.mark.parametrize("adc", ["9bit", "12bit", "avg4"])
def test_capture_reads_one_sample_per_conversion_cycle(adc: str):
    device = SimINA219(flat(0.0123), shunt_ohms=1.0, bus_v=3.3)
    driver = INA219(device, 0x40, 1.0, 0.1, adc)
    samples = driver.capture(0.2, clock=device.clock)
    spacing = np.diff([s.t_s for s in samples])
    assert np.median(spacing) == pytest.approx(cycle_us(adc) * 1e-6, rel=0.1)
    assert np.median([s.current_a for s in samples]) == pytest.approx(0.0123, rel=0.01)
    assert samples[-1].bus_v == pytest.approx(3.3, abs=0.004)
    assert samples[-1].power_w == pytest.approx(0.0123 * 3.3, rel=0.02)
    assert not any(s.overflow for s in samples)


def test_power_read_clears_cnvr():
    device = SimINA219(flat(0.01), shunt_ohms=1.0)
    driver = INA219(device, 0x40, 1.0, 0.1, "12bit")
    driver.configure()
    device.now += 2e-3
    assert driver.poll(0.0) is not None
    assert not driver.read(REG_BUS) & CNVR
    assert driver.poll(0.0) is None


def test_math_overflow_sets_ovf():
    # Calibration for 0.1 A full scale on a 0.1 ohm shunt, PGA forced to 320 mV: 1.5 A overflows Current.
    device = SimINA219(flat(1.5), shunt_ohms=0.1)
    driver = INA219(device, 0x40, 0.1, 0.1, "12bit")
    driver.config = config_word("12bit", 3)
    samples = driver.capture(0.01, clock=device.clock)
    assert samples and all(s.overflow for s in samples)


def test_shunt_beyond_pga_range_is_flagged_as_clipped():
    device = SimINA219(flat(0.5), shunt_ohms=1.0)  # 500 mV across the shunt, range 160 mV
    samples = INA219(device, 0x40, 1.0, 0.1, "9bit").capture(0.01, clock=device.clock)
    assert samples and all(s.overflow for s in samples)


def test_bus_errors_surface_as_oserror():
    device = SimINA219(flat(0.0))
    with pytest.raises(OSError):
        INA219(device, 0x41, 0.1, 1.0).configure()


def test_conversion_times_match_the_datasheet_table():
    assert [ADC[k][1] for k in ("9bit", "10bit", "11bit", "12bit")] == [84.0, 148.0, 276.0, 532.0]
    assert ADC["avg128"][1] == 68100.0


def test_cli_capture_against_the_simulated_device(tmp_path, monkeypatch, capsys):
    from types import SimpleNamespace

    from flightml.cli import main
    from flightml.power import ina219
    from flightml.power.traces import read_trace

    device = SimINA219(Waveform(np.array([0.0, 0.02, 0.03, 1.0]), np.array([0.002, 0.012, 0.002])), shunt_ohms=1.0)
    monkeypatch.setattr(ina219, "open_bus", lambda number: device)
    monkeypatch.setattr(ina219, "time", SimpleNamespace(monotonic=device.clock))
    out = tmp_path / "cap.csv"
    args = ["power", "capture", "--bus", "1", "--address", "0x40", "--shunt-ohms", "1.0", "--max-current-a", "0.1",
            "--adc", "12bit", "--duration", "0.05", "--out", str(out), "--marker-gpio", "999"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "capturing without a marker" in captured.err and "samples" in captured.out
    trace = read_trace(out)
    assert trace.meta["adc"] == "12bit" and float(trace.meta["conversion_us"]) == 532.0
    assert trace.current_a.max() == pytest.approx(0.012, rel=0.01)
    with pytest.raises(SystemExit) as info:
        main([*args, "--address", "0x99"])
    assert info.value.code == 2
