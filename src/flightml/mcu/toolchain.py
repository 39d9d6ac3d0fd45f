"""Finding the cross toolchain, QEMU and the host compiler (for the TCG plugin)."""

from __future__ import annotations

import shutil

CROSS_GCC = "arm-none-eabi-gcc"
QEMU = "qemu-system-arm"
HOST_GCC = "gcc"
ENABLE_HINT = (
    "run `make setup` or `apt-get install gcc-arm-none-eabi binutils-arm-none-eabi "
    "libnewlib-arm-none-eabi qemu-system-arm` to enable them"
)


def missing_tools() -> list[str]:
    """Names of the tools MCU verification needs that are not on PATH."""
    return [tool for tool in (CROSS_GCC, QEMU, HOST_GCC) if shutil.which(tool) is None]
