"""A simulated INA219 on a simulated I2C bus: register map, conversion timing, quantization, overflow.

The device converts shunt then bus voltage back to back (continuous mode, MODE = 111); each shunt
conversion averages the true current over its conversion time. The shunt register keeps 10 uV LSB
but only `bits` of resolution; Current = trunc(Shunt x Cal / 4096); Power = trunc(Current x Bus /
5000); OVF is set when either leaves its register. Reading Power clears CNVR. Every I2C transaction
advances the simulated clock, so a driver polling it sees realistic timing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from flightml.power.ina219 import (
    ADC,
    ADC_BY_CODE,
    BUS_LSB_V,
    CNVR,
    CONFIG_RESET,
    OVF,
    PGA_RANGE_V,
    POR_CONFIG,
    REG_BUS,
    REG_CALIBRATION,
    REG_CONFIG,
    REG_CURRENT,
    REG_POWER,
    REG_SHUNT,
    SHUNT_LSB_V,
)


@dataclass
class Waveform:
    """Piecewise-constant current: `levels[i]` amps from `edges[i]` to `edges[i+1]` seconds."""

    edges: np.ndarray
    levels: np.ndarray

    def __post_init__(self) -> None:
        self.edges = np.asarray(self.edges, dtype=float)
        self.levels = np.asarray(self.levels, dtype=float)
        self._charge = np.concatenate([[0.0], np.cumsum(np.diff(self.edges) * self.levels)])

    def charge(self, t: np.ndarray | float) -> np.ndarray:
        """Cumulative charge (C) from edges[0] to t (clamped to the waveform span)."""
        return np.interp(t, self.edges, self._charge)

    def mean(self, a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
        """Mean current (A) over [a, b]."""
        return (self.charge(b) - self.charge(a)) / (np.asarray(b) - np.asarray(a))


def shunt_code(mean_v: np.ndarray, bits: int, range_v: float, noise_v: float, rng: np.random.Generator) -> np.ndarray:
    """Shunt-register counts (10 uV LSB) for mean shunt voltages: noise, resolution step, PGA clip."""
    step = 2 ** (12 - bits)
    raw = (np.asarray(mean_v) + rng.normal(0.0, noise_v, np.shape(mean_v))) / SHUNT_LSB_V
    limit = round(range_v / SHUNT_LSB_V)
    return np.clip(np.round(raw / step) * step, -limit, limit).astype(np.int64)


def current_code(shunt: np.ndarray, cal: int) -> tuple[np.ndarray, np.ndarray]:
    """Current-register counts and the overflow mask (Current = trunc(Shunt x Cal / 4096))."""
    value = np.trunc(np.asarray(shunt) * cal / 4096.0).astype(np.int64)
    over = (value > 32767) | (value < -32768)
    return np.clip(value, -32768, 32767), over


@dataclass
class SimINA219:
    """The device at `address`; `waveform` is the true current, `bus_v` the true bus voltage."""

    waveform: Waveform
    bus_v: float = 3.3
    shunt_ohms: float = 0.1
    address: int = 0x40
    i2c_s: float = 60e-6
    noise_v: float = 5e-6
    seed: int = 0
    now: float = 0.0
    regs: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self._reset()

    def _reset(self) -> None:
        self.regs = {REG_CONFIG: POR_CONFIG, REG_SHUNT: 0, REG_BUS: 0, REG_POWER: 0, REG_CURRENT: 0, REG_CALIBRATION: 0}
        self.t_start, self.done = self.now, 0

    def clock(self) -> float:
        return self.now

    def _adc(self, shift: int) -> tuple[float, int]:
        name = ADC_BY_CODE[(self.regs[REG_CONFIG] >> shift) & 0xF]
        return ADC[name][1] * 1e-6, ADC[name][2]

    def _update(self) -> None:
        config = self.regs[REG_CONFIG]
        if config & 0b111 != 0b111:
            return  # only continuous shunt+bus is modelled; other modes hold the registers
        t_shunt, bits = self._adc(3)
        t_bus, bus_bits = self._adc(7)
        cycle = t_shunt + t_bus
        n = math.floor((self.now - self.t_start) / cycle)
        if n <= self.done:
            return
        self.done = n
        start = self.t_start + (n - 1) * cycle
        mean_a = float(self.waveform.mean(start, start + t_shunt))
        range_v = PGA_RANGE_V[(config >> 11) & 0b11]
        shunt = int(shunt_code(np.array(mean_a * self.shunt_ohms), bits, range_v, self.noise_v, self.rng))
        bus_counts = round(self.bus_v / BUS_LSB_V) >> (12 - bus_bits) << (12 - bus_bits)
        current, over = current_code(np.array(shunt), self.regs[REG_CALIBRATION])
        power = int(current) * bus_counts // 5000 if current >= 0 else 0
        overflow = bool(over) or power > 0xFFFF
        self.regs[REG_SHUNT] = shunt & 0xFFFF
        self.regs[REG_CURRENT] = int(current) & 0xFFFF
        self.regs[REG_POWER] = min(power, 0xFFFF)
        self.regs[REG_BUS] = (bus_counts << 3) | CNVR | (OVF if overflow else 0)

    def _check(self, addr: int, register: int) -> None:
        self.now += self.i2c_s
        if addr != self.address:
            raise OSError(121, f"no device at 0x{addr:02x} (NACK)")
        if register not in self.regs:
            raise OSError(121, f"register 0x{register:02x} does not exist (NACK)")

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int) -> list[int]:
        self._check(i2c_addr, register)
        self._update()
        value = self.regs[register]
        if register == REG_POWER:
            self.regs[REG_BUS] &= ~CNVR
        return [(value >> 8) & 0xFF, value & 0xFF][:length]

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: list[int]) -> None:
        self._check(i2c_addr, register)
        value = (data[0] << 8) | data[1]
        if register == REG_CONFIG:
            if value & CONFIG_RESET:
                self._reset()
                return
            self.regs[REG_CONFIG] = value
            self.t_start, self.done = self.now, 0
            self.regs[REG_BUS] &= ~CNVR
        elif register == REG_CALIBRATION:
            self.regs[REG_CALIBRATION] = value & 0xFFFE
        else:
            raise OSError(121, f"register 0x{register:02x} is read-only (NACK)")
