"""`flightml verify RUN [--target ...] [--full]` and `flightml verify DIR --inputs FILE.npy`.

RUN: a run directory (host: the verify_host stage; Cortex-M targets: flightml.mcu.verify when
installed). DIR: a compiled C directory checked on the inputs of FILE.npy (float32 [N, ...] spectra,
or int8 already quantized); prints the metrics as JSON and writes DIR/../verify_host.json only for runs.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import numpy as np

from flightml.artifacts import to_json
from flightml.errors import InputError, ToolMissing

TARGETS = ("host", "cortex-m0", "cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m4f", "cortex-m7", "cortex-m33")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("verify", help="run the generated C and compare it with the reference and ORT")
    parser.add_argument("path", type=Path, help="run directory, or compiled C directory (with --inputs)")
    parser.add_argument("--inputs", type=Path, metavar="FILE.npy", help="inputs for a compiled C directory")
    parser.add_argument("--labels", type=Path, metavar="FILE.npy", help="optional int labels for accuracy")
    parser.add_argument(
        "--target",
        action="append",
        choices=(*TARGETS, "all"),
        help="target(s) to verify on (repeatable; default: the run's config, or host)",
    )
    parser.add_argument("--full", action="store_true", help="every test sample on the MCU targets (not a subset)")
    parser.set_defaults(handler=handle)


def _load_npy(path: Path, what: str) -> np.ndarray:
    if not path.is_file():
        raise InputError(f"{path}: {what} file not found")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise InputError(f"{path}: not a valid .npy array ({exc})") from None


def _targets(args: argparse.Namespace, default: list[str]) -> list[str]:
    chosen = args.target or default
    return list(TARGETS) if "all" in chosen else list(dict.fromkeys(chosen))


def _mcu(c_dir: Path, x_int8: np.ndarray, host_out: np.ndarray, targets: list[str], **kwargs: object) -> object:
    """Dispatch Cortex-M targets to flightml.mcu.verify (the MCU engineer's seam)."""
    if importlib.util.find_spec("flightml.mcu.verify") is None:
        raise ToolMissing(f"targets {', '.join(targets)}: flightml.mcu.verify is not installed; verified host only")
    from flightml.mcu.verify import verify_mcu_targets

    return verify_mcu_targets(c_dir, x_int8, host_out, targets, **kwargs)


def handle(args: argparse.Namespace) -> int:
    if (args.path / "model.h").is_file():
        return _verify_dir(args)
    return _verify_run(args)


def _verify_dir(args: argparse.Namespace) -> int:
    from flightml.verify.compiled import CompiledModel
    from flightml.verify.host import verify_dir

    if args.inputs is None:
        raise InputError(f"{args.path}: a compiled C directory needs --inputs FILE.npy")
    x = _load_npy(args.inputs, "inputs")
    labels = _load_npy(args.labels, "labels") if args.labels else None
    result = verify_dir(args.path, x, labels)
    print(to_json(result), end="")
    mcu = [t for t in _targets(args, ["host"]) if t != "host"]
    if mcu:
        model = CompiledModel(args.path)
        x_int8 = x if x.dtype == np.int8 else model.quantize(x)
        _mcu(args.path, x_int8, model.invoke_int8(x_int8), mcu, full=args.full)
    return 0 if result["bitexact_vs_reference"] == 1.0 else 1


def _verify_run(args: argparse.Namespace) -> int:
    from flightml.artifacts import read_json
    from flightml.pipeline import open_run
    from flightml.verify.host import verify_host_stage

    run = open_run(args.path)
    targets = _targets(args, list(run.config.verify.targets))
    code = 0
    if "host" in targets:
        verify_host_stage(run.dir, run.config)
        report = read_json(run.dir.path("verify_host.json"), "host verification")
        print(to_json(report), end="")
        code = 0 if all(r["bitexact_vs_reference"] == 1.0 for r in report["modes"].values()) else 1
    mcu = [t for t in targets if t != "host"]
    if mcu:
        from flightml.data import load_spectra
        from flightml.verify.compiled import CompiledModel

        spectra = load_spectra(run.dir.require("spectra.npz", "data"))
        for mode in run.config.compile.modes:
            c_dir = run.dir.require(f"c/{mode}", "compile")
            model = CompiledModel(c_dir)
            x_int8 = model.quantize(spectra.x_test)
            _mcu(c_dir, x_int8, model.invoke_int8(x_int8), mcu, full=args.full, run=run.dir, config=run.config)
    return code
