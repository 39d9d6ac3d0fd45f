"""`flightml run`: every stage, reference study by default, ending with a summary table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flightml.commands.data import add_data_source_args, data_overrides
from flightml.config import load_config
from flightml.quantize.cli import add_quant_arguments, quant_overrides, with_quant_overrides

SUMMARY_ROWS = (
    ("params", "parameters", "{}"),
    ("fp32_onnx_bytes", "fp32 ONNX bytes", "{}"),
    ("int8_onnx_bytes", "int8 ONNX bytes", "{}"),
    ("int8_weight_bytes", "int8 weight bytes", "{}"),
    ("fp32_accuracy", "fp32 accuracy", "{:.4f}"),
    ("int8_accuracy", "int8 accuracy (exact integer semantics)", "{:.4f}"),
    ("ort_int8_accuracy", "int8 accuracy, default ORT session on this host", "{:.4f}"),
    ("ort_saturating_host_int8_accuracy", "int8 accuracy, default ORT on AVX2 without VNNI", "{:.4f}"),
    ("ort_fp32_latency_us", "ORT fp32 latency (us, median)", "{:.1f}"),
    ("ort_int8_latency_us", "ORT int8 latency (us, median)", "{:.1f}"),
    ("c.fixedpoint.bitexact_vs_reference", "C fixedpoint == reference", "{:.4f}"),
    ("c.ort-exact.bitexact_vs_ort", "C ort-exact == ONNX Runtime", "{:.4f}"),
    ("c.fixedpoint.arena_bytes", "arena bytes", "{}"),
    ("mcu.cortex-m4.bitexact", "cortex-m4 == host", "{:.4f}"),
    ("mcu.cortex-m4.flash_bytes", "cortex-m4 model flash bytes", "{}"),
    ("mcu.cortex-m4.ram_bytes", "cortex-m4 model RAM bytes", "{}"),
    ("mcu.cortex-m4.instructions", "cortex-m4 instructions/inference", "{}"),
    ("mcu.cortex-m4.wcet_us", "cortex-m4 WCET (us, estimated)", "{:.1f}"),
    ("energy_uj_per_inference", "energy per inference (uJ, estimated)", "{:.2f}"),
    ("faults.accuracy_at_10_flips", "accuracy at 10 bit flips", "{:.4f}"),
    ("faults.selftest_detection_rate", "self-test detection rate", "{:.4f}"),
    ("verdict", "verdict", "{}"),
)


def lookup(summary: dict, dotted: str) -> object | None:
    """summary["a"]["b"] for "a.b", or None when any level is missing."""
    value: object = summary
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run every stage and write the flight-readiness report")
    parser.add_argument("--out", type=Path, help="run directory (default: runs/<timestamp>, linked as runs/latest)")
    parser.add_argument("--config", type=Path, help="TOML configuration (default: the reference study)")
    parser.add_argument("--resume", action="store_true", help="reuse --out, skipping stages whose inputs are unchanged")
    parser.add_argument("--mission", type=Path, help="mission TOML for the budget (default: the built-in example)")
    add_data_source_args(parser)
    add_quant_arguments(parser)
    parser.set_defaults(handler=handle)


def print_summary(summary: dict) -> None:
    width = max(len(label) for _, label, _ in SUMMARY_ROWS)
    for key, label, fmt in SUMMARY_ROWS:
        value = lookup(summary, key)
        if value is not None:
            print(f"  {label:<{width}}  {fmt.format(value)}")


def handle(args: argparse.Namespace) -> int:
    from flightml.pipeline import run_pipeline
    from flightml.quantize.saturation import warning_line

    overrides = data_overrides(args)
    if args.mission:
        overrides["mission.file"] = str(args.mission)
    config = with_quant_overrides(load_config(args.config, overrides), quant_overrides(args))

    def on_stage(name: str, status: str, seconds: float) -> None:
        print(f"[{name:>14}] {status} in {seconds:.1f} s", file=sys.stderr, flush=True)

    run = run_pipeline(config, args.out, resume=args.resume, on_stage=on_stage)
    print(f"run: {run.root}")
    print_summary(run.summary)
    print(f"report: {run.report_path}")
    warning = warning_line(run.summary)
    if warning:
        print(warning)
    return 0
