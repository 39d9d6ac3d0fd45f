"""The Cortex-M targets: gcc flags, QEMU board, memory map, kernel dispatch and timing core.

Facts from design/MCU-EMULATION.md. `dsp` says the core has the DSP extension (SMLAD and friends),
so the default kernel directory is `kernels/dsp`; `core_init` is the startup file that enables the
core's fault handlers (and the FPU on hard-float targets).
"""

from __future__ import annotations

from dataclasses import dataclass

from flightml.errors import InputError


@dataclass(frozen=True)
class Target:
    name: str
    cpu_flags: tuple[str, ...]
    machine: str
    flash_origin: int
    flash_size: int
    ram_origin: int
    ram_size: int
    stack_bytes: int
    dsp: bool
    core_init: str
    timing: str

    def kernels(self, request: str = "auto") -> str:
        """The kernel directory for `request` ('auto', 'dsp' or 'portable')."""
        if request == "auto":
            return "dsp" if self.dsp else "portable"
        if request == "portable":
            return "portable"
        if request == "dsp":
            if not self.dsp:
                raise InputError(f"{self.name}: has no DSP extension; use kernels 'portable' or 'auto'")
            return "dsp"
        raise InputError(f"kernels: expected auto, dsp or portable, got {request!r}")


_K, _M = 1024, 1024 * 1024
_SOFT = ("-mthumb", "-mfloat-abi=soft")
_MPS2 = {"flash_origin": 0x0, "flash_size": 4 * _M, "ram_origin": 0x20000000, "ram_size": 4 * _M}

TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "cortex-m0",
            ("-mcpu=cortex-m0", *_SOFT),
            "microbit",
            0x0,
            256 * _K,
            0x20000000,
            16 * _K,
            2 * _K,
            False,
            "fm_core_v6m.c",
            "cortex-m0",
        ),
        Target(
            "cortex-m0plus",
            ("-mcpu=cortex-m0plus", *_SOFT),
            "microbit",
            0x0,
            256 * _K,
            0x20000000,
            16 * _K,
            2 * _K,
            False,
            "fm_core_v6m.c",
            "cortex-m0plus",
        ),
        Target(
            "cortex-m3",
            ("-mcpu=cortex-m3", *_SOFT),
            "mps2-an385",
            **_MPS2,
            stack_bytes=8 * _K,
            dsp=False,
            core_init="fm_core_v7m.c",
            timing="cortex-m3",
        ),
        Target(
            "cortex-m4",
            ("-mcpu=cortex-m4", *_SOFT),
            "mps2-an386",
            **_MPS2,
            stack_bytes=8 * _K,
            dsp=True,
            core_init="fm_core_v7m.c",
            timing="cortex-m4",
        ),
        Target(
            "cortex-m4f",
            ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
            "mps2-an386",
            **_MPS2,
            stack_bytes=8 * _K,
            dsp=True,
            core_init="fm_core_v7m_fpu.c",
            timing="cortex-m4",
        ),
        Target(
            "cortex-m7",
            ("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"),
            "mps2-an500",
            **_MPS2,
            stack_bytes=8 * _K,
            dsp=True,
            core_init="fm_core_v7m_fpu.c",
            timing="cortex-m7",
        ),
        Target(
            "cortex-m33",
            ("-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"),
            "mps2-an505",
            0x10000000,
            4 * _M,
            0x38000000,
            2 * _M,
            8 * _K,
            True,
            "fm_core_v7m_fpu.c",
            "cortex-m33",
        ),
    )
}


def get_target(name: str) -> Target:
    """The target called `name`, or an InputError listing the known ones."""
    if name not in TARGETS:
        raise InputError(f"unknown target {name!r} (known: host, {', '.join(TARGETS)})")
    return TARGETS[name]
