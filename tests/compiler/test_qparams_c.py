"""The rounding rules in compiler/qparams.py and runtime/fm_requant.h agree on every tested value, and
the integer-only ort-int rule equals the float32 ort-exact rule."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from flightml.compiler import qparams
from flightml.compiler.emit import RUNTIME
from flightml.verify.build import CFLAGS, SANITIZE, cc

PROGRAM = r"""
#include <stdio.h>
#include <string.h>
#include "fm_requant.h"
int main(void) {
    long acc, mult, shift, zp, lo, hi, mant, ex;
    unsigned int bits;
    float scale;
    while (scanf("%ld %ld %ld %ld %ld %ld %u %ld %ld", &acc, &mult, &shift, &zp, &lo, &hi, &bits, &mant, &ex) == 9) {
        memcpy(&scale, &bits, sizeof scale);
        printf("%d %d %d\n", (int)fm_rq_fixedpoint((int32_t)acc, (int32_t)mult, (int32_t)shift, (int32_t)zp,
                                                 (int32_t)lo, (int32_t)hi),
               (int)fm_rq_ort_exact((int32_t)acc, scale, (int32_t)zp, (int32_t)lo, (int32_t)hi),
               (int)fm_rq_ort_int((int32_t)acc, (int32_t)mant, (int32_t)ex, (int32_t)zp, (int32_t)lo, (int32_t)hi));
    }
    return 0;
}
"""


def cases() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    n = 20000
    acc = rng.integers(-(2**31), 2**31, n, dtype=np.int64)
    acc[: n // 2] = rng.integers(-5000, 5000, n // 2)
    acc[:8] = [-(2**31), 2**31 - 1, 0, 1, -1, 3, -3, 5]
    reals = np.exp(rng.uniform(np.log(1e-9), np.log(4.0), n))
    reals[:4] = [0.5, 0.25, 1.0, 2.0**-31]
    mult, shift = qparams.fixedpoint_params(reals)
    zp = rng.integers(-128, 128, n)
    lo = np.where(rng.random(n) < 0.5, -128, zp)
    hi = np.full(n, 127)
    scale = reals.astype(np.float32)
    return {"acc": acc, "mult": mult, "shift": shift, "zp": zp, "lo": lo, "hi": hi, "scale": scale}


def test_c_header_matches_python(tmp_path: Path) -> None:
    c = cases()
    (tmp_path / "t.c").write_text(PROGRAM)
    exe = tmp_path / "t"
    subprocess.run([cc(), *CFLAGS, *SANITIZE, f"-I{RUNTIME}", str(tmp_path / "t.c"), "-o", str(exe)], check=True)
    bits = c["scale"].view(np.uint32)
    mant, ex = qparams.ort_int_params(c["scale"])
    lines = "\n".join(
        " ".join(str(int(v)) for v in row)
        for row in zip(c["acc"], c["mult"], c["shift"], c["zp"], c["lo"], c["hi"], bits, mant, ex, strict=True)
    )
    out = subprocess.run([str(exe)], input=lines, capture_output=True, text=True, check=True).stdout
    got = np.array([[int(v) for v in line.split()] for line in out.splitlines()])
    fixed = qparams.requant_fixedpoint(c["acc"], c["mult"], c["shift"], c["zp"], c["lo"], c["hi"])
    ort = qparams.requant_ort(c["acc"], c["scale"], c["zp"], c["lo"], c["hi"])
    np.testing.assert_array_equal(got[:, 0], fixed)
    np.testing.assert_array_equal(got[:, 1], ort)
    np.testing.assert_array_equal(got[:, 2], ort)  # ort-int: the same results, integers only
    np.testing.assert_array_equal(qparams.requant_ort_int(c["acc"], mant, ex, c["zp"], c["lo"], c["hi"]), ort)


def test_ties_round_half_even_and_half_up() -> None:
    acc = np.array([1, 3, 5, -1, -3])
    np.testing.assert_array_equal(qparams.requant_ort(acc, np.float32(0.5), 0, -128, 127), [0, 2, 2, 0, -2])
    mult, shift = qparams.quantize_multiplier(0.5)
    np.testing.assert_array_equal(qparams.requant_fixedpoint(acc, mult, shift, 0, -128, 127), [1, 2, 3, 0, -1])


def test_quantize_multiplier_ranges() -> None:
    for real in (1e-12, 1e-6, 0.3, 0.999999, 1.0, 3.5, 1000.0):
        mult, shift = qparams.quantize_multiplier(real)
        assert mult == 0 or 2**30 <= mult < 2**31
        assert -31 <= shift <= 30
        if mult:
            assert abs(mult * 2.0 ** (shift - 31) - real) <= real * 2**-30
