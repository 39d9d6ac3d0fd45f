"""The DSP kernel set equals the portable set bit for bit on pseudo-random shapes (under QEMU)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightml.compiler import abi, emit
from flightml.compiler.ops import conv
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


def _build_check(tmp_path: Path, target: str, mode: str, check: Path | None = None) -> Path:
    """kernel_check.c (or `check`) with both kernel sets and the requant mode, built for `target`: the build
    folder."""
    sources = [(p, RENAME) for p in sorted((RUNTIME / "kernels" / "portable").glob("*.c"))]
    sources += [(p, ()) for p in sorted((RUNTIME / "kernels" / "dsp").glob("*.c"))]
    sources.append((RUNTIME / "requant" / f"{mode}.c", ()))
    main = tmp_path / "kernel_check_main.c"
    check = check or Path(__file__).parent / "kernel_check.c"
    flags = f"#define FM_CHECK_ORT_INT {int(mode == 'ort_int')}\n#define FM_CHECK_TFLM {int(mode == 'tflm')}\n"
    (tmp_path / "ref_kernels.h").write_text(REF_HEADER, encoding="utf-8")
    (tmp_path / emit.OP_KERNELS_H).write_text(emit.op_kernels_header(), encoding="utf-8")
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


# Pair-path shapes (fields of fm_conv_params_t; pooled: the fused 1 x 2 max pool): SpectrumNet's two layers,
# odd widths, no or wide padding along w, windows leaving the input along h, patch rows not one stride apart,
# groups, rows narrower than a word, stride and dilation along h, offsets at their extremes, 16 patch rows.
PAIR_CASES = [
    ({"in_c": 1, "in_h": 1, "in_w": 64, "out_c": 8, "k_h": 1, "pad_top": 0, "pad_left": 1, "pad_w": 2}, False),
    ({"in_c": 8, "in_h": 1, "in_w": 64, "out_c": 16, "k_h": 1, "pad_top": 0, "pad_left": 1, "pad_w": 2}, True),
    ({"in_c": 2, "in_h": 1, "in_w": 9, "out_c": 3, "k_h": 1, "pad_top": 0, "pad_left": 1, "pad_w": 2}, False),
    ({"in_c": 3, "in_h": 1, "in_w": 10, "out_c": 4, "k_h": 1, "pad_top": 0, "pad_left": 0, "pad_w": 0}, True),
    ({"in_c": 1, "in_h": 1, "in_w": 7, "out_c": 2, "k_h": 1, "pad_top": 0, "pad_left": 2, "pad_w": 4}, False),
    ({"in_c": 1, "in_h": 4, "in_w": 12, "out_c": 5, "k_h": 2, "pad_top": 1, "pad_left": 1, "pad_w": 2}, False),
    ({"in_c": 3, "in_h": 6, "in_w": 8, "out_c": 5, "k_h": 3, "pad_top": 1, "pad_left": 1, "pad_w": 2}, True),
    (
        {"in_c": 4, "in_h": 1, "in_w": 16, "out_c": 6, "k_h": 1, "pad_top": 0, "pad_left": 1, "pad_w": 2, "groups": 2},
        True,
    ),
    ({"in_c": 2, "in_h": 1, "in_w": 3, "out_c": 2, "k_h": 1, "pad_top": 0, "pad_left": 1, "pad_w": 2}, False),
    (
        {
            "in_c": 1,
            "in_h": 7,
            "in_w": 10,
            "out_c": 3,
            "k_h": 2,
            "pad_top": 0,
            "pad_left": 1,
            "pad_w": 2,
            "stride_h": 2,
            "dil_h": 2,
        },
        False,
    ),
    (
        {
            "in_c": 2,
            "in_h": 1,
            "in_w": 20,
            "out_c": 4,
            "k_h": 1,
            "pad_top": 0,
            "pad_left": 1,
            "pad_w": 2,
            "in_offset": -127,
            "w_offset": 128,
        },
        True,
    ),
    (
        {
            "in_c": 16,
            "in_h": 1,
            "in_w": 12,
            "out_c": 2,
            "k_h": 1,
            "pad_top": 0,
            "pad_left": 1,
            "pad_w": 2,
            "in_offset": 128,
        },
        True,
    ),
]

PAIR_MAIN = """#include <stdint.h>

#include "fm_kernels.h"
#include "ref_kernels.h"

int main(void);

typedef struct {
    fm_conv_params_t p;
    int32_t pooled, scratch;
} pair_case_t;

static const pair_case_t cases[] = {
%s};
static int8_t x[4096], w[8192], y_dsp[4096], y_ref[4096], shift[64];
static int32_t b[64], mult[64];
static uint64_t s_dsp[300], s_ref[337]; /* 8-byte aligned, as the planner places scratch */
static uint32_t seed = 1u;

static int8_t rnd8(void) {
    seed = seed * 1664525u + 1013904223u;
    return (int8_t)(seed >> 24);
}

/* Exit 0, or 3 c + 1 (status), 3 c + 2 (a byte written past the declared scratch), 3 c + 3 (output). */
int main(void) {
    uint8_t *s = (uint8_t *)s_dsp;
    int32_t c, i;
    for (i = 0; i < 4096; ++i) x[i] = rnd8();
    for (i = 0; i < 8192; ++i) w[i] = rnd8();
    for (i = 0; i < 64; ++i) {
        b[i] = 97 * i - 3000;
        mult[i] = 0x40000000 + 1000003 * i;
        shift[i] = (int8_t)(-6 - i %% 5);
    }
    for (c = 0; c < (int32_t)(sizeof cases / sizeof cases[0]); ++c) {
        const fm_conv_params_t *p = &cases[c].p;
        const fm_requant_t rq = {mult, shift, 0, 1, -3, -128, 127};
        const fm_pool_params_t pool = {p->out_c, p->out_h, p->out_w, p->out_h, p->out_w / 2, 1, 2, 1, 2, 1, 1, 0, 0};
        const int32_t n = p->out_c * p->out_h * (cases[c].pooled ? p->out_w / 2 : p->out_w);
        fm_status_t rd, rr;
        for (i = 0; i < 2400; ++i) s[i] = i < cases[c].scratch ? 0x5A : 0xA5;
        if (cases[c].pooled) {
            rd = fm_conv_maxpool_pair_s8(p, &pool, &rq, x, w, b, s_dsp, y_dsp);
            rr = ref_fm_conv_maxpool_pair_s8(p, &pool, &rq, x, w, b, s_ref, y_ref);
        } else {
            rd = fm_conv_pair_s8(p, &rq, x, w, b, s_dsp, y_dsp);
            rr = ref_fm_conv_pair_s8(p, &rq, x, w, b, s_ref, y_ref);
        }
        if (rd != FM_OK || rr != FM_OK) return 3 * c + 1;
        for (i = cases[c].scratch; i < 2400; ++i) {
            if (s[i] != 0xA5) return 3 * c + 2;
        }
        for (i = 0; i < n; ++i) {
            if (y_dsp[i] != y_ref[i]) return 3 * c + 3;
        }
    }
    return 0;
}
"""


def _pair_case(shape: dict[str, int], pooled: bool) -> str:
    """One initializer of PAIR_MAIN's cases: the full params and the scratch the compiler declares."""
    p = {"groups": 1, "stride_h": 1, "dil_h": 1, "in_offset": 3, "w_offset": 0, **shape}
    p.update(k_w=3, stride_w=1, dil_w=1)
    p["out_h"] = (p["in_h"] + p["pad_top"] - p["dil_h"] * (p["k_h"] - 1) - 1) // p["stride_h"] + 1
    p["out_w"] = p["in_w"] + p.pop("pad_w") - 2
    assert conv.pair_shape(p)
    fields = ", ".join(f".{k} = {v}" for k, v in p.items())
    return f"    {{{{{fields}}}, {int(pooled)}, {conv.pair_scratch(p, pooled)}}},\n"


def test_pair_path_stays_inside_its_declared_scratch(tools: None, tmp_path: Path) -> None:
    """The pair entries on shapes of every kind write no byte past ops/conv.py's pair_scratch (the planner
    places other tensors there) and equal the portable set."""
    main = tmp_path / "pair_scratch.c"
    main.write_text(PAIR_MAIN % "".join(_pair_case(p, pooled) for p, pooled in PAIR_CASES), encoding="utf-8")
    run = qemu.run_elf(
        _build_check(tmp_path, "cortex-m4", "fixedpoint", main) / "prog.elf",
        get_target("cortex-m4"),
        b"",
        [0, 0],
        timeout_s=60,
    )
    assert not run.timed_out
    code = run.exit_code or 0
    what = ["", "status", "scratch overrun", "output"][code % 3 or 3] if code else ""
    assert code == 0, f"pair case {(code - 1) // 3}: {what}"
