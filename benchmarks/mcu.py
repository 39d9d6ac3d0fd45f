"""Instructions per inference on every Cortex-M target, portable vs DSP kernels, side by side.

Usage: .venv/bin/python benchmarks/mcu.py [--c-dir DIR] [--samples N]
DIR is a compiled C package (default: the reference network, trained 2 epochs, per-tensor int8,
compiled fixedpoint in a temporary run). Counts are exact (QEMU plugin), medians over N samples.
Goal (issue 4): at most 2.0 instructions per MAC with the DSP kernels on cortex-m4.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from flightml.artifacts import RunDir
from flightml.config import load_config
from flightml.mcu.targets import TARGETS
from flightml.mcu.verify import verify_mcu_targets
from flightml.pipeline import get_stage

GOAL = 2.0


def reference_package(root: Path) -> Path:
    """The reference network through the data, train, export, quantize and compile stages."""
    config = load_config(None, {"train.epochs": 2, "quant.per_channel": False, "compile.modes": ["fixedpoint"]})
    run = RunDir(root)
    for stage in ("data", "train", "export", "quantize", "compile"):
        get_stage(stage).function()(run, config)
    return run.path("c", "fixedpoint")


def measure(c_dir: Path, samples: int) -> list[list[str]]:
    from flightml.verify.compiled import CompiledModel

    model = CompiledModel(c_dir)
    x = np.random.default_rng(0).integers(-128, 128, (samples, *model.input_shape)).astype(np.int8)
    expected = model.invoke_int8(x)
    settings = {"timeout_s": 120.0, "clock_mhz": None, "flash_wait_states": 0, "wcet_margin": 1.0}
    runs = {
        k: verify_mcu_targets(c_dir, x, expected, ["all"], kernels=k, **settings)["targets"]
        for k in ("portable", "auto")
    }
    rows = []
    for name, target in TARGETS.items():
        port, dsp = runs["portable"][name], runs["auto"][name] if "dsp" in target.kernel_sets else None
        macs = sum(layer["macs"] for layer in port["per_layer"]) or 1
        row = [name, f"{port['instructions']['median']:,}", f"{port['instructions']['median'] / macs:.2f}"]
        if dsp and dsp["kernels"] == "dsp" and dsp["instructions"]:
            ratio = port["instructions"]["median"] / dsp["instructions"]["median"]
            median = dsp["instructions"]["median"]
            row += [f"{median:,}", f"{median / macs:.2f}", f"{ratio:.2f}x"]
        else:
            row += ["-", "-", "-"]
        row.append("yes" if port["bitexact"] == 1.0 and (dsp is None or dsp["bitexact"] == 1.0) else "NO")
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--c-dir", type=Path, help="compiled C package (default: the reference network)")
    parser.add_argument("--samples", type=int, default=20, help="samples per target (default 20)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        c_dir = args.c_dir or reference_package(Path(tmp) / "run")
        rows = measure(c_dir, args.samples)
    head = ["target", "portable instr", "/MAC", "DSP instr", "/MAC", "DSP speed-up", "bit-exact"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    m4 = next(r for r in rows if r[0] == "cortex-m4")
    met = m4[4] != "-" and float(m4[4]) <= GOAL
    print(f"cortex-m4 DSP instructions per MAC: {m4[4]} (goal <= {GOAL}: {'met' if met else 'MISSED'})")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
