"""Report section: the worst-case execution time and every assumption behind it.

Reads RUN/verify_mcu.json (cycle breakdown by instruction class and by layer, data dependence),
flightml/mcu/calibration.json (the timing model against published CoreMark figures, recorded by
benchmarks/timing_calibration.py) and, when present, RUN/budget.json (FreeRTOS response time).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from flightml.artifacts import RunDir, read_json
from flightml.mcu.targets import TARGETS, TIMING_CLASSES
from flightml.report.base import Check, Figures, Section, md_table

ORDER = 45
CLASSES = (*TIMING_CLASSES, "ws_taken", "ws_flash_reads")


def calibration() -> dict[str, Any]:
    return json.loads((resources.files("flightml.mcu") / "calibration.json").read_text("utf-8"))


def _summary(targets: dict[str, dict[str, Any]]) -> str:
    rows = []
    for name, r in targets.items():
        rows.append(
            [
                name,
                f"{r['clock_mhz']:g} MHz",
                r["flash_wait_states"],
                r["accelerator"]["name"],
                f"{r['instructions']['max']:,}",
                f"{r['counts']['flash_reads']:,}",
                f"{r['cycles_est']['max']:,}",
                f"{r['cycles_typical']['max']:,}",
                f"{r['wcet_cycles']:,}",
                f"{r['wcet_us']:,.1f}",
                ", ".join(r["data_dependent_layers"]) or "none (same count for every input)",
            ]
        )
    return md_table(
        [
            "target",
            "clock",
            "flash WS",
            "accelerator (typical only)",
            "instructions (max)",
            "flash reads",
            "cycles bound",
            "cycles typical",
            "WCET cycles",
            "WCET us",
            "data-dependent layers",
        ],
        rows,
    )


def _by_class(targets: dict[str, dict[str, Any]]) -> str:
    names = list(targets)
    rows = [
        [cls, *(f"{targets[n]['cycles_by_class'].get(cls, 0):,}" for n in names)]
        for cls in CLASSES
        if any(targets[n]["cycles_by_class"].get(cls, 0) for n in names)
    ]
    return md_table(["class (cycles, bound, worst input)", *names], rows)


def _by_layer(targets: dict[str, dict[str, Any]]) -> str:
    names = list(targets)
    layers = targets[names[0]]["per_layer"]
    rows = [
        [row["layer"], row["kernel"], *(f"{targets[n]['per_layer'][i]['cycles_est']:,}" for n in names)]
        for i, row in enumerate(layers)
    ]
    return md_table(["layer", "kernel", *(f"{n} cycles" for n in names)], rows)


def _calibration(cal: dict[str, Any]) -> str:
    md = []
    for build, doc in cal["builds"].items():
        rows = [
            [
                r["core"],
                f"{r['est0']:.2f}",
                f"{r['arm']:.2f}",
                f"{r['ratio0']:.2f}",
                r.get("part", "-"),
                f"{r['typ']:.2f}" if "typ" in r else "-",
                f"{r['pub']:.2f}" if "pub" in r else "-",
                f"{r['ratio_typ']:.2f}" if "ratio_typ" in r else "-",
            ]
            for r in doc["rows"]
        ]
        md += [
            f"CoreMark, {build} build (`{doc['flags']}`), {cal['toolchain']}:",
            "",
            md_table(
                ["core", "est. CoreMark/MHz, 0 WS", "Arm", "ratio", "part", "est. typical", "datasheet", "ratio"], rows
            ),
            "",
        ]
    return "\n".join(md)


def _rta(rta: dict[str, Any]) -> str:
    rows = [
        [
            x["name"],
            x["priority"],
            f"{x['period_us']:,.0f}",
            f"{x['wcet_us']:,.1f}",
            x["preemptions"],
            f"{x['preemptions'] * x['wcet_us']:,.1f}",
        ]
        for x in rta["interference"]
    ]
    verdict = "meets" if rta["schedulable"] else "**misses**"
    return "\n".join(
        [
            f"R = C + B + sum ceil(R/T_j) C_j with C = {rta['c_us']:,.1f} us (inference WCET x margin "
            f"{rta['inference_us']:,.1f} us + scrub step {rta['scrub_step_us']:g} us) and blocking B = "
            f"{rta['blocking_us']:g} us: **R = {rta['response_us']:,.1f} us**, which {verdict} the deadline of "
            f"{rta['deadline_us']:,.0f} us.",
            "",
            md_table(
                ["interfering", "priority", "period (us)", "WCET (us)", "releases in R", "interference (us)"], rows
            ),
        ]
    )


def _assumptions(targets: dict[str, dict[str, Any]], cal: dict[str, Any], rta: dict[str, Any] | None) -> list[str]:
    margin = next(iter(targets.values()))["wcet_margin"]
    out = []
    for name, r in targets.items():
        t = TARGETS.get(name)
        src = f" ({t.clock_source}); timing table: {t.timing_source}" if t else ""
        out.append(f"{name}: {r['clock_mhz']:g} MHz, {r['flash_wait_states']} flash wait states{src}.")
        out.append(
            f"{name}: typical estimate assumes {r['accelerator']['name']}: {r['accelerator']['assumes']}. "
            "The WCET uses the bound, which assumes no accelerator or cache."
        )
    out += [
        "Each taken branch and each data read from flash (weights, constants, literal pools, tables) pays the wait "
        "states; sequential instruction fetch is hidden by the prefetch buffer.",
        "Cycles are estimated from exact instruction counts (QEMU plugin) and per-class costs; no bus contention, "
        "cache misses beyond the accelerator assumption, or interrupts inside the inference (those are the "
        "response-time analysis' job).",
        f"WCET margin {margin:g}: the timing model's worst underestimate of cycles against published CoreMark "
        f"figures is {cal['worst_ratio']:.2f} (`{cal['command']}`), so a margin of {margin:g} covers it"
        if margin >= cal["worst_ratio"]
        else f"WCET margin {margin:g} is BELOW the worst underestimate {cal['worst_ratio']:.2f} of the calibration",
        "Data dependence: WCET uses the worst count observed over the verified inputs (extremes included in the "
        "tests); layers whose count varies with the input are named in the table above.",
    ]
    if rta:
        out.append(
            "Response time: independent tasks, deadlines <= periods, no release jitter, context switches "
            "folded into each task's WCET, equal-priority tasks counted as interference (time slicing)."
        )
    return out


def render(run: RunDir, figures: Figures) -> Section | None:
    path = run.path("verify_mcu.json")
    if not path.is_file():
        return None
    targets = {n: r for n, r in read_json(path, "MCU verification")["targets"].items() if r.get("cycles_by_class")}
    if not targets:
        return None
    cal = calibration()
    budget = read_json(run.path("budget.json"), "budget") if run.path("budget.json").is_file() else {}
    rta = budget.get("rta")
    md = [
        "Estimated, not measured: exact instruction counts from QEMU weighted by each core's timing table "
        "(mcu/cores/*.toml). The **bound** (no flash accelerator, every wait state charged) times the margin is "
        "the WCET; the **typical** estimate applies the part's accelerator.",
        "",
        _summary(targets),
        "",
        "Cycle breakdown by instruction class (bound, worst input):",
        "",
        _by_class(targets),
        "",
        "Cycles by layer (bound, worst input):",
        "",
        _by_layer(targets),
        "",
        f"Timing model against silicon (`{cal['command']}`; ratio = estimated / published, above 1 the model "
        "underestimates cycles):",
        "",
        _calibration(cal),
    ]
    if rta:
        md += ["Response time under FreeRTOS (fixed priorities):", "", _rta(rta), ""]
    md += ["Assumptions:", "", *(f"- {a}" for a in _assumptions(targets, cal, rta))]
    margin = next(iter(targets.values()))["wcet_margin"]
    checks = [
        Check(
            "WCET margin covers the calibrated model error",
            margin >= cal["worst_ratio"],
            f"margin {margin:g} vs worst underestimate {cal['worst_ratio']:.2f}",
        )
    ]
    return Section("Worst-case execution time", "\n".join(md), [], checks, ORDER)
