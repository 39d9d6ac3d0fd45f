"""`flightml verify RUN [--target ...] [--full]` and `flightml verify DIR --inputs FILE.npy`.

RUN: a run directory (host: verify_host_stage -> RUN/verify_host.json; Cortex-M targets:
flightml.mcu.stage.verify_mcu_stage -> RUN/verify_mcu.json). DIR: a compiled C directory checked on
the inputs of FILE.npy (float32 [N, ...] spectra, or int8 already quantized; Cortex-M targets through
flightml.mcu.verify.verify_mcu_targets); prints the metrics as JSON, writes nothing into DIR.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from flightml.artifacts import read_json, to_json
from flightml.compiler import is_tflite
from flightml.compiler.emit import source_model
from flightml.errors import InputError, ToolMissing
from flightml.mcu.targets import TARGETS as CORES

TARGETS = ("host", *CORES)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("verify", help="run the generated C and compare it with the reference and ORT")
    parser.add_argument("path", type=Path, help="run directory, or compiled C directory (with --inputs)")
    parser.add_argument(
        "--inputs",
        type=Path,
        metavar="FILE.npy",
        help="inputs for a compiled C directory: float32, or int8 already quantized, in the model's input layout",
    )
    parser.add_argument(
        "--generate",
        type=int,
        metavar="N",
        help="instead of --inputs: N >= 2 int8 inputs, all -128, all 127, then uniform random (seed 0)",
    )
    parser.add_argument("--table", action="store_true", help="also print the per-layer instructions on each core")
    parser.add_argument("--labels", type=Path, metavar="FILE.npy", help="optional int labels for accuracy")
    parser.add_argument(
        "--target",
        action="append",
        choices=(*TARGETS, "all"),
        help="target(s) to verify on (repeatable; default: the run's config, or host)",
    )
    parser.add_argument("--full", action="store_true", help="every test sample on the MCU targets (not a subset)")
    parser.add_argument("--clock-mhz", type=float, help="core clock for the WCET (default: [verify] or the core's)")
    parser.add_argument("--flash-wait-states", type=int, help="flash wait states (default: [verify] or the core's)")
    parser.set_defaults(handler=handle)


def _load_npy(path: Path, what: str) -> np.ndarray:
    if not path.is_file():
        raise InputError(f"{path}: {what} file not found")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise InputError(f"{path}: not a valid .npy array ({exc})") from None


def _check_inputs(args: argparse.Namespace, x: np.ndarray, labels: np.ndarray | None) -> None:
    """Inputs: a non-empty numeric array, finite when float; labels: integers, one per input."""
    if x.ndim < 1 or not len(x) or x.dtype.kind not in "fiu":
        raise InputError(f"{args.inputs}: expected a non-empty numeric array [N, ...], got {x.dtype} {x.shape}")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        row = int(np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))[0])
        raise InputError(f"{args.inputs}: input {row} holds NaN or infinity")
    if labels is not None and (labels.dtype.kind not in "iu" or labels.shape != (len(x),)):
        raise InputError(
            f"{args.labels}: expected {len(x)} integer labels (one per input), got {labels.dtype} {labels.shape}"
        )


def _targets(args: argparse.Namespace, default: list[str]) -> list[str]:
    chosen = args.target or default
    return list(TARGETS) if "all" in chosen else list(dict.fromkeys(chosen))


def _mcu_module(targets: list[str]) -> None:
    """The MCU engineer's seam: Cortex-M targets need flightml.mcu (else a ToolMissing error)."""
    if importlib.util.find_spec("flightml.mcu.verify") is None:
        raise ToolMissing(f"targets {', '.join(targets)}: flightml.mcu is not installed; only host can be verified")


def generate_inputs(shape: tuple[int, ...], n: int) -> np.ndarray:
    """n >= 2 int8 inputs of `shape`: all -128, all 127, then uniform random ones (seed 0)."""
    if n < 2:
        raise InputError(f"--generate: expected N >= 2, got {n}")
    rng = np.random.default_rng(0)
    extremes = np.stack([np.full(shape, -128, np.int8), np.full(shape, 127, np.int8)])
    return np.concatenate([extremes, rng.integers(-128, 128, (n - 2, *shape)).astype(np.int8)])


def layer_table(report: dict) -> str:
    """Markdown table: one row per layer, its kernel and MACs, and its instructions on each core."""
    cores = {t: r["per_layer"] for t, r in report["targets"].items() if r.get("per_layer")}
    if not cores:
        return "no per-layer instruction counts (no MCU target ran)\n"
    first = next(iter(cores.values()))
    lines = [f"| layer | kernel | MACs | {' | '.join(cores)} |", "|---|---|---|" + "---|" * len(cores)]
    for i, row in enumerate(first):
        counts = " | ".join(f"{layers[i]['instructions']:,}" for layers in cores.values())
        lines.append(f"| {row['layer']} | {row['kernel']} | {row['macs']:,} | {counts} |")
    return "\n".join(lines) + "\n"


def _overrides(settings: Any, args: argparse.Namespace) -> Any:
    """[verify] settings with --clock-mhz / --flash-wait-states applied (checked like the config)."""
    if args.clock_mhz is not None and not 0 < args.clock_mhz < 1e5:
        raise InputError(f"--clock-mhz: expected a clock in MHz > 0, got {args.clock_mhz:g}")
    if args.flash_wait_states is not None and not 0 <= args.flash_wait_states <= 15:
        raise InputError(f"--flash-wait-states: expected 0 to 15, got {args.flash_wait_states}")
    clock = settings.clock_mhz if args.clock_mhz is None else args.clock_mhz
    ws = settings.flash_wait_states if args.flash_wait_states is None else args.flash_wait_states
    return dataclasses.replace(settings, clock_mhz=clock, flash_wait_states=ws)


def _mcu(c_dir: Path, x: np.ndarray, targets: list[str], args: argparse.Namespace) -> int:
    """Cortex-M targets of a compiled directory (verify settings: the [verify] defaults), compared with
    TFLite Micro (.tflite sources compiled in `tflm`, the mode that follows it) or with the host C (every
    other package); 0 when every target is ok or skipped."""
    _mcu_module(targets)
    from flightml.config import VerifyConfig
    from flightml.mcu.verify import verify_mcu_targets
    from flightml.verify.compiled import CompiledModel

    settings = _overrides(VerifyConfig(), args)
    model = CompiledModel(c_dir)
    x_int8 = x if x.dtype == np.int8 else model.quantize(x)
    if not args.full and settings.mcu_samples:
        x_int8 = x_int8[: settings.mcu_samples]
    if is_tflite(source_model(c_dir)) and model.mode == "tflm":
        from flightml.verify.tflm import tflm_int8

        expected = tflm_int8(source_model(c_dir), x_int8)
    else:
        expected = model.invoke_int8(x_int8)
    report = verify_mcu_targets(
        c_dir,
        x_int8,
        expected.reshape(len(x_int8), -1),
        targets,
        timeout_s=settings.timeout_s,
        clock_mhz=settings.clock_mhz,
        flash_wait_states=settings.flash_wait_states,
        wcet_margin=settings.wcet_margin,
    )
    print(to_json(report), end="")
    if args.table:
        print(layer_table(report), end="")
    return 0 if all(r["status"] in ("ok", "skipped") for r in report["targets"].values()) else 1


def handle(args: argparse.Namespace) -> int:
    if (args.path / "model.h").is_file():
        return _verify_dir(args)
    return _verify_run(args)


def _verify_dir(args: argparse.Namespace) -> int:
    from flightml.verify.host import verify_dir

    if (args.inputs is None) == (args.generate is None):
        raise InputError(f"{args.path}: a compiled C directory needs --inputs FILE.npy or --generate N (one)")
    if args.inputs is not None:
        x = _load_npy(args.inputs, "inputs")
    else:
        ir = read_json(args.path / "ir.json", "compiled model IR (ir.json)")
        x = generate_inputs(tuple(ir["tensors"][ir["input"]]["shape"][1:]), args.generate)
    labels = _load_npy(args.labels, "labels") if args.labels else None
    _check_inputs(args, x, labels)
    result = verify_dir(args.path, x, labels)
    print(to_json(result), end="")
    mcu = [t for t in _targets(args, ["host"]) if t != "host"]
    code = 0 if result["bitexact_vs_reference"] == 1.0 else 1
    if mcu:
        code = max(code, _mcu(args.path, x, mcu, args))
    return code


def _verify_run(args: argparse.Namespace) -> int:
    from flightml.pipeline import get_stage, open_run

    run = open_run(args.path)
    targets = _targets(args, list(run.config.verify.targets))
    code = 0
    if "host" in targets:
        run.run_stage(get_stage("verify_host"))
        report = read_json(run.dir.path("verify_host.json"), "host verification")
        print(to_json(report), end="")
        code = 0 if all(r["bitexact_vs_reference"] == 1.0 for r in report["modes"].values()) else 1
    mcu = [t for t in targets if t != "host"]
    if mcu:
        _mcu_module(mcu)
        from flightml.mcu.stage import VERIFY_MCU, verify_mcu_stage

        run.config = dataclasses.replace(run.config, verify=_overrides(run.config.verify, args))
        stage = get_stage("verify_mcu")
        run.run_stage(stage, function=lambda d, c: verify_mcu_stage(d, c, targets=mcu, full=args.full))
        report = read_json(run.dir.path(VERIFY_MCU), "MCU verification")
        print(to_json(report), end="")
        code = max(code, 0 if all(r["status"] in ("ok", "skipped") for r in report["targets"].values()) else 1)
    return code
