"""Run an MCU ELF under qemu-system-arm with semihosting and the instruction-count plugin.

The plugin (plugin/fm_insncount.c) is built with host gcc into a cache directory keyed by its
source hash. A run writes input.bin, runs QEMU in a scratch directory with a wall-clock timeout and
returns the exit code, output.bin and the plugin's counter snapshots.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from flightml.errors import ToolMissing
from flightml.mcu.targets import TIMING_CLASSES, Target
from flightml.mcu.toolchain import HOST_GCC, QEMU

# Plugin counter order, declared here only: the plugin's enum is built from it (FM_COUNTERS).
COUNTERS = ("insn", *TIMING_CLASSES, "flash_reads")
COUNTER_ENUM = "-DFM_COUNTERS=" + ",".join(c.upper() for c in COUNTERS)


@dataclass(frozen=True)
class RunResult:
    exit_code: int | None
    timed_out: bool
    output: bytes
    snapshots: list[tuple[int, dict[str, int]]]
    stderr: str


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flightml"


def plugin_path() -> Path:
    """Build (once per source version) and return the TCG plugin shared object."""
    source = Path(str(resources.files("flightml.mcu") / "plugin" / "fm_insncount.c"))
    digest = hashlib.sha256(source.read_bytes() + COUNTER_ENUM.encode()).hexdigest()[:16]
    target = _cache_dir() / f"fm_insncount-{digest}.so"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".so.tmp")
    os.close(fd)
    try:
        proc = subprocess.run(
            [HOST_GCC, "-O2", "-shared", "-fPIC", COUNTER_ENUM, "-o", tmp, str(source)], capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise ToolMissing(f"cannot build the QEMU plugin with {HOST_GCC}: {proc.stderr.strip()[:200]}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def command(target: Target, elf: Path, extra: list[str]) -> list[str]:
    """qemu-system-arm on `target`'s board with semihosting on stdio, `extra` options, `elf` as kernel."""
    return [
        QEMU,
        "-machine",
        target.machine,
        "-display",
        "none",
        "-monitor",
        "none",
        "-serial",
        "null",
        "-chardev",
        "stdio,id=sh0",
        "-semihosting-config",
        "enable=on,target=native,chardev=sh0",
        *extra,
        "-kernel",
        str(Path(elf).resolve()),
    ]


def run_elf(elf: Path, target: Target, input_bytes: bytes, markers: list[int], timeout_s: float) -> RunResult:
    """Run `elf` on `target`'s board; `markers` are code addresses (bench_start, bench_end, ...)."""
    with tempfile.TemporaryDirectory(prefix="fm-qemu-") as tmp:
        work = Path(tmp)
        (work / "input.bin").write_bytes(input_bytes)
        counts = work / "counts.txt"
        flash = f"flash={hex(target.flash_origin)}:{hex(target.flash_origin + target.flash_size)}"
        plugin_args = ",".join([str(plugin_path()), f"out={counts}", flash, *(f"m={hex(m)}" for m in markers)])
        cmd = command(target, elf, ["-plugin", plugin_args])
        try:
            proc = subprocess.run(cmd, cwd=work, capture_output=True, timeout=timeout_s)
            code, timed_out, stderr = proc.returncode, False, proc.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            code, timed_out, stderr = None, True, ""
        output = (work / "output.bin").read_bytes() if (work / "output.bin").is_file() else b""
        snapshots = _parse_snapshots(counts.read_text() if counts.is_file() else "")
    return RunResult(code, timed_out, output, snapshots, stderr)


def _parse_snapshots(text: str) -> list[tuple[int, dict[str, int]]]:
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == len(COUNTERS) + 2 and parts[0] == "S":
            rows.append((int(parts[1]), dict(zip(COUNTERS, map(int, parts[2:]), strict=True))))
    return rows
