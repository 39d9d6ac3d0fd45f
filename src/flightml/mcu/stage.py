"""The verify stage for Cortex-M targets: RUN/c/fixedpoint + RUN/spectra.npz -> RUN/verify_mcu.json.

Inputs are the first `verify.mcu_samples` test spectra (all with `full` or mcu_samples = 0),
quantized with the model's input scale and zero point; the expected outputs come from the host
build of the same C (CompiledModel). The summary gains mcu.<target> medians and footprint.
"""

from __future__ import annotations

from typing import Any

from flightml.artifacts import RunDir, atomic_write_json
from flightml.config import Config
from flightml.mcu.verify import mcu_targets, verify_mcu_targets

VERIFY_MCU = "verify_mcu.json"
SUMMARY_KEYS = (
    "bitexact",
    "clock_mhz",
    "flash_bytes",
    "ram_bytes",
    "weight_bytes",
    "code_bytes",
    "stack_bytes",
    "wcet_us",
)


def _c_dir(run: RunDir, config: Config) -> str:
    modes = ["fixedpoint", *config.compile.modes]
    for mode in modes:
        if run.path("c", mode, "model.h").is_file():
            return f"c/{mode}"
    return "c/fixedpoint"


def summary_entry(result: dict[str, Any], macs: int) -> dict[str, Any]:
    """The summary.json entry of one target: medians, footprint, clock and MACs per inference."""
    entry = {key: result.get(key) for key in SUMMARY_KEYS}
    entry["instructions"] = (result.get("instructions") or {}).get("median")
    entry["cycles_est"] = (result.get("cycles_est") or {}).get("median")
    entry["macs"] = macs
    return entry


def verify_mcu_stage(run: RunDir, config: Config, *, targets: list[str] | None = None, full: bool = False) -> None:
    """Verify the run's compiled C on the MCU targets of `targets` (default: config.verify.targets)."""
    from flightml.data import load_spectra
    from flightml.verify.compiled import CompiledModel

    settings = config.verify
    names = mcu_targets(list(settings.targets) if targets is None else targets)
    c_dir = run.require(_c_dir(run, config), "compile")
    spectra = load_spectra(run.require("spectra.npz", "data"))
    n = len(spectra.x_test) if full or settings.mcu_samples == 0 else min(settings.mcu_samples, len(spectra.x_test))
    model = CompiledModel(c_dir)
    x = model.quantize(spectra.x_test[:n])
    result = verify_mcu_targets(
        c_dir,
        x,
        model.invoke_int8(x),
        names,
        timeout_s=settings.timeout_s,
        clock_mhz=settings.clock_mhz,
        flash_wait_states=settings.flash_wait_states,
        wcet_margin=settings.wcet_margin,
    )
    atomic_write_json(run.path(VERIFY_MCU), result)
    macs = sum(layer["macs"] for layer in next(iter(result["targets"].values()), {}).get("per_layer") or [])
    run.update_summary({"mcu": {name: summary_entry(r, macs) for name, r in result["targets"].items()}})
