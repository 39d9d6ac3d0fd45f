"""Exit codes of the MCU harness (QEMU returns them via SYS_EXIT_EXTENDED), declared once: the build
writes them as fm_exit_codes.h for the harness and start-up code; `flightml.mcu.verify` names them."""

from __future__ import annotations

# name (FM_EXIT_<name>) -> (code, meaning)
EXIT_CODES = {
    "OK": (0, "all samples ran"),
    "IO": (3, "semihosting file open/read/write failed or bad input length"),
    "INVOKE": (4, "the model's invoke function returned a status other than FM_OK"),
    "HARDFAULT": (10, "HardFault"),
    "MEMMANAGE": (11, "MemManage fault"),
    "BUSFAULT": (12, "BusFault"),
    "USAGEFAULT": (13, "UsageFault (undefined instruction, unaligned access, divide by 0)"),
    "NMI": (14, "NMI"),
    "UNEXPECTED": (15, "an unexpected interrupt or exception"),
}
HEADER = "fm_exit_codes.h"


def meanings() -> dict[int, str]:
    """Exit code -> meaning."""
    return {code: why for code, why in EXIT_CODES.values()}


def header() -> str:
    """fm_exit_codes.h: one #define per exit code, with its meaning."""
    lines = [f"#define FM_EXIT_{name} {code} /* {why} */" for name, (code, why) in EXIT_CODES.items()]
    return "\n".join(
        [
            "/* Exit codes of the flightml MCU harness, written by flightml.mcu.build from flightml.mcu.exit_codes. */",
            "#ifndef FM_EXIT_CODES_H",
            "#define FM_EXIT_CODES_H",
            *lines,
            "#endif",
            "",
        ]
    )
