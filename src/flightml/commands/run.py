"""`flightml run`: every stage, reference study by default, ending with a summary table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flightml.config import load_config
from flightml.quantize.cli import add_quant_arguments, quant_overrides, with_quant_overrides

SUMMARY_ROWS = (
    ("params", "parameters", "{}"),
    ("fp32_onnx_bytes", "fp32 ONNX bytes", "{}"),
    ("int8_onnx_bytes", "int8 ONNX bytes", "{}"),
    ("int8_weight_bytes", "int8 weight bytes", "{}"),
    ("fp32_accuracy", "fp32 accuracy", "{:.4f}"),
    ("int8_accuracy", "int8 accuracy", "{:.4f}"),
    ("ort_fp32_latency_us", "ORT fp32 latency (us, median)", "{:.1f}"),
    ("ort_int8_latency_us", "ORT int8 latency (us, median)", "{:.1f}"),
    ("verdict", "verdict", "{}"),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run every stage and write the flight-readiness report")
    parser.add_argument("--out", type=Path, help="run directory (default: runs/<timestamp>, linked as runs/latest)")
    parser.add_argument("--config", type=Path, help="TOML configuration (default: the reference study)")
    parser.add_argument("--resume", action="store_true", help="reuse --out, skipping stages whose inputs are unchanged")
    add_quant_arguments(parser)
    parser.set_defaults(handler=handle)


def print_summary(summary: dict) -> None:
    width = max(len(label) for _, label, _ in SUMMARY_ROWS)
    for key, label, fmt in SUMMARY_ROWS:
        if key in summary:
            print(f"  {label:<{width}}  {fmt.format(summary[key])}")


def handle(args: argparse.Namespace) -> int:
    from flightml.pipeline import run_pipeline

    config = with_quant_overrides(load_config(args.config), quant_overrides(args))

    def on_stage(name: str, status: str, seconds: float) -> None:
        print(f"[{name:>9}] {status} in {seconds:.1f} s", file=sys.stderr, flush=True)

    run = run_pipeline(config, args.out, resume=args.resume, on_stage=on_stage)
    print(f"run: {run.root}")
    print_summary(run.summary)
    print(f"report: {run.report_path}")
    return 0
