"""Verify a compiled C package on emulated Cortex-M cores: bit-exactness against the host build,
instruction counts, estimated cycles and WCET, footprint and worst-case stack, per target.

`verify_mcu_targets` is what `flightml verify` calls for non-host targets; every target's result
has the same keys (RESULT_KEYS), measured values or None.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from flightml.errors import InputError
from flightml.mcu import counts, exit_codes, footprint, qemu, stack, timing
from flightml.mcu.build import Build, BuildError, LinkError, build_elf
from flightml.mcu.model_api import ModelApi, has_kernel_set, read_model_api
from flightml.mcu.targets import TARGETS, Target, get_target
from flightml.mcu.toolchain import ENABLE_HINT, missing_tools

RESULT_KEYS = (
    "status",
    "reason",
    "samples",
    "bitexact",
    "mismatches",
    "instructions",
    "per_layer",
    "clock_mhz",
    "flash_wait_states",
    "cycles_est",
    "cycles_typical",
    "cycles_by_class",
    "counts",
    "data_dependent_layers",
    "accelerator",
    "wcet_margin",
    "wcet_cycles",
    "wcet_us",
    "flash_bytes",
    "weight_bytes",
    "code_bytes",
    "const_bytes",
    "ram_bytes",
    "arena_bytes",
    "stack_bytes",
    "kernels",
)


def mcu_targets(requested: list[str]) -> list[str]:
    """The MCU targets among `requested` ('all' expands, 'host' is not one); InputError on unknown names."""
    names: list[str] = []
    for name in requested:
        expanded = list(TARGETS) if name == "all" else [] if name == "host" else [get_target(name).name]
        names += [n for n in expanded if n not in names]
    return names


def _empty(status: str, reason: str, settings: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = dict.fromkeys(RESULT_KEYS)
    result.update(status=status, reason=reason, samples=0, mismatches=[], per_layer=[], **settings)
    return result


def _stats(values: list[int]) -> dict[str, int]:
    return {"min": min(values), "median": int(statistics.median_low(values)), "max": max(values)}


def verify_mcu_targets(
    c_dir: Path,
    inputs_int8: np.ndarray,
    host_outputs: np.ndarray,
    targets: list[str],
    *,
    timeout_s: float,
    clock_mhz: float | None,
    flash_wait_states: int | None,
    wcet_margin: float,
    kernels: str = "auto",
) -> dict[str, Any]:
    """Run the package in `c_dir` on each MCU target of `targets` with `inputs_int8` [N, input size]
    and compare with `host_outputs` [N, output size]. Returns {"targets": {name: result}}. Clock and
    wait states None (or clock 0, wait states < 0) take each core file's defaults. Without the
    toolchain every target is "skipped" and one line on stderr says how to enable them."""
    names = mcu_targets(targets)
    settings = {n: _settings(get_target(n), clock_mhz, flash_wait_states, wcet_margin) for n in names}
    missing = missing_tools()
    if names and missing:
        reason = f"{', '.join(missing)} not found; {ENABLE_HINT}"
        print(f"flightml: skipped MCU targets {', '.join(names)}: {reason}", file=sys.stderr)
        return {"targets": {name: _empty("skipped", reason, settings[name]) for name in names}}
    api = read_model_api(Path(c_dir))
    x = np.asarray(inputs_int8)
    expected = np.asarray(host_outputs)
    if x.dtype != np.int8 or expected.dtype != np.int8 or len(x) != len(expected) or len(x) == 0:
        raise InputError(
            f"MCU verify: need int8 inputs and host outputs with the same number (>0) of samples, "
            f"got {x.dtype} {x.shape} and {expected.dtype} {expected.shape}"
        )
    x = np.ascontiguousarray(x.reshape(len(x), -1))
    expected = expected.reshape(len(expected), -1)
    if x.shape[1] != api.input_size or expected.shape[1] != api.output_size:
        raise InputError(
            f"MCU verify: samples must have {api.input_size} inputs and {api.output_size} outputs, "
            f"got {x.shape[1]} and {expected.shape[1]}"
        )
    jobs = [(get_target(name), _kernel_set(Path(c_dir), get_target(name), kernels)) for name in names]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = pool.map(
            lambda job: _verify_one(Path(c_dir), api, job[0], job[1], x, expected, timeout_s, settings[job[0].name]),
            jobs,
        )
        return {"targets": dict(zip(names, done, strict=True))}


def _settings(target: Target, clock_mhz: float | None, wait_states: int | None, margin: float) -> dict[str, Any]:
    """Clock and wait states given, else the core file's defaults."""
    clock = clock_mhz if clock_mhz else target.clock_mhz
    ws = wait_states if wait_states is not None and wait_states >= 0 else target.flash_wait_states
    return {"clock_mhz": clock, "flash_wait_states": ws, "wcet_margin": margin}


def _kernel_set(c_dir: Path, target: Target, request: str) -> str:
    """The kernel set to run: `request`, or for 'auto' the core's first set that the package has."""
    if request != "auto":
        chosen = target.kernels(request)
        if not has_kernel_set(c_dir, chosen):
            raise InputError(f"{c_dir}: no kernels/{chosen} set to verify with")
        return chosen
    present = [k for k in target.kernel_sets if has_kernel_set(c_dir, k)]
    if not present:
        raise InputError(f"{c_dir}: none of the kernel sets {', '.join(target.kernel_sets)} of {target.name}")
    return present[0]


def _verify_one(
    c_dir: Path,
    api: ModelApi,
    target: Target,
    kernels: str,
    x: np.ndarray,
    expected: np.ndarray,
    timeout_s: float,
    settings: dict[str, Any],
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"fm-{target.name}-") as tmp:
        try:
            build = build_elf(c_dir, api, target, kernels, api.weight_symbols, Path(tmp))
        except (BuildError, LinkError) as exc:
            result = _empty("link-error", str(exc), settings)
            result["kernels"] = kernels
            return result
        result = _empty("ok", "", settings)
        result["kernels"] = kernels
        notes = _measure_static(c_dir, api, build, result)
        _run(api, target, build, x, expected, timeout_s, settings, result)
        if notes:
            result["reason"] = "; ".join(filter(None, [result["reason"], *notes]))
        return result


def _measure_static(c_dir: Path, api: ModelApi, build: Build, result: dict[str, Any]) -> list[str]:
    """Footprint and stack into `result`; returns notes (failed #define checks, stack caveats)."""
    fp = footprint.measure(build.map_file, build.elf, build.model_objects, f"{api.name}_arena")
    result.update(
        flash_bytes=fp.flash_bytes,
        weight_bytes=fp.weight_bytes,
        code_bytes=fp.code_bytes,
        const_bytes=fp.const_bytes,
        ram_bytes=fp.ram_bytes,
        arena_bytes=fp.arena_bytes,
    )
    notes = check_defines(api, fp, footprint.symbol_sizes(build.elf))
    try:
        graph = stack.read_callgraph(sorted(build.elf.parent.glob("*.ci")))
        result["stack_bytes"], unknown = stack.worst_stack(graph, api.invoke)
        if unknown:
            notes.append(
                f"stack: {', '.join(unknown)} have no frame record (counted as {stack.LIBGCC_FRAME_BYTES} bytes each)"
            )
    except stack.StackError as exc:
        notes.append(f"stack: {exc}")
    return notes


def check_defines(api: ModelApi, fp: footprint.Footprint, sizes: dict[str, int]) -> list[str]:
    """Differences between the package's sizes (package.json, the values of model.h's NAME_ARENA_BYTES,
    NAME_CONST_BYTES and NAME_WEIGHT_BYTES) and the linked ELF (empty when they agree)."""
    problems = []
    arena = api.sizes.get("arena", 0)
    if arena > 0 and not arena <= fp.arena_bytes < arena + 4:
        problems.append(f"{api.name.upper()}_ARENA_BYTES={arena} but the linked arena is {fp.arena_bytes} bytes")
    for what, key, names in (
        ("CONST_BYTES", "const", api.const_symbols),
        ("WEIGHT_BYTES", "weights_and_biases", api.weight_symbols),
    ):
        declared, linked = api.sizes.get(key), sum(sizes.get(name, 0) for name in names)
        if declared is not None and declared != linked:
            problems.append(f"{api.name.upper()}_{what}={declared} but the linked arrays are {linked} bytes")
    return problems


def _run(
    api: ModelApi,
    target: Target,
    build: Build,
    x: np.ndarray,
    expected: np.ndarray,
    timeout_s: float,
    settings: dict[str, Any],
    result: dict[str, Any],
) -> None:
    kernels = sorted({layer.kernel for layer in api.layers})
    addresses = footprint.symbol_addresses(build.elf)
    missing = [name for name in ("bench_start", "bench_end", *kernels) if name not in addresses]
    if missing:
        result.update(status="fault", reason=f"no code for {', '.join(missing)} in the ELF: counts impossible")
        return
    run = qemu.run_elf(
        build.elf, target, x.tobytes(), [addresses[n] for n in ("bench_start", "bench_end", *kernels)], timeout_s
    )
    if run.timed_out:
        result.update(status="timeout", reason=f"no exit within {timeout_s:g} s (hang)")
        return
    if run.exit_code != 0:
        lines = run.stderr.strip().splitlines()
        why = exit_codes.meanings().get(run.exit_code or 0, lines[-1] if lines else "QEMU error or core lockup")
        result.update(status="fault", reason=f"exit code {run.exit_code}: {why}")
        return
    got = np.frombuffer(run.output, dtype=np.int8)
    if got.size != expected.size:
        result.update(status="fault", reason=f"{got.size} output bytes for {expected.size} expected")
        return
    equal = np.all(got.reshape(expected.shape) == expected, axis=1)
    result.update(samples=len(x), bitexact=float(equal.mean()), mismatches=[int(i) for i in np.flatnonzero(~equal)])
    if not equal.all():
        differing = int((~equal).sum())
        result.update(status="mismatch", reason=f"{differing} of {len(x)} samples differ from the expected outputs")
    try:
        per_sample = counts.sample_counts(run.snapshots, kernels, api.layers, len(x))
    except counts.CountError as exc:
        result.update(status="fault", reason=f"instruction counts missing: {exc}")
        return
    _timing(api, target, per_sample, settings, result)


def _timing(
    api: ModelApi,
    target: Target,
    per_sample: list[counts.SampleCounts],
    settings: dict[str, Any],
    result: dict[str, Any],
) -> None:
    ws = settings["flash_wait_states"]
    insns = [s.total["insn"] for s in per_sample]
    cycles = [timing.estimate_cycles(s.total, target, ws) for s in per_sample]
    worst = per_sample[cycles.index(max(cycles))]
    wcet_cycles, wcet_us = timing.wcet(max(cycles), settings["wcet_margin"], settings["clock_mhz"])
    per_layer = []
    for i, layer in enumerate(api.layers):
        insn = int(statistics.median_low([s.per_layer[i]["insn"] for s in per_sample]))
        per_mac = round(insn / layer.macs, 2) if layer.macs else None  # a slow shape shows here
        row = {"layer": layer.name, "kernel": layer.kernel, "macs": layer.macs, "instructions": insn}
        cycles_est = timing.estimate_cycles(worst.per_layer[i], target, ws)
        per_layer.append({**row, "instructions_per_mac": per_mac, "cycles_est": cycles_est})
    result.update(
        instructions=_stats(insns),
        cycles_est=_stats(cycles),
        cycles_typical=_stats([timing.typical_cycles(s.total, target, ws) for s in per_sample]),
        cycles_by_class={k: round(v) for k, v in timing.cycles_by_class(worst.total, target, ws).items()},
        counts=worst.total,
        data_dependent_layers=[
            layer.name for i, layer in enumerate(api.layers) if len({s.per_layer[i]["insn"] for s in per_sample}) > 1
        ],
        accelerator=vars(target.accelerator),
        wcet_cycles=wcet_cycles,
        wcet_us=round(wcet_us, 3),
        per_layer=per_layer,
    )
