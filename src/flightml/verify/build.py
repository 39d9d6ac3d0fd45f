"""Host builds of a compiled C directory with the system C compiler (`cc`, or $CC).

Sources = model.c + kernels/<set>/*.c (+ harness/host_main.c for the executable). Builds are cached
under the system temp directory, keyed by the sha256 of the sources and flags, and written atomically.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from flightml.errors import InputError, ToolMissing, VerdictFail

CFLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-Wconversion", "-O2")
SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g")


def cc() -> str:
    """The host C compiler: $CC, else `cc`; ToolMissing when neither exists."""
    found = shutil.which(os.environ.get("CC", "cc"))
    if not found:
        raise ToolMissing("no host C compiler found: install gcc or set CC")
    return found


def sources(c_dir: Path, kernel_set: str = "portable") -> list[Path]:
    c_dir = Path(c_dir)
    if not (c_dir / "model.c").is_file() or not (c_dir / "model.h").is_file():
        raise InputError(f"{c_dir}: not a compiled model directory (model.c/model.h missing)")
    kernels = sorted((c_dir / "kernels" / kernel_set).glob("*.c"))
    if not kernels:
        raise InputError(f"{c_dir}: kernels/{kernel_set}/ holds no kernels")
    return [c_dir / "model.c", *kernels]


def build(files: list[Path], include: list[Path], kind: str, extra: tuple[str, ...] = ()) -> Path:
    """Compile `files` into an executable (kind 'exe') or shared library ('so'); cached by content."""
    flags = [*CFLAGS, *extra, *(["-shared", "-fPIC"] if kind == "so" else [])]
    digest = hashlib.sha256(" ".join(flags).encode())
    for f in sorted(set(files) | {h for d in include for h in Path(d).glob("*.h")}):
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    out_dir = Path(tempfile.gettempdir()) / "flightml-build"
    target = out_dir / f"{digest.hexdigest()[:24]}.{kind}"
    if target.exists():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".{target.name}.{os.getpid()}.tmp"
    cmd = [cc(), *flags, *[f"-I{d}" for d in include], *map(str, files), "-o", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise VerdictFail(f"host build failed ({' '.join(cmd[:8])} ...):\n{proc.stderr.strip()[:4000]}")
    os.replace(tmp, target)
    return target


def build_harness(c_dir: Path, extra: tuple[str, ...] = (), kernel_set: str = "portable") -> Path:
    """The host harness executable of a C directory."""
    c_dir = Path(c_dir)
    return build([*sources(c_dir, kernel_set), c_dir / "harness" / "host_main.c"], [c_dir], "exe", extra)


def run_harness(exe: Path, x: np.ndarray, out_size: int, env: dict[str, str] | None = None) -> np.ndarray:
    """int8 x [N, ...] through the harness -> int8 [N, out_size]."""
    x = np.ascontiguousarray(x, dtype=np.int8)
    with tempfile.TemporaryDirectory(prefix="flightml-run-") as tmp:
        fin, fout = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        fin.write_bytes(x.tobytes())
        proc = subprocess.run(
            [str(exe), str(fin), str(fout)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **(env or {})},
        )
        if proc.returncode != 0:
            raise VerdictFail(f"host harness failed (exit {proc.returncode}): {proc.stderr.strip()[:2000]}")
        y = np.frombuffer(fout.read_bytes(), dtype=np.int8)
    return y.reshape(x.shape[0], out_size)
