"""Host builds of a compiled C directory with the system C compiler (`cc`, or $CC), linked with -lm
(ort-exact Add uses C99 fmaf).

Sources = model.c + model_float.c + kernels/<set>/*.c (+ harness/host_main.c for the executable). Builds are cached
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

from flightml.compiler.package import C_FLAGS, FLOAT_SOURCE, MODEL_SOURCE, read_package
from flightml.errors import InputError, ToolMissing, VerdictFail

CFLAGS = (*C_FLAGS, "-O2")
SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g")


def cc() -> str:
    """The host C compiler: $CC, else `cc`; ToolMissing when neither exists."""
    found = shutil.which(os.environ.get("CC", "cc"))
    if not found:
        raise ToolMissing("no host C compiler found: install gcc or set CC")
    return found


def kernel_files(c_dir: Path, kernel_set: str = "portable") -> list[Path]:
    """kernels/<set>/*.c of a compiled directory; InputError when there are none."""
    kernels = sorted((Path(c_dir) / "kernels" / kernel_set).glob("*.c"))
    if not kernels:
        raise InputError(f"{c_dir}: kernels/{kernel_set}/ holds no kernels")
    return kernels


def sources(c_dir: Path, kernel_set: str = "portable") -> list[Path]:
    """The model, its float helpers and the kernel set: every source of a host build."""
    c_dir = Path(c_dir)
    model = [c_dir / MODEL_SOURCE, c_dir / FLOAT_SOURCE]
    if not all(f.is_file() for f in model) or not (c_dir / "model.h").is_file():
        raise InputError(f"{c_dir}: not a compiled model directory ({MODEL_SOURCE}/{FLOAT_SOURCE}/model.h missing)")
    return [*model, *kernel_files(c_dir, kernel_set)]


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
    cmd = [cc(), *flags, *[f"-I{d}" for d in include], *map(str, files), "-o", str(tmp), "-lm"]
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


def run_harness(exe: Path, x: np.ndarray, out_size: int, index: int | None = None) -> np.ndarray:
    """int8 x [N, ...] through the harness (model `index` of a build_multi executable) -> int8 [N, out_size]."""
    x = np.ascontiguousarray(x, dtype=np.int8)
    with tempfile.TemporaryDirectory(prefix="flightml-run-") as tmp:
        fin, fout = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        fin.write_bytes(x.tobytes())
        head = [str(exe)] if index is None else [str(exe), str(index)]
        proc = subprocess.run([*head, str(fin), str(fout)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise VerdictFail(f"host harness failed (exit {proc.returncode}): {proc.stderr.strip()[:2000]}")
        y = np.frombuffer(fout.read_bytes(), dtype=np.int8)
    return y.reshape(x.shape[0], out_size)


MULTI_MAIN = """/* flightml multi-model host harness (generated for test builds). argv: INDEX INPUT.bin OUTPUT.bin */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include "fm_status.h"
{decls}
typedef fm_status_t (*fm_invoke_fn)(const int8_t *, int8_t *);
static const fm_invoke_fn fns[] = {{ {fns} }};
static const long in_sizes[] = {{ {ins} }};
static const long out_sizes[] = {{ {outs} }};

int main(int argc, char **argv) {{
    static int8_t in[65536], out[65536];
    FILE *fin, *fout;
    long i;
    int rc = 0;
    if (argc != 4) return 1;
    i = strtol(argv[1], 0, 10);
    if (i < 0 || i >= (long)(sizeof fns / sizeof fns[0])) return 1;
    fin = fopen(argv[2], "rb");
    fout = fopen(argv[3], "wb");
    if (fin == 0 || fout == 0) return 1;
    while (fread(in, 1, (size_t)in_sizes[i], fin) == (size_t)in_sizes[i]) {{
        const fm_status_t status = fns[i](in, out);
        if (status != FM_OK) {{ fprintf(stderr, "status %d\\n", (int)status); rc = 2; break; }}
        fwrite(out, 1, (size_t)out_sizes[i], fout);
    }}
    fclose(fin);
    fclose(fout);
    return rc;
}}
"""


def build_multi(c_dirs: list[Path], work: Path, extra: tuple[str, ...] = ()) -> Path:
    """One host executable (written in `work`) holding many compiled models of one requant mode with
    distinct API names; run model i with `run_harness(exe, x, out_size, index=i)`."""
    packages = [read_package(Path(d)) for d in c_dirs]
    names = [p["name"] for p in packages]
    if len({p["mode"] for p in packages}) > 1 or len(set(names)) != len(names):
        raise InputError("build_multi: models must share one requant mode and have distinct names")
    sizes = [(int(p["api"]["input"]["size"]), int(p["api"]["output"]["size"])) for p in packages]
    main = MULTI_MAIN.format(
        decls="".join(f"fm_status_t {n}_invoke(const int8_t *input, int8_t *output);\n" for n in names),
        fns=", ".join(f"{n}_invoke" for n in names),
        ins=", ".join(str(s[0]) for s in sizes),
        outs=", ".join(str(s[1]) for s in sizes),
    )
    work.mkdir(parents=True, exist_ok=True)
    objects = []
    for i, d in enumerate(c_dirs):
        objects.append(_object(Path(d) / MODEL_SOURCE, [Path(d)], work / f"m{i}.o", extra))
    first = Path(c_dirs[0])
    for k in kernel_files(first):
        objects.append(_object(k, [first], work / f"k_{k.stem}.o", extra))
    (work / "main.c").write_text(main, encoding="utf-8")
    objects.append(_object(work / "main.c", [first], work / "main.o", extra))
    exe = work / "multi"
    proc = subprocess.run(
        [cc(), *extra, *map(str, objects), "-o", str(exe), "-lm"], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise VerdictFail(f"multi-model link failed: {proc.stderr.strip()[:4000]}")
    return exe


def _object(src: Path, include: list[Path], obj: Path, extra: tuple[str, ...]) -> Path:
    cmd = [cc(), *CFLAGS, *extra, *[f"-I{d}" for d in include], "-c", str(src), "-o", str(obj)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise VerdictFail(f"compile of {src} failed:\n{proc.stderr.strip()[:4000]}")
    return obj
