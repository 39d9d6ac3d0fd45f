"""Calibrate the timing model against silicon: CoreMark/MHz estimated under QEMU vs published figures.

Usage: .venv/bin/python benchmarks/timing_calibration.py --coremark-src DIR [--iterations N] [--write]

DIR is the EEMBC CoreMark source (Apache-2.0, https://github.com/eembc/coremark; flightml does not
ship it and nothing is downloaded at run time: `git clone https://github.com/eembc/coremark DIR`).
CoreMark is built per core with the pinned arm-none-eabi-gcc and flightml's MCU flags (-O2) and
flightml's own port (benchmarks/coremark_port: no timer; start_time/stop_time are the plugin's
markers), run under QEMU with the same instruction counting as `flightml verify`, and turned into
estimated cycles by the core's timing table (mcu/cores/*.toml).

Two builds: flightml's flags (-O2, what `flightml verify` measures) and a tuned build (-O3
-funroll-all-loops -finline-limit=600), closer to how published CoreMark scores are compiled (vendor
compilers at their most aggressive settings): the compiler changes the instruction count, the
timing table what each instruction costs. The +-20% check applies to the tuned build.

Two comparisons per core:
- zero wait states (the bound, no accelerator) vs Arm's per-core figure, which Arm measures from
  zero-wait-state memory;
- the core's default part (clock, wait states, accelerator from its data file), typical estimate,
  vs that part's datasheet figure (measured from flash with the accelerator on).
ratio = estimated / published CoreMark/MHz: above 1 the model is optimistic (it underestimates
cycles). The WCET margin must cover the worst underestimate: the script prints it and checks that
the [verify] wcet_margin default does (exit 1 when it does not). --write records the tables in
flightml/mcu/calibration.json, which the report's WCET section shows.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from flightml.config import VerifyConfig
from flightml.mcu import footprint, qemu, timing
from flightml.mcu.build import build_program
from flightml.mcu.targets import TARGETS, Target
from flightml.mcu.toolchain import CROSS_GCC

PORT = Path(__file__).parent / "coremark_port"
CALIBRATION = Path(__file__).resolve().parents[1] / "src" / "flightml" / "mcu" / "calibration.json"
COMMAND = ".venv/bin/python benchmarks/timing_calibration.py --coremark-src DIR --write"
SOURCES = ("core_list_join.c", "core_matrix.c", "core_state.c", "core_util.c")
# Published CoreMark/MHz: (Arm per-core figure, its source), (a part's datasheet figure, part, source).
PUBLISHED = {
    "cortex-m0plus": (
        (2.46, "Arm, Cortex-M0+ product page / Cortex-M comparison table: 2.46 CoreMark/MHz"),
        (2.46, "SAMD21 @48 MHz", "Microchip SAM D21 datasheet (DS40001882), Description: 2.46 CoreMark/MHz"),
    ),
    "cortex-m3": (
        (3.34, "Arm, Cortex-M3 product page / Cortex-M comparison table: 3.34 CoreMark/MHz"),
        None,
    ),
    "cortex-m4": (
        (3.42, "Arm, Cortex-M4 product page / Cortex-M comparison table: 3.42 CoreMark/MHz"),
        (
            3.42,
            "STM32L476 @80 MHz",
            "ST DS10198 STM32L476xx datasheet, Features: 273.55 CoreMark (3.42 CoreMark/MHz at 80 MHz)",
        ),
    ),
    "cortex-m7": (
        (5.01, "Arm, Cortex-M7 product page / Cortex-M comparison table: 5.01 CoreMark/MHz"),
        (5.05, "STM32H743 @480 MHz", "ST DS12110 STM32H743xI datasheet, Features: 2424 CoreMark at 480 MHz (5.05/MHz)"),
    ),
    "cortex-m33": (
        (4.02, "Arm, Cortex-M33 product page / Cortex-M comparison table: 4.02 CoreMark/MHz"),
        (4.07, "STM32U575 @160 MHz", "ST DS13737 STM32U575xx datasheet, Features: 651 CoreMark at 160 MHz (4.07/MHz)"),
    ),
}


BUILDS = {"-O2 (flightml)": (), "tuned": ("-O3", "-funroll-all-loops", "-finline-limit=600")}


def coremark_counts(src: Path, target: Target, iterations: int, work: Path, extra: tuple[str, ...]) -> dict[str, int]:
    """Plugin counter deltas of `iterations` CoreMark iterations on `target` (validated CRCs)."""
    flags = (f"-DITERATIONS={iterations}", "-DPERFORMANCE_RUN=1", *extra)
    sources = [(PORT / "core_portme.c", flags), *((src / name, flags) for name in SOURCES)]
    build_program(sources, target, [PORT, src], [], work, src, main=src / "core_main.c")
    elf = work / "prog.elf"
    addr = footprint.symbol_addresses(elf)
    run = qemu.run_elf(elf, target, b"", [addr["start_time"], addr["stop_time"]], 600.0)
    if run.exit_code != 0:
        raise SystemExit(f"{target.name}: CoreMark did not validate (exit {run.exit_code}) {run.stderr[-200:]}")
    (_, start), (_, end) = run.snapshots[:2]
    return {k: end[k] - start[k] for k in start}


def per_mhz(cycles: int, iterations: int) -> float:
    return iterations * 1e6 / cycles


def measure(src: Path, iterations: int, extra: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    for name, ((arm, arm_src), part) in PUBLISHED.items():
        target = TARGETS[name]
        with tempfile.TemporaryDirectory(prefix=f"fm-coremark-{name}-") as tmp:
            counts = coremark_counts(src, target, iterations, Path(tmp), extra)
        est0 = per_mhz(timing.estimate_cycles(counts, target, 0), iterations)
        row = {
            "core": name,
            "insn": counts["insn"],
            "est0": round(est0, 3),
            "arm": arm,
            "ratio0": round(est0 / arm, 3),
            "arm_src": arm_src,
        }
        if part:
            value, part_name, part_src = part
            typ = per_mhz(timing.typical_cycles(counts, target, target.flash_wait_states), iterations)
            bound = per_mhz(timing.estimate_cycles(counts, target, target.flash_wait_states), iterations)
            row.update(
                part=part_name,
                ws=target.flash_wait_states,
                typ=round(typ, 3),
                bound=round(bound, 3),
                pub=value,
                ratio_typ=round(typ / value, 3),
                part_src=part_src,
            )
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coremark-src", type=Path, required=True, help="EEMBC CoreMark source folder")
    parser.add_argument("--iterations", type=int, default=10, help="CoreMark iterations per core (default 10)")
    parser.add_argument("--write", action="store_true", help="record the result in flightml/mcu/calibration.json")
    args = parser.parse_args()
    if not (args.coremark_src / "core_main.c").is_file():
        print(f"{args.coremark_src}: no core_main.c; clone https://github.com/eembc/coremark there", file=sys.stderr)
        return 2
    ratios: list[float] = []
    gcc = subprocess.run([CROSS_GCC, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    record: dict[str, Any] = {"command": COMMAND, "toolchain": gcc, "iterations": args.iterations, "builds": {}}
    for build, extra in BUILDS.items():
        rows = measure(args.coremark_src, args.iterations, extra)
        record["builds"][build] = {"flags": " ".join(extra) or "-O2", "rows": rows}
        print(f"\n{build} build ({' '.join(extra) or '-O2'}):\n")
        print_table(rows, args.iterations)
        ratios += [r["ratio0"] for r in rows] + [r["ratio_typ"] for r in rows if "part" in r]
        tuned = [r["ratio0"] for r in rows] + [r["ratio_typ"] for r in rows if "part" in r]
    print("\nSources:")
    for r in rows:
        print(f"- {r['core']}: {r['arm_src']}" + (f"; {r['part_src']}" if "part" in r else ""))
    worst = max(ratios)
    margin = VerifyConfig().wcet_margin
    outside = sum(not 0.8 <= x <= 1.2 for x in tuned)
    print(f"\ntuned build: {len(tuned) - outside} of {len(tuned)} ratios within +-20%")
    print(
        f"worst underestimate of cycles (largest ratio, both builds): {worst:.2f}; default WCET margin "
        f"{margin:g} {'covers' if margin >= worst else 'does NOT cover'} it"
    )
    if args.write:
        record.update(worst_ratio=round(worst, 3), tuned_within_20pct=f"{len(tuned) - outside} of {len(tuned)}")
        CALIBRATION.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return 0 if margin >= worst else 1


def print_table(rows: list[dict[str, Any]], iterations: int) -> None:
    print(
        "| core | instr/iter | est. CoreMark/MHz (0 WS) | Arm | ratio | part | WS | est. bound | est. typical "
        "| datasheet | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        part = (
            f"{r['part']} | {r['ws']} | {r['bound']:.2f} | {r['typ']:.2f} | {r['pub']:.2f} | {r['ratio_typ']:.2f}"
            if "part" in r
            else "- | - | - | - | - | -"
        )
        print(
            f"| {r['core']} | {r['insn'] // iterations:,} | {r['est0']:.2f} | {r['arm']:.2f} | "
            f"{r['ratio0']:.2f} | {part} |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
