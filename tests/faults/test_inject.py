"""Fault injection: the batched propagation equals the plain reference, images, seeds, bad input."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from flightml.artifacts import RunDir
from flightml.compiler.ops import BY_KIND
from flightml.data import load_spectra
from flightml.errors import InputError
from flightml.faults.campaign import Sampler, Settings, make_trial
from flightml.faults.inject import Propagator, flip_int8
from flightml.faults.model import load_compiled
from flightml.faults.stage import run_faults
from flightml.verify.reference import Reference


def _setup(run_dir: RunDir, samples: int = 64):
    compiled = load_compiled(run_dir.path("c", "fixedpoint"))
    spectra = load_spectra(run_dir.path("spectra.npz"))
    ref = Reference(compiled.graph)
    x = ref.quantize_input(spectra.x_test[:samples].reshape(samples, *ref.input_shape))
    return compiled, x, Propagator(compiled.graph, x)


def _plain(compiled, x, consts, arena):
    """The faulty inference with the op references, layer by layer, no shortcuts."""
    g = compiled.graph
    values = {g.input: x.astype(np.int64)}

    def flip(name: str) -> None:
        for tensor, element, bit in arena:
            if tensor == name:
                values[name] = flip_int8(values[name], element, bit).astype(np.int64)

    flip(g.input)
    for layer in g.layers:
        ins = [values[g.storage(t)] for t in layer.inputs]
        values[layer.output] = BY_KIND[layer.kind].reference(layer, ins, consts, g.mode)
        flip(layer.output)
    return values[g.storage(g.output)].astype(np.int8)


def test_image_bytes_crc_and_xor(run_dir: RunDir) -> None:
    compiled = load_compiled(run_dir.path("c", "fixedpoint"))
    image = compiled.image
    blob = b"".join(r.data.tobytes() for r in image.regions)
    assert image.nbytes == len(blob) and image.crc32() == zlib.crc32(blob)
    assert {r.fault_class for r in image.regions} == {"weights", "biases", "requant"}
    flips = np.array([[0, 1, 3], [0, 1, 3]])
    assert np.array_equal(image.apply(flips)[image.regions[0].name], image.regions[0].data)


@pytest.mark.parametrize("where", ["weights", "biases", "requant", "arena", "all"])
def test_batched_propagation_equals_reference(run_dir: RunDir, where: str) -> None:
    compiled, x, prop = _setup(run_dir)
    sampler = Sampler(compiled.image, prop, where)
    rng = np.random.default_rng(3)
    specs = [sampler.draw(n, rng) for n in (1, 1, 2, 3, 5, 20) * 3]
    outputs = prop.outputs([make_trial(compiled.image, c, a) for c, a in specs])
    for (const, arena), y in zip(specs, outputs, strict=True):
        consts = {**compiled.image.consts(), **compiled.image.apply(const)}
        assert np.array_equal(_plain(compiled, x, consts, arena).reshape(y.shape), y)


def test_injection_reproducible_by_seed(run_dir: RunDir) -> None:
    spectra = load_spectra(run_dir.path("spectra.npz"))
    c_dir = run_dir.path("c", "fixedpoint")
    settings = Settings(flips=(1, 10), trials=20, seed=7, sweep_elements=1)
    first = run_faults(c_dir, spectra, settings, samples=32, c_trials=0, costs=False)
    again = run_faults(c_dir, spectra, settings, samples=32, c_trials=0, costs=False)
    other = run_faults(c_dir, spectra, Settings(flips=(1, 10), trials=20, seed=8, sweep_elements=1), samples=32,
                       c_trials=0, costs=False)
    assert first == again
    assert first["by_flips"] != other["by_flips"] or first["sensitivity"] != other["sensitivity"]


def test_bad_settings_and_directory(run_dir: RunDir, tmp_path) -> None:
    spectra = load_spectra(run_dir.path("spectra.npz"))
    c_dir = run_dir.path("c", "fixedpoint")
    with pytest.raises(InputError, match="--where"):
        run_faults(c_dir, spectra, Settings(where="flash"), c_trials=0, costs=False)
    with pytest.raises(InputError, match="--flips"):
        run_faults(c_dir, spectra, Settings(flips=(0,)), c_trials=0, costs=False)
    with pytest.raises(InputError, match=r"package\.json"):
        load_compiled(tmp_path)
