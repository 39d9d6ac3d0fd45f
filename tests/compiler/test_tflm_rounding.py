"""The tflm rounding (TFLite's MultiplyByQuantizedMultiplier, double rounding) in qparams.py and
fm_requant.h agree on every tested value, and differ from the single-rounding fixedpoint rule exactly
where gemmlowp's two roundings do."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from flightml.compiler import qparams
from flightml.compiler.emit import RUNTIME
from flightml.verify.build import CFLAGS, SANITIZE, cc

PROGRAM = r"""
#include <stdio.h>
#include "fm_requant.h"
int main(void) {
    long acc, mult, shift, zp, lo, hi;
    while (scanf("%ld %ld %ld %ld %ld %ld", &acc, &mult, &shift, &zp, &lo, &hi) == 6)
        printf("%d\n", (int)fm_rq_tflm((int32_t)acc, (int32_t)mult, (int32_t)shift, (int32_t)zp, (int32_t)lo,
                                      (int32_t)hi));
    return 0;
}
"""


def test_known_values() -> None:
    # 6 * (2^31 - 1) / 2^33 = 1.4999999993: one rounding gives 1; gemmlowp rounds to 6 first, then 6 / 4 -> 2
    neg = -np.int64(2**31 - 1)
    assert int(qparams.mul_tflm(6, neg, -2)) == 2
    assert int(qparams.mul_q31(6, 2**31 - 1, -2)) == 1
    # RoundingDivideByPOT rounds half away from zero: -6 / 4 = -1.5 -> -2 (one rounding, half up: -1)
    assert int(qparams.mul_tflm(-6, -(2**30), -1)) == -2
    assert int(qparams.mul_q31(-6, 2**30, -1)) == -1
    # a positive shift multiplies first (saturating to int32)
    assert int(qparams.mul_tflm(3, -(2**30), 2)) == 6
    mult, shift = qparams.fixed_params(np.array([0.5]), "tflm")
    assert int(mult[0]) == -(2**30) and int(shift[0]) == 0


def test_c_header_matches_python(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 20000
    acc = rng.integers(-(2**31), 2**31, n, dtype=np.int64)
    acc[: n // 2] = rng.integers(-5000, 5000, n // 2)
    acc[:6] = [-(2**31), 2**31 - 1, 0, 1, -1, 6]
    reals = np.exp(rng.uniform(np.log(1e-9), np.log(8.0), n))
    mult, shift = qparams.fixed_params(reals, "tflm")
    zp = rng.integers(-128, 128, n)
    lo = np.where(rng.random(n) < 0.5, -128, zp)
    hi = np.full(n, 127)
    (tmp_path / "t.c").write_text(PROGRAM)
    exe = tmp_path / "t"
    subprocess.run([cc(), *CFLAGS, *SANITIZE, f"-I{RUNTIME}", str(tmp_path / "t.c"), "-o", str(exe)], check=True)
    rows = zip(acc, mult, shift, zp, lo, hi, strict=True)
    text = "\n".join(" ".join(str(int(v)) for v in row) for row in rows) + "\n"
    out = subprocess.run([str(exe)], input=text, capture_output=True, text=True, check=True).stdout
    c = np.array(out.split(), dtype=np.int64)
    py = qparams.requant_fixed(acc, mult, shift, zp, lo, hi, "tflm")
    assert np.array_equal(c, py)
    single = qparams.requant_fixed(acc, -mult, shift, zp, lo, hi, "fixedpoint")
    assert 0 < np.count_nonzero(single != py) < n // 10  # the two roundings differ, rarely
