"""The C build on faulty images: self-test and scrubbing detect every weight bit, the C equals the
reference, and the generated integrity code builds strictly and votes as documented."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from flightml.artifacts import RunDir
from flightml.data import load_spectra
from flightml.faults.campaign import Sampler, make_trial
from flightml.faults.cbuild import FaultHarness
from flightml.faults.inject import Propagator
from flightml.faults.model import load_compiled
from flightml.faults.protect import add_integrity_files
from flightml.verify.build import CFLAGS, SANITIZE, cc
from flightml.verify.reference import Reference

ERR_CRC = 16


def _inputs(run_dir: RunDir, compiled, n: int) -> np.ndarray:
    spectra = load_spectra(run_dir.path("spectra.npz"))
    ref = Reference(compiled.graph)
    return ref.quantize_input(spectra.x_test[:n].reshape(n, *ref.input_shape))


def test_selftest_detects_every_bit_of_sampled_weight_bytes(run_dir: RunDir) -> None:
    compiled = load_compiled(run_dir.path("c", "fixedpoint"))
    image = compiled.image
    rng = np.random.default_rng(0)
    trials = [(np.zeros((0, 3), dtype=np.int64), [])]
    for ri in image.regions_of("weights"):
        size = image.regions[ri].nbytes
        for byte in sorted({0, size - 1, *rng.choice(size, min(6, size), replace=False).tolist()}):
            trials += [(np.array([[ri, byte, bit]]), []) for bit in range(8)]
    status, scrub, _ = FaultHarness(compiled, sanitize=True).run(_inputs(run_dir, compiled, 1), trials)
    assert status[0] == 0 and scrub[0] == 0
    assert np.all(status[1:] == ERR_CRC) and np.all(scrub[1:] == ERR_CRC)
    assert len(trials) > 8 * 4 * 3


@pytest.mark.parametrize("mode", ["fixedpoint", "ort-exact"])
def test_c_equals_reference_on_faulty_images(run_dir: RunDir, mode: str) -> None:
    compiled = load_compiled(run_dir.path("c", mode))
    x = _inputs(run_dir, compiled, 40)
    prop = Propagator(compiled.graph, x)
    rng = np.random.default_rng(11)
    specs = []
    for where in ("weights", "biases", "requant", "arena", "all"):
        sampler = Sampler(compiled.image, prop, where)
        specs += [sampler.draw(n, rng) for n in (1, 3, 10)]
    for ri, region in enumerate(compiled.image.regions):  # top bits: sign and exponent of float scales
        if region.fault_class == "requant":
            specs += [(np.array([[ri, region.data.dtype.itemsize - 1, bit]]), []) for bit in (5, 6, 7)]
    status, scrub, outputs = FaultHarness(compiled, sanitize=True).run(x, specs)
    expected = prop.outputs([make_trial(compiled.image, c, a) for c, a in specs])
    for got, want in zip(outputs, expected, strict=True):
        assert np.array_equal(got, want.reshape(got.shape))
    changed = np.array([compiled.image.crc32(compiled.image.apply(c)) != compiled.image.crc32() for c, _ in specs])
    assert np.array_equal(status != 0, changed) and np.array_equal(scrub != 0, changed)


VOTE_MAIN = r"""
#include <stdio.h>
#include "fm_status.h"
#include "integrity.h"
#include "model.h"

static int32_t corrupt_run = -1;
void fm_vote_test_hook(int32_t run, int8_t *output) {
    if (run == corrupt_run) output[spectrumnet_argmax(output)] = -128;
}

int main(void) {
    int8_t in[SPECTRUMNET_INPUT_SIZE] = {0}, out[SPECTRUMNET_OUTPUT_SIZE];
    uint32_t i;
    int bad = 0;
    bad |= spectrumnet_selftest() != FM_OK;
    for (i = 0; i < 2u * SPECTRUMNET_SCRUB_CHUNKS; ++i) {
        bad |= spectrumnet_scrub_step() != FM_OK;
        bad |= spectrumnet_scrub_last_chunk() != i % SPECTRUMNET_SCRUB_CHUNKS;
    }
    bad |= spectrumnet_invoke_voted(in, out, 2) != FM_OK;
    bad |= spectrumnet_invoke_voted(in, out, 3) != FM_OK;
    bad |= spectrumnet_invoke_voted(in, out, 4) != FM_ERR_PARAM;
    bad |= spectrumnet_invoke_voted(0, out, 2) != FM_ERR_NULL;
    corrupt_run = 1;
    bad |= spectrumnet_invoke_voted(in, out, 2) != FM_ERR_VOTE;
    bad |= spectrumnet_invoke_voted(in, out, 3) != FM_VOTE_CORRECTED;
    corrupt_run = 0;
    bad |= spectrumnet_invoke_voted(in, out, 3) != FM_VOTE_CORRECTED;
    printf("%s\n", bad ? "FAIL" : "OK");
    return bad;
}
"""


def test_integrity_files_build_strict_and_vote(run_dir: RunDir, tmp_path) -> None:
    c_dir = tmp_path / "c"
    shutil.copytree(run_dir.path("c", "fixedpoint"), c_dir)
    paths = add_integrity_files(c_dir, "spectrumnet")
    assert [p.name for p in paths] == ["integrity.h", "integrity.c"]
    (c_dir / "vote_main.c").write_text(VOTE_MAIN, encoding="utf-8")
    sources = [c_dir / "model.c", c_dir / "integrity.c", c_dir / "vote_main.c",
               *sorted((c_dir / "kernels" / "portable").glob("*.c"))]
    exe = tmp_path / "vote"
    cmd = [cc(), *CFLAGS, *SANITIZE, "-DFM_VOTE_TEST_HOOK", f"-I{c_dir}", *map(str, sources), "-o", str(exe)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    proc = subprocess.run([str(exe)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "OK", proc.stderr
