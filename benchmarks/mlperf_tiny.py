"""The four MLPerf Tiny reference models through flightml, from .tflite and from the tf2onnx ONNX, beside
the published MLPerf Tiny results, in one table.

For each model and route: compile (requant mode `tflm`, TFLite's rounding, or `--mode`), bit-exactness of
the C against TFLite Micro's interpreter (reference kernels) on the host and, in tflm mode, on each
emulated core (in other modes each core is compared with the host C, and the host C with TFLite Micro in
LSB), on N inputs (all -128, all 127, then uniform random; seed 0), instructions per inference (QEMU plugin,
median) and per MAC, flash, RAM (arena + I/O buffers) and stack; TFLite Micro's arena (its
RecordingMicroAllocator after one invoke: head = planned activations and scratch, total = with the
persistent tail). Then the published latencies (PROVENANCE.md of the models directory) converted to
cycles at the board's clock. flightml's cycles are estimated (each core file's timing table, clock and
flash wait states, typical case with the flash accelerator), not measured.

Usage: .venv/bin/python benchmarks/mlperf_tiny.py [--models DIR] [--samples N] [--targets LIST] [--mode MODE]
Default DIR: ../shared/models/mlperf-tiny beside the repository (the unedited reference models).
Goals (issue 15): bitexact_vs_tflm 1.0 on the host and cortex-m4; flightml arena <= TFLM's arena.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from flightml.commands.verify import generate_inputs
from flightml.compiler import compile_model, is_tflite, load_graph
from flightml.config import VerifyConfig
from flightml.errors import InputError
from flightml.mcu.verify import verify_mcu_targets
from flightml.verify.compiled import CompiledModel
from flightml.verify.ort_runner import ort_int8
from flightml.verify.tflm import tflm_arena, tflm_int8

MODELS = {
    "KWS": "kws_ref_model",
    "VWW": "vww_96_int8",
    "IC": "pretrainedResnet_quant",
    "AD": "ad01_int8",
}
ROW = re.compile(
    r"^\| (?P<board>[^|]+)\((?P<core>Cortex-M\d+), (?P<mhz>\d+) MHz\) \| (?P<sw>[^|]+)\|(?P<ms>(?:[^|]+\|){4})"
)


def published(provenance: Path) -> list[dict[str, Any]]:
    """The published results table of PROVENANCE.md: board, core, clock, software, ms per model."""
    rows = []
    for line in provenance.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            ms = [float(v) for v in m["ms"].strip(" |").split("|")]
            core, mhz = m["core"].lower(), float(m["mhz"])
            rows.append(
                {
                    "board": m["board"].strip(),
                    "core": core,
                    "mhz": mhz,
                    "software": m["sw"].strip(),
                    "ms": dict(zip(MODELS, ms, strict=True)),
                }
            )
    return rows


def run_route(model: Path, tflite: Path, out: Path, n: int, targets: list[str], mode: str) -> dict[str, Any]:
    """Compile one model file in requant `mode` and measure it against TFLite Micro (the .tflite's
    interpreter; the cores against it in tflm mode, against the host C otherwise)."""
    try:
        compile_model(model, out, "model", mode, command=f"benchmarks/mlperf_tiny.py: {model.name}")
    except InputError as exc:
        return {"error": str(exc).splitlines()[0]}
    cm = CompiledModel(out)
    x = generate_inputs(cm.input_shape, n)
    y_tflm = tflm_int8(tflite, x).reshape(n, -1)
    y_c = cm.invoke_int8(x).reshape(n, -1)
    report = verify_mcu_targets(
        out,
        x,
        y_tflm if mode == "tflm" else y_c,
        targets,
        timeout_s=3600.0,
        clock_mhz=None,  # each core file's part: clock and flash wait states
        flash_wait_states=None,
        wcet_margin=VerifyConfig().wcet_margin,
    )
    agree = ""
    if not is_tflite(model):  # ONNX Runtime (exact oracle session) on the tf2onnx model
        y_ort = ort_int8(model, load_graph(model, mode), x).reshape(n, -1)
        diff = np.abs(y_ort.astype(int) - y_c)
        agree = f"; C = ORT {np.mean(np.all(diff == 0, axis=1)):.2f} (max {diff.max()} LSB)"
    return {
        "ort": agree,
        "host_bitexact": float(np.mean(np.all(y_c == y_tflm, axis=1))),
        "host_max_lsb": int(np.abs(y_c.astype(int) - y_tflm).max()),
        "arena": cm.arena_bytes,
        "targets": report["targets"],
    }


def published_cell(pub: list[dict[str, Any]], core: str, key: str) -> str:
    """Published latencies of `key` on boards with `core`: software, ms and cycles at the board's clock."""
    cells = []
    for p in pub:
        if p["core"] == core:
            ms = p["ms"][key]
            cells.append(f"{p['software'].split(' (')[0]} {ms} ms = {ms * p['mhz'] / 1e3:.2f} M @{p['mhz']:.0f} MHz")
    return "; ".join(cells) or "none published"


def target_row(key: str, route: str, r: dict[str, Any], arena: dict[str, int], core: str, t: dict, pub) -> str:
    """One table row: a model, a route and one core."""
    macs = sum(layer["macs"] for layer in t.get("per_layer") or [])
    instr = t["instructions"]["median"] if t.get("instructions") else 0
    cycles = t["cycles_typical"]["median"] if t.get("cycles_typical") else 0
    exact = t.get("bitexact") if t["status"] == "ok" else f"{t['status']}: {t['reason']}"
    return (
        f"| {key} | {route} | {macs:,} | {r['host_bitexact']:.2f} (max {r['host_max_lsb']} LSB{r['ort']}) "
        f"| {r['arena']:,} ({arena['head']:,} / {arena['total']:,}) | {core} | {exact} | {instr / 1e6:.2f} M "
        f"| {cycles / 1e6:.2f} M @{t.get('clock_mhz', 0):g} MHz, {t.get('flash_wait_states', '?')} WS "
        f"| {instr / macs if macs else 0:.2f} | {t.get('flash_bytes', 0):,} | {t.get('ram_bytes', 0):,} "
        f"| {t.get('stack_bytes', 0):,} | {published_cell(pub, core, key)} |"
    )


HEADER = [
    "| model | route | MACs | host: bitexact_vs_tflm (ONNX route: and vs ONNX Runtime) "
    "| arena B: flightml (TFLM head / total) | core | bit-exact (tflm: vs TFLM; else vs host C) "
    "| instructions | cycles (estimated, typical; the core file's part) | per MAC | flash B | RAM B | stack B "
    "| published: software, ms = M cycles |",
    "|" + "---|" * 14,
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = Path(__file__).resolve().parents[1]
    parser.add_argument("--models", type=Path, default=here.parent / "shared" / "models" / "mlperf-tiny")
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--targets", default="cortex-m4,cortex-m33,cortex-m7")
    parser.add_argument("--mode", default="tflm", help="requant mode (default tflm: bit-exact with TFLite Micro)")
    args = parser.parse_args()
    targets = args.targets.split(",")
    pub = published(args.models / "PROVENANCE.md")
    lines = [
        f"samples per model: {args.samples} (all -128, all 127, random, seed 0); requant mode {args.mode}; "
        "instructions counted under QEMU; flightml cycles estimated by the core's timing model, not measured",
        "",
        *HEADER,
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for key, stem in MODELS.items():
            tflite = args.models / f"{stem}.tflite"
            arena = tflm_arena(tflite)
            for route, path in (("tflite", tflite), ("onnx", args.models / f"{stem}_tf2onnx.onnx")):
                r = run_route(path, tflite, Path(tmp) / f"{stem}_{route}", args.samples, targets, args.mode)
                if "error" in r:
                    lines.append(f"| {key} | {route} | | not compiled: {r['error']} |" + " |" * 10)
                else:
                    lines += [target_row(key, route, r, arena, c, t, pub) for c, t in r["targets"].items()]
                print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
