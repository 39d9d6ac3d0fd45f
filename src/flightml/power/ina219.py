"""Register-level INA219 driver (TI SBOS448): configuration, calibration, current, power, bus voltage.

Registers are 16-bit big-endian over I2C/SMBus. The bus object needs `read_i2c_block_data(addr, reg,
2)` and `write_i2c_block_data(addr, reg, [msb, lsb])` (smbus2.SMBus, or the simulated device in
`sim_ina219`). Calibration (datasheet section 8.5.1): Current_LSB = I_max / 2^15,
Cal = trunc(0.04096 / (Current_LSB x R_shunt)), Power_LSB = 20 x Current_LSB. Bus voltage register:
bits 15..3 = voltage / 4 mV, bit 1 CNVR (conversion ready), bit 0 OVF (math overflow).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from flightml.errors import InputError

REG_CONFIG, REG_SHUNT, REG_BUS, REG_POWER, REG_CURRENT, REG_CALIBRATION = range(6)
CONFIG_RESET = 0x8000
POR_CONFIG = 0x399F
SHUNT_LSB_V = 10e-6
BUS_LSB_V = 4e-3
MODE_SHUNT_BUS_CONTINUOUS = 0b111
CNVR, OVF = 0b10, 0b01
# ADC setting -> (4-bit BADC/SADC code, conversion time in us, resolution bits); datasheet Table 5.
ADC = {
    "9bit": (0x0, 84.0, 9), "10bit": (0x1, 148.0, 10), "11bit": (0x2, 276.0, 11), "12bit": (0x3, 532.0, 12),
    "avg2": (0x9, 1060.0, 12), "avg4": (0xA, 2130.0, 12), "avg8": (0xB, 4260.0, 12),
    "avg16": (0xC, 8510.0, 12), "avg32": (0xD, 17020.0, 12), "avg64": (0xE, 34050.0, 12),
    "avg128": (0xF, 68100.0, 12),
}
ADC_BY_CODE = {code: name for name, (code, _, _) in ADC.items()} | {0x8: "12bit"}
PGA_RANGE_V = (0.04, 0.08, 0.16, 0.32)  # PG code 0..3: gain /1, /2, /4, /8


class Bus(Protocol):
    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int) -> list[int]: ...
    def write_i2c_block_data(self, i2c_addr: int, register: int, data: list[int]) -> None: ...


@dataclass(frozen=True)
class Calibration:
    """Calibration register value, effective current and power LSBs (A, W) and PGA range (V)."""

    cal: int
    current_lsb_a: float
    power_lsb_w: float
    pga: int
    shunt_range_v: float


def calibrate(shunt_ohms: float, max_current_a: float) -> Calibration:
    """Calibration for a shunt (ohm) and the largest expected current (A); datasheet equations 1-3."""
    if not shunt_ohms > 0:
        raise InputError(f"--shunt-ohms: must be > 0, got {shunt_ohms}")
    if not max_current_a > 0:
        raise InputError(f"--max-current-a: must be > 0, got {max_current_a}")
    v_max = shunt_ohms * max_current_a
    pga = next((i for i, r in enumerate(PGA_RANGE_V) if v_max <= r * (1 + 1e-9)), None)
    if pga is None:
        raise InputError(
            f"--shunt-ohms x --max-current-a = {v_max * 1000:.1f} mV exceeds the INA219's 320 mV shunt range"
        )
    lsb = max_current_a / 32768.0
    cal = math.trunc(0.04096 / (lsb * shunt_ohms)) & 0xFFFE  # bit 0 is not used
    if cal < 2 or cal > 0xFFFE:
        raise InputError(f"calibration {cal} out of range for shunt {shunt_ohms} ohm and {max_current_a} A")
    effective = 0.04096 / (cal * shunt_ohms)  # what one current-register count really is, A
    return Calibration(cal, effective, 20.0 * effective, pga, PGA_RANGE_V[pga])


def config_word(adc: str, pga: int, mode: int = MODE_SHUNT_BUS_CONTINUOUS, bus_32v: bool = True) -> int:
    """Configuration register: BRNG | PG | BADC | SADC | MODE, same ADC setting for bus and shunt."""
    if adc not in ADC:
        raise InputError(f"--adc: expected one of {', '.join(ADC)}, got {adc!r}")
    code = ADC[adc][0]
    return (int(bus_32v) << 13) | (pga << 11) | (code << 7) | (code << 3) | mode


def cycle_us(adc: str) -> float:
    """One continuous shunt+bus cycle (two conversions), microseconds."""
    return 2.0 * ADC[adc][1]


def _signed(value: int) -> int:
    return value - 0x10000 if value & 0x8000 else value


@dataclass(frozen=True)
class Sample:
    """One reading: host time (s), current (A), bus voltage (V), power (W), overflow/clip flag, marker."""

    t_s: float
    current_a: float
    bus_v: float
    power_w: float
    overflow: bool
    marker: int | None


class INA219:
    """An INA219 on `bus` at `address`, configured for continuous shunt and bus conversions."""

    def __init__(self, bus: Bus, address: int, shunt_ohms: float, max_current_a: float, adc: str = "12bit") -> None:
        self.bus, self.address, self.adc = bus, address, adc
        self.calibration = calibrate(shunt_ohms, max_current_a)
        self.shunt_ohms = shunt_ohms
        self.config = config_word(adc, self.calibration.pga)

    def read(self, register: int) -> int:
        msb, lsb = self.bus.read_i2c_block_data(self.address, register, 2)
        return (msb << 8) | lsb

    def write(self, register: int, value: int) -> None:
        self.bus.write_i2c_block_data(self.address, register, [(value >> 8) & 0xFF, value & 0xFF])

    def configure(self) -> None:
        """Reset, then write configuration and calibration, and read both back."""
        self.write(REG_CONFIG, CONFIG_RESET)
        self.write(REG_CONFIG, self.config)
        self.write(REG_CALIBRATION, self.calibration.cal)
        got = (self.read(REG_CONFIG), self.read(REG_CALIBRATION))
        if got != (self.config, self.calibration.cal):
            raise InputError(
                f"INA219 at 0x{self.address:02x}: read back config 0x{got[0]:04x} / calibration {got[1]}, "
                f"wrote 0x{self.config:04x} / {self.calibration.cal}"
            )

    def poll(self, t_s: float, marker: int | None = None) -> Sample | None:
        """The new conversion if CNVR is set (reading Power clears CNVR), else None."""
        bus = self.read(REG_BUS)
        if not bus & CNVR:
            return None
        current = _signed(self.read(REG_CURRENT)) * self.calibration.current_lsb_a
        power = self.read(REG_POWER) * self.calibration.power_lsb_w
        clipped = abs(current) * self.shunt_ohms >= self.calibration.shunt_range_v * 0.999
        return Sample(t_s, current, (bus >> 3) * BUS_LSB_V, power, bool(bus & OVF) or clipped, marker)

    def capture(
        self,
        duration_s: float,
        clock: Callable[[], float] | None = None,
        marker: Callable[[], int] | None = None,
    ) -> list[Sample]:
        """Poll for `duration_s` seconds of `clock` (default time.monotonic); one sample per conversion cycle."""
        clock = clock or time.monotonic
        self.configure()
        samples: list[Sample] = []
        t0 = clock()
        last = t0
        timeout = 10 * cycle_us(self.adc) * 1e-6 + 0.05
        while (now := clock()) - t0 < duration_s:
            sample = self.poll(now - t0, marker() if marker else None)
            if sample is not None:
                samples.append(sample)
                last = now
            elif now - last > timeout:
                raise InputError(f"INA219 at 0x{self.address:02x}: no conversion ready (CNVR) for {now - last:.3f} s")
        return samples


def open_bus(number: int) -> Any:
    """smbus2.SMBus(number); imported here so the rest of flightml works without an I2C bus."""
    try:
        from smbus2 import SMBus
    except ImportError:
        raise InputError("smbus2 is not installed; install it to capture from an INA219") from None
    try:
        return SMBus(number)
    except OSError as exc:
        raise InputError(f"/dev/i2c-{number}: cannot open I2C bus ({exc})") from None
