"""Section: the generated C (memory plan, layers, kernels) and its host verification.

Reads RUN/verify_host.json and RUN/c/<mode>/plan.json (written by the compile and verify_host
stages). Returns None when neither exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

from flightml.artifacts import RunDir, read_json
from flightml.compiler import requant
from flightml.report.base import Check, Figures, Section, md_table

ORDER = 30
CLASS_AGREEMENT_MIN = 0.999


def _plans(run: RunDir) -> dict[str, dict[str, Any]]:
    c_dir = run.path("c")
    if not c_dir.is_dir():
        return {}
    return {p.parent.name: read_json(p, "memory plan") for p in sorted(c_dir.glob("*/plan.json"))}


def _plan_figure(mode: str, plan: dict[str, Any], figures: Figures) -> Path:
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    for b in plan["buffers"]:
        ax.add_patch(
            Rectangle(
                (b["first_layer"] - 0.4, b["offset"]),
                b["last_layer"] - b["first_layer"] + 0.8,
                b["size"],
                facecolor="#4c72b0",
                edgecolor="black",
                alpha=0.7,
            )
        )
    ax.set_xlim(-0.6, max(len(plan["layers"]) - 0.4, 0.6))
    ax.set_ylim(0, max(plan["arena_bytes"], 1))
    ax.set_xticks(range(len(plan["layers"])))
    ax.set_xticklabels([layer["kind"] for layer in plan["layers"]], rotation=30, fontsize=8)
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title(f"memory plan ({mode}): {plan['arena_bytes']} B arena, naive {plan['naive_arena_bytes']} B")
    return figures.save(fig, f"compiler_plan_{mode.replace('-', '_')}")


def _verification(results: dict[str, dict[str, Any]]) -> tuple[str, list[Check]]:
    rows, checks = [], []
    for mode, r in sorted(results.items()):
        rows.append(
            [
                mode,
                r["samples"],
                f"{r['bitexact_vs_reference']:.2%}",
                f"{r['bitexact_vs_ort']:.2%}",
                r["max_abs_diff_lsb_vs_ort"],
                f"{r['class_agreement_vs_ort']:.2%}",
                f"{r['accuracy']:.2%}" if "accuracy" in r else "-",
                f"{r['latency_us']:.1f}" if "latency_us" in r else "-",
            ]
        )
        checks.append(
            Check(
                f"C equals the integer reference ({mode})",
                r["bitexact_vs_reference"] == 1.0,
                f"{r['bitexact_vs_reference']:.2%} of {r['samples']} test samples",
            )
        )
        if requant.for_mode(mode).ort_arithmetic:
            checks.append(
                Check(
                    "ort-exact C equals ONNX Runtime",
                    r["bitexact_vs_ort"] == 1.0,
                    f"{r['bitexact_vs_ort']:.2%} of samples, max {r['max_abs_diff_lsb_vs_ort']} LSB",
                )
            )
        else:
            checks.append(
                Check(
                    f"{mode} C agrees with ONNX Runtime on the class",
                    r["class_agreement_vs_ort"] >= CLASS_AGREEMENT_MIN,
                    f"{r['class_agreement_vs_ort']:.2%} (>= {CLASS_AGREEMENT_MIN:.1%}), logits differ by "
                    f"up to {r['max_abs_diff_lsb_vs_ort']} LSB",
                )
            )
    table = md_table(
        [
            "mode",
            "samples",
            "C = reference",
            "C = ONNX Runtime",
            "max LSB vs ORT",
            "class agreement",
            "accuracy",
            "latency (us, from Python)",
        ],
        rows,
    )
    return table, checks


def render(run: RunDir, figures: Figures) -> Section | None:
    plans = _plans(run)
    verify_path = run.path("verify_host.json")
    if not plans and not verify_path.exists():
        return None
    md: list[str] = []
    figs: list[Path] = []
    checks: list[Check] = []
    if verify_path.exists():
        table, checks = _verification(read_json(verify_path, "host verification")["modes"])
        md += [
            "Host verification: every test sample through the generated C (system compiler, "
            "`-std=c99 -Wall -Wextra -Werror -Wconversion -O2`), the numpy integer reference and ONNX Runtime "
            "(an exact session, flightml.ort_session: the same on every host; a default session on x86 "
            "without VNNI saturates, see Quantization error).",
            "",
            table,
            "",
        ]
    for mode, plan in plans.items():
        macs = sum(layer["macs"] for layer in plan["layers"])
        md += [
            f"**{mode}**: arena {plan['arena_bytes']} B (peak live {plan['peak_live_bytes']} B, without reuse "
            f"{plan['naive_arena_bytes']} B), constants {plan['const_bytes']} B in flash "
            f"(weights and biases {plan['weight_bytes']} B), {macs} MACs.",
            "",
        ]
        rows = [
            [layer["index"], layer["onnx_op"], layer["kernel"], layer["macs"], layer["output"][:40]]
            for layer in plan["layers"]
        ]
        md += [md_table(["layer", "ONNX op(s)", "kernel", "MACs", "output"], rows), ""]
        figs.append(_plan_figure(mode, plan, figures))
    return Section("Integer-only C (compiler and host verification)", "\n".join(md), figs, checks, ORDER)
