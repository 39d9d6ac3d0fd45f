"""The DSP kernel set equals the portable set bit for bit on pseudo-random shapes (under QEMU)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightml.compiler import abi
from flightml.mcu import qemu, stack
from flightml.mcu.build import build_program
from flightml.mcu.targets import get_target

pytestmark = pytest.mark.mcu
RUNTIME = Path(__file__).resolve().parents[2] / "src" / "flightml" / "compiler" / "runtime"
# every kernel of fm_kernels.h (abi.py): the portable copies are renamed ref_* (the DSP set includes some of them),
# declared by the generated ref_kernels.h that kernel_check.c includes
RENAME = tuple(f"-D{f}=ref_{f}" for f in abi.KERNELS)
REF_HEADER = "\n".join(['#include "fm_kernels.h"', *(abi.prototype(k, "ref_") for k in abi.KERNELS.values()), ""])
WHAT = {
    1: "fm_conv_s8",
    2: "fm_conv_maxpool_s8",
    3: "fm_fc_s8",
    4: "fm_add_s8",
    5: "fm_conv_pair_s8",
    6: "fm_conv_maxpool_pair_s8",
    7: "fm_avgpool_s8",
    8: "fm_avgpool_div_s8",
    9: "a status code",
}


def _build_check(tmp_path: Path, target: str, mode: str) -> Path:
    """kernel_check.c with both kernel sets and the requant mode, built for `target`: the build folder."""
    sources = [(p, RENAME) for p in sorted((RUNTIME / "kernels" / "portable").glob("*.c"))]
    sources += [(p, ()) for p in sorted((RUNTIME / "kernels" / "dsp").glob("*.c"))]
    sources.append((RUNTIME / "requant" / f"{mode}.c", ()))
    main = tmp_path / "kernel_check_main.c"
    check = Path(__file__).parent / "kernel_check.c"
    flags = f"#define FM_CHECK_ORT_INT {int(mode == 'ort_int')}\n#define FM_CHECK_TFLM {int(mode == 'tflm')}\n"
    (tmp_path / "ref_kernels.h").write_text(REF_HEADER, encoding="utf-8")
    main.write_text(f'{flags}#include "{check}"\n', encoding="utf-8")
    build_program(sources, get_target(target), [RUNTIME, tmp_path], [], tmp_path / "build", RUNTIME, main=main)
    return tmp_path / "build"


@pytest.mark.parametrize(
    ("target", "mode"),
    [
        ("cortex-m4", "fixedpoint"),
        ("cortex-m7", "fixedpoint"),
        ("cortex-m33", "fixedpoint"),
        ("cortex-m55", "fixedpoint"),
        ("cortex-m4", "ort_int"),
        ("cortex-m4", "tflm"),
        ("cortex-m33", "tflm"),
    ],
)
def test_dsp_equals_portable_on_random_shapes(tools: None, tmp_path: Path, target: str, mode: str) -> None:
    t = get_target(target)
    run = qemu.run_elf(_build_check(tmp_path, target, mode) / "prog.elf", t, b"", [0, 0], timeout_s=60)
    assert not run.timed_out
    assert run.exit_code == 0, f"DSP and portable {WHAT.get(run.exit_code or 0, 'kernels')} differ ({mode})"


# A kernel function's own frame: saved registers, spills and small per-call state (the DSP depthwise
# kernel's copy of its params is the largest, 448 B); a work buffer of 1 KB as the kernels once kept
# on the stack would exceed it. Work memory comes from the planner's scratch (fm_kernels.h).
KERNEL_FRAME_BYTES = 512


def test_kernels_keep_no_work_buffer_on_the_stack(tools: None, tmp_path: Path) -> None:
    """Every function of both kernel sets (gcc's -fcallgraph-info frames on Cortex-M4) has a small frame."""
    build = _build_check(tmp_path, "cortex-m4", "fixedpoint")
    frames = {}
    for ci in sorted(build.glob("kernels__*.ci")):
        frames.update({f"{ci.stem}: {name}": n for name, n in stack.read_callgraph([ci]).frames.items()})
    assert len(frames) > 20
    big = {name: n for name, n in frames.items() if n > KERNEL_FRAME_BYTES}
    assert not big, f"kernel stack frames above {KERNEL_FRAME_BYTES} B (use the scratch argument): {big}"
