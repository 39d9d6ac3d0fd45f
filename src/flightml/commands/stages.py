"""Single-stage subcommands on an existing run: `flightml train|export|quantize|evaluate|report RUN`."""

from __future__ import annotations

import argparse
from pathlib import Path

from flightml.config import load_config
from flightml.quantize.cli import add_quant_arguments, quant_overrides, with_quant_overrides

STAGE_HELP = {
    "train": "train the model on RUN/spectra.npz -> model.pt",
    "export": "export RUN/model.pt to ONNX -> model_fp32.onnx",
    "quantize": "quantize RUN/model_fp32.onnx with ONNX Runtime -> model_int8.onnx",
    "evaluate": "sizes, accuracy and ORT latency of the fp32 and int8 models -> evaluation.json",
    "report": "render RUN/report.html and report.md from the artifacts",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    for name, text in STAGE_HELP.items():
        parser = subparsers.add_parser(name, help=text)
        parser.add_argument("run", type=Path, metavar="RUN", help="run directory")
        parser.add_argument("--config", type=Path, help="configuration (default: the one recorded in RUN)")
        if name == "quantize":
            add_quant_arguments(parser)
        parser.set_defaults(handler=handle, stage=name)


def handle(args: argparse.Namespace) -> int:
    from flightml.pipeline import get_stage, open_run

    config = load_config(args.config) if args.config else None
    run = open_run(args.run, config)
    run.config = with_quant_overrides(run.config, quant_overrides(args))
    run.run_stage(get_stage(args.stage))
    print(f"{args.stage}: done ({run.root})")
    return 0
