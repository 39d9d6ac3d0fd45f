"""The `faults` stage: Monte Carlo bit flips on RUN/c/fixedpoint, confirmed on its C build -> faults.json.

The pipeline stage reads [faults] in the configuration; its defaults (128 test samples, 200 trials
per flip count, 2 elements per (array, bit) in the sensitivity sweep, 12 trials re-run on the C
build) keep the stage to a few seconds on the reference network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from flightml.artifacts import RunDir, atomic_write_json
from flightml.config import Config, FaultsConfig
from flightml.data import Spectra, load_spectra
from flightml.errors import InputError
from flightml.faults.campaign import Settings, accuracy_vs_flips, make_trial, sensitivity
from flightml.faults.cbuild import FaultHarness
from flightml.faults.cost import protection_costs
from flightml.faults.inject import Propagator
from flightml.faults.model import Compiled, load_compiled
from flightml.faults.protect import SCRUB_CHUNK_BYTES
from flightml.verify.reference import Reference

FAULTS = "faults.json"
_DEFAULTS = FaultsConfig()  # the [faults] defaults, declared once there
MODE, SAMPLES, C_TRIALS = _DEFAULTS.mode, _DEFAULTS.samples, _DEFAULTS.c_trials


def _inputs(compiled: Compiled, spectra: Spectra, samples: int, rng: np.random.Generator
            ) -> tuple[np.ndarray, np.ndarray]:
    """int8 inputs and labels of `samples` test spectra drawn without replacement (0 = all)."""
    ref = Reference(compiled.graph)
    n = spectra.x_test.shape[0]
    idx = np.sort(rng.choice(n, samples, replace=False)) if 0 < samples < n else np.arange(n)
    x = np.asarray(spectra.x_test[idx], dtype=np.float32)
    if int(np.prod(x.shape[1:])) != int(np.prod(ref.input_shape)):
        raise InputError(f"spectra: test samples of shape {list(x.shape[1:])} do not fit the model input "
                         f"{list(ref.input_shape)}")
    return ref.quantize_input(x.reshape(x.shape[0], *ref.input_shape)), np.asarray(spectra.y_test[idx])


def c_check(compiled: Compiled, prop: Propagator, drawn: list, count: int, chunk: int = SCRUB_CHUNK_BYTES
            ) -> dict[str, Any]:
    """Re-run `count` of the drawn trials on the C fault harness: outputs equal to the reference, and
    the C self-test / scrub verdicts equal to the CRC computed in Python; plus one fault-free run
    (`clean_image_passes`: the C image has the CRC computed in Python and the clean outputs)."""
    if count < 1 or not drawn:
        return {"trials": 0}
    pick = sorted(set(np.linspace(0, len(drawn) - 1, count).round().astype(int).tolist()))
    specs = [(drawn[i][1], drawn[i][2]) for i in pick]
    clean = (np.zeros((0, 3), dtype=np.int64), [])
    status, scrub, outputs = FaultHarness(compiled, chunk=chunk).run(prop.clean[compiled.graph.input], [clean, *specs])
    clean_ok = bool(status[0] == 0 and scrub[0] == 0 and np.array_equal(
        outputs[0], prop.clean[prop.output].reshape(outputs[0].shape)))
    status, scrub, outputs = status[1:], scrub[1:], outputs[1:]
    image = compiled.image
    ref = prop.outputs([make_trial(image, c, a) for c, a in specs])
    equal = [np.array_equal(o, r.reshape(o.shape)) for o, r in zip(outputs, ref, strict=True)]
    expected = np.array([image.crc32(image.apply(c)) != image.crc32() for c, _ in specs])
    return {
        "trials": len(pick), "flips": [drawn[i][0] for i in pick], "clean_image_passes": clean_ok,
        "outputs_equal_reference": round(float(np.mean(equal)), 6),
        "selftest_agrees_with_crc": round(float(np.mean((status != 0) == expected)), 6),
        "scrub_agrees_with_crc": round(float(np.mean((scrub != 0) == expected)), 6),
        "selftest_detected": int(np.count_nonzero(status)),
    }


def run_faults(c_dir: Path, spectra: Spectra, settings: Settings, samples: int = SAMPLES, c_trials: int = C_TRIALS,
               costs: bool = True, chunk: int = SCRUB_CHUNK_BYTES) -> dict[str, Any]:
    """The faults.json content for the compiled model in `c_dir` (reproducible by settings.seed);
    `chunk` is the scrub chunk of the integrity code that is built and measured."""
    settings.check()
    if chunk < 1:
        raise InputError(f"--scrub-chunk: expected >= 1 byte, got {chunk}")
    compiled = load_compiled(c_dir)
    rng = np.random.default_rng(settings.seed)
    x, y = _inputs(compiled, spectra, samples, rng)
    prop = Propagator(compiled.graph, x)
    rows, drawn = accuracy_vs_flips(prop, compiled.image, y, settings, rng)
    detected = [r["selftest_detection_rate"] * r["trials_with_constant_faults"] for r in rows
                if r["selftest_detection_rate"] is not None]
    with_faults = sum(r["trials_with_constant_faults"] for r in rows)
    return {
        "model": {"name": compiled.name, "mode": compiled.graph.mode,
                  "model_sha256": compiled.graph.model_sha256, "image_bytes": compiled.image.nbytes,
                  "image_crc32": f"{compiled.image.crc32():08x}", "arena_bytes": compiled.plan.get("arena_bytes"),
                  "samples": int(x.shape[0]), "clean_accuracy": round(float((prop.clean_classes == y).mean()), 6)},
        "settings": {"flips": list(settings.flips), "trials": settings.trials, "where": settings.where,
                     "seed": settings.seed, "sweep_elements": settings.sweep_elements},
        "by_flips": rows,
        "sensitivity": sensitivity(prop, compiled.image, y, settings, rng) if settings.sweep_elements else None,
        "selftest": {"trials_with_constant_faults": with_faults,
                     "detection_rate": round(sum(detected) / with_faults, 6) if with_faults else None},
        "c_check": c_check(compiled, prop, drawn, c_trials, chunk),
        "protection": protection_costs(compiled, chunk) if costs else None,
    }


def summary_of(faults: dict[str, Any]) -> dict[str, Any]:
    """The summary.json entries: accuracy at 1 and 10 flips (None when not run) and self-test detection."""
    acc = {r["flips"]: r["accuracy_mean"] for r in faults["by_flips"]}
    return {"faults": {"accuracy_at_1_flip": acc.get(1), "accuracy_at_10_flips": acc.get(10),
                       "selftest_detection_rate": faults["selftest"]["detection_rate"]}}


def write_faults(run: RunDir, settings: Settings, mode: str = MODE, samples: int = SAMPLES,
                 c_trials: int = C_TRIALS, costs: bool = True, chunk: int = SCRUB_CHUNK_BYTES) -> dict[str, Any]:
    """RUN/faults.json and the summary entries from RUN/c/<mode> and RUN/spectra.npz."""
    c_dir = run.require(str(Path("c") / mode), "compile")
    spectra = load_spectra(run.require("spectra.npz", "data"))
    faults = run_faults(c_dir, spectra, settings, samples, c_trials, costs, chunk)
    atomic_write_json(run.path(FAULTS), faults)
    run.update_summary(summary_of(faults))
    return faults


def faults_stage(run: RunDir, config: Config) -> None:
    """Pipeline stage: faults.json with the [faults] settings of the configuration."""
    f = config.faults
    settings = Settings(flips=tuple(f.flips), trials=f.trials, where=f.where, seed=f.seed,
                        sweep_elements=f.sweep_elements)
    write_faults(run, settings, f.mode, f.samples, f.c_trials, chunk=f.scrub_chunk_bytes)
