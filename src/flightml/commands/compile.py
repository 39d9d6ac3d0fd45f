"""`flightml compile MODEL_INT8.onnx|MODEL.tflite --out DIR [--name NAME] [--requant MODE]`.

DIR receives the whole package (C, integrity self-test, Makefile, CMake, board files). It must be new,
empty, or a package flightml wrote before (it holds .flightml-output); it is replaced only once the new
package is complete.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from flightml.artifacts import atomic_output_dir, check_output_dir, read_json
from flightml.compiler import compile_model
from flightml.compiler.limits import DEFAULT_MAX_ELEMENTS
from flightml.compiler.qparams import MODES
from flightml.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compile", help="compile a quantized ONNX or TFLite model to integer-only C99")
    parser.add_argument("model", type=Path, help="int8 ONNX model (QDQ or QOperator) or int8 .tflite")
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="output folder: new, empty, or a package flightml wrote (replaced whole)",
    )
    parser.add_argument("--name", default="model", help="C identifier prefix of the API (NAME_invoke, ...)")
    parser.add_argument(
        "--requant",
        choices=MODES,
        default="fixedpoint",
        help="fixedpoint: integer multiplier+shift; ort-exact: float32, bit-exact with ONNX Runtime; "
        "ort-int: the same with integers; tflm: TFLite's multiplier and double rounding (= TFLite Micro)",
    )
    parser.add_argument(
        "--max-elements",
        type=int,
        default=DEFAULT_MAX_ELEMENTS,
        help=f"largest tensor accepted, in elements (default {DEFAULT_MAX_ELEMENTS})",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from flightml.mcu.package import add_board_files

    command = f"flightml compile {shlex.quote(args.model.name)} --name {args.name} --requant {args.requant}"
    check_output_dir(args.out, (args.model,))
    _refuse_inside_run(args.out)
    with atomic_output_dir(args.out) as tmp:
        graph = compile_model(args.model, tmp, args.name, args.requant, command, args.max_elements)
        add_board_files(tmp, args.name)
    for note in graph.notes:
        print(f"info: {note}", file=sys.stderr)
    plan = read_json(args.out / "plan.json", "memory plan")
    macs = sum(layer["macs"] for layer in plan["layers"])
    print(
        f"{args.out}: {len(graph.layers)} layers, {macs} MACs, arena {plan['arena_bytes']} B "
        f"(kernel scratch up to {plan['scratch_bytes']} B), "
        f"weights {plan['weight_bytes']} B ({args.requant})"
    )
    return 0


def _refuse_inside_run(out: Path) -> None:
    """A package inside a run folder belongs to the run's manifest: only `flightml run` replaces it."""
    for folder in out.resolve().parents:
        if (folder / "manifest.json").is_file():
            raise InputError(f"{out}: is inside the flightml run {folder}; choose a folder outside it")
