"""The DSP kernel set equals the portable set bit for bit on pseudo-random shapes (under QEMU)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flightml.mcu import qemu
from flightml.mcu.build import build_program
from flightml.mcu.targets import get_target

pytestmark = pytest.mark.mcu
RUNTIME = Path(__file__).resolve().parents[2] / "src" / "flightml" / "compiler" / "runtime"
# every kernel of fm_kernels.h: the portable copies are renamed ref_* (the DSP set includes some of them)
RENAME = tuple(
    f"-D{f}=ref_{f}"
    for f in re.findall(r"^fm_status_t (fm_\w+)\(", (RUNTIME / "fm_kernels.h").read_text(), re.MULTILINE)
)
WHAT = {
    1: "fm_conv_s8",
    2: "fm_conv_maxpool_s8",
    3: "fm_fc_s8",
    4: "fm_add_s8",
    5: "fm_conv_pair_s8",
    6: "fm_conv_maxpool_pair_s8",
    9: "a status code",
}


@pytest.mark.parametrize(
    ("target", "mode"),
    [
        ("cortex-m4", "fixedpoint"),
        ("cortex-m7", "fixedpoint"),
        ("cortex-m33", "fixedpoint"),
        ("cortex-m55", "fixedpoint"),
        ("cortex-m4", "ort_int"),
    ],
)
def test_dsp_equals_portable_on_random_shapes(tools: None, tmp_path: Path, target: str, mode: str) -> None:
    sources = [(p, RENAME) for p in sorted((RUNTIME / "kernels" / "portable").glob("*.c"))]
    sources += [(p, ()) for p in sorted((RUNTIME / "kernels" / "dsp").glob("*.c"))]
    sources.append((RUNTIME / "requant" / f"{mode}.c", ()))
    main = tmp_path / "kernel_check_main.c"
    check = Path(__file__).parent / "kernel_check.c"
    main.write_text(f'#define FM_CHECK_ORT_INT {int(mode == "ort_int")}\n#include "{check}"\n', encoding="utf-8")
    t = get_target(target)
    build_program(sources, t, [RUNTIME], [], tmp_path / "build", RUNTIME, main=main)
    run = qemu.run_elf(tmp_path / "build" / "prog.elf", t, b"", [0, 0], timeout_s=60)
    assert not run.timed_out
    assert run.exit_code == 0, f"DSP and portable {WHAT.get(run.exit_code or 0, 'kernels')} differ ({mode})"
