"""Cross-build a generated C package for one Cortex-M target into an ELF with the MCU harness.

Freestanding (-nostdlib, own startup, memcpy/memset and linker script), -O2, one object per source,
`-fstack-usage -fcallgraph-info=su` for the stack analysis and a linker map for the footprint.
A link failure (e.g. RAM overflow on the 16 KB part) raises LinkError with the linker's reason.
"""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from flightml.compiler.package import C_FLAGS
from flightml.errors import FlightmlError, InputError
from flightml.mcu import exit_codes
from flightml.mcu.model_api import ModelApi, kernel_sources
from flightml.mcu.targets import Target
from flightml.mcu.toolchain import CROSS_GCC

CFLAGS = (
    *C_FLAGS,  # the host build's standard and warning flags (-Werror -Wconversion included)
    "-O2",
    "-ffreestanding",
    "-ffunction-sections",
    "-fdata-sections",
    "-fstack-usage",
    "-fcallgraph-info=su",
)


class BuildError(FlightmlError):
    """The cross compiler rejected a source file (the message holds its first error line)."""


class LinkError(FlightmlError):
    """The link failed (region overflow, undefined symbol); the message holds the linker's reason."""


@dataclass(frozen=True)
class Build:
    elf: Path
    map_file: Path
    model_objects: list[Path]
    kernels: str


def runtime_dir() -> Path:
    return Path(str(resources.files("flightml.mcu") / "runtime"))


def linker_script(target: Target, weight_symbols: list[str]) -> str:
    """The linker script for `target`: weights (`.rodata.<symbol>` input sections) get their own
    output section `.fm_weights`; the stack is reserved so RAM overflow fails at link time."""
    template = Template((runtime_dir() / "fm_link.ld.in").read_text(encoding="utf-8"))
    inputs = " ".join(f"*(.rodata.{sym})" for sym in weight_symbols) or "/* no weights */"
    return template.substitute(
        flash_origin=hex(target.flash_origin),
        flash_size=hex(target.flash_size),
        ram_origin=hex(target.ram_origin),
        ram_size=hex(target.ram_size),
        stack_bytes=target.stack_bytes,
        weight_inputs=inputs,
    )


def model_glue_header(api: ModelApi) -> str:
    """fm_mcu_model.h: maps the harness's FM_INVOKE/FM_INPUT_SIZE/FM_OUTPUT_SIZE to the model."""
    upper = api.name.upper()
    return (
        f'#include "model.h"\n#define FM_INVOKE {api.invoke}\n'
        f"#define FM_INPUT_SIZE {upper}_INPUT_SIZE\n#define FM_OUTPUT_SIZE {upper}_OUTPUT_SIZE\n"
    )


def _object_name(src: Path, base: Path) -> str:
    try:
        rel = src.relative_to(base)
    except ValueError:
        rel = Path("fm_mcu") / src.name
    return "__".join(rel.with_suffix("").parts) + ".o"


def _compile(src: Path, obj: Path, flags: list[str]) -> None:
    proc = subprocess.run([CROSS_GCC, *flags, "-c", str(src), "-o", str(obj)], capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if "error" in ln] or proc.stderr.splitlines() or ["?"]
        raise BuildError(f"{src.name}: {lines[0].strip()}")


def build_elf(
    c_dir: Path,
    api: ModelApi,
    target: Target,
    kernels: str,
    weight_symbols: list[str],
    work: Path,
    extra_flags: tuple[str, ...] = (),
) -> Build:
    """Compile the model (model.c + the `kernels` set) and the harness for `target`, link in `work`."""
    c_dir, work = Path(c_dir), Path(work)
    work.mkdir(parents=True, exist_ok=True)
    (work / "fm_mcu_model.h").write_text(model_glue_header(api), encoding="utf-8")
    model_srcs = [c_dir / "model.c", *kernel_sources(c_dir, kernels)]
    for src in model_srcs:
        if not src.is_file():
            raise InputError(f"{src}: not found")
    objects = build_program(
        [(src, extra_flags) for src in model_srcs],
        target,
        [work, c_dir],
        weight_symbols,
        work,
        c_dir,
        main=runtime_dir() / "fm_mcu_harness.c",
    )
    elf = work / "prog.elf"
    return Build(elf, work / "prog.map", objects[: len(model_srcs)], kernels)


def build_program(
    sources: list[tuple[Path, tuple[str, ...]]],
    target: Target,
    includes: list[Path],
    weight_symbols: list[str],
    work: Path,
    base: Path,
    main: Path,
) -> list[Path]:
    """Compile `sources` (each with its extra flags) and `main` with the startup, libc and core init,
    link WORK/prog.elf (+ prog.map) for `target`; returns the objects (sources first)."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    (work / "link.ld").write_text(linker_script(target, weight_symbols), encoding="utf-8")
    (work / exit_codes.HEADER).write_text(exit_codes.header(), encoding="utf-8")
    rt = runtime_dir()
    support = [rt / name for name in ("fm_startup.c", "fm_libc.c", target.core_init)]
    flags = [*CFLAGS, *target.cpu_flags, *(f"-I{d}" for d in (work, *includes, rt))]
    jobs = [(src, work / _object_name(src, base), extra) for src, extra in sources]
    jobs += [(src, work / _object_name(src, base), ()) for src in (main, *support)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda job: _compile(job[0], job[1], [*flags, *job[2]]), jobs))
    link = [
        CROSS_GCC,
        *target.cpu_flags,
        "-nostdlib",
        "-nostartfiles",
        "-Wl,--gc-sections",
        f"-T{work / 'link.ld'}",
        f"-Wl,-Map={work / 'prog.map'}",
        "-o",
        str(work / "prog.elf"),
        *(str(obj) for _, obj, _ in jobs),
        "-lgcc",
    ]
    proc = subprocess.run(link, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LinkError(_link_reason(proc.stderr))
    return [obj for _, obj, _ in jobs]


def _link_reason(stderr: str) -> str:
    for pattern in (r"region `?(\w+)'? overflowed by (\d+) bytes", r"undefined reference to `([^']+)'"):
        match = re.search(pattern, stderr)
        if match:
            if "overflowed" in pattern:
                return f"{match.group(1)} overflowed by {match.group(2)} bytes"
            return f"undefined reference to {match.group(1)}"
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else "link failed"
