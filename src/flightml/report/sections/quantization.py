"""Section: where int8 loses accuracy (quant_report.json), the settings sweep and QAT scales.

Reads RUN/quant_report.json, and when present RUN/sweep_quant.json (with figures/sweep_quant.png)
and RUN/qat.json. Returns None when none of them exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from flightml.artifacts import RunDir, read_json
from flightml.report.base import Check, Figures, Section, md_table

ORDER = 12
MAX_FLIP_ROWS = 15
SWEEP_MEDIAN_PTS = 0.3
SWEEP_WORST_PTS = 0.5
QAT_WORST_PTS = 0.2
REMEDY_EXACT = "outputs = exact semantics"


def _layers_figure(report: dict[str, Any], figures: Figures) -> Path:
    rows = report["per_layer"]
    labels = [r["layer"] for r in rows]
    fig, (ax_sqnr, ax_err) = plt.subplots(1, 2, figsize=(9, 3.4))
    ax_sqnr.bar(labels, [r["sqnr_db"] for r in rows], color="#4c72b0")
    ax_sqnr.set_ylabel("SQNR (dB)")
    ax_sqnr.set_title("fp32 vs int8 activations, test set")
    ax_err.bar(labels, [r["max_abs_error"] / max(r["fp32_absmax"], 1e-12) for r in rows], color="#dd8452")
    ax_err.set_ylabel("max |error| / max |fp32|")
    ax_err.set_title("worst-case error per layer")
    for ax in (ax_sqnr, ax_err):
        ax.tick_params(axis="x", rotation=40)
    return figures.save(fig, "quant_layers")


def _margin_figure(report: dict[str, Any], figures: Figures) -> Path:
    margins = np.sort(np.array(report["fp32_margin"]))
    worst = report["worst_logit_error"]
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    ax.plot(margins, np.arange(1, len(margins) + 1) / len(margins), color="#4c72b0", label="fp32 top-1 margin (CDF)")
    ax.axvline(worst, color="#b3261e", linestyle="--", label=f"worst logit error {worst:.3f}")
    ax.axvline(2 * worst, color="#b3261e", linestyle=":", label="twice the worst error")
    flips = [f["fp32_margin"] for f in report["changed_class"]]
    ax.scatter(flips, np.zeros(len(flips)), color="black", marker="x", zorder=3, label="samples that change class")
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlabel("fp32 logit margin (top-1 minus top-2)")
    ax.set_ylabel("fraction of test samples")
    ax.legend(fontsize=7)
    return figures.save(fig, "quant_margins")


def _confusion_tables(report: dict[str, Any]) -> str:
    names = report.get("class_names") or [str(i) for i in range(len(report["confusion"]["fp32"]))]
    parts = []
    for key in ("fp32", "int8"):
        rows = [[f"true {n}", *row] for n, row in zip(names, report["confusion"][key], strict=True)]
        parts.append(f"{key} confusion (rows true, columns predicted):\n\n" + md_table(["", *names], rows))
    return "\n\n".join(parts)


def _flips_table(report: dict[str, Any]) -> str:
    flips = sorted(report["changed_class"], key=lambda f: f["fp32_margin"])
    if not flips:
        return "No test sample changes class between fp32 and int8."
    names = report.get("class_names") or []

    def label(i: int) -> str:
        return names[i] if i < len(names) else str(i)

    rows = [
        [
            f["index"],
            label(f["true"]),
            label(f["fp32"]),
            label(f["int8"]),
            f"{f['fp32_margin']:.4f}",
            f"{f['logit_error']:.4f}",
        ]
        for f in flips[:MAX_FLIP_ROWS]
    ]
    more = f"\n\n({len(flips) - MAX_FLIP_ROWS} more in quant_report.json)" if len(flips) > MAX_FLIP_ROWS else ""
    table = md_table(["sample", "true", "fp32", "int8", "fp32 margin", "max logit error"], rows)
    return f"{len(flips)} test samples change class:\n\n{table}{more}"


def _saturation_part(sat: dict[str, Any]) -> str:
    if "unavailable" in sat:
        return f"ONNX Runtime's x86 saturation was not analysed: {sat['unavailable']}"
    layer_rows = [
        [
            f"`{r['node']}`",
            r["ort_path"],
            f"{100 * r['saturated_pair_fraction']:.2f} %",
            f"{100 * r['changed_accumulator_fraction']:.1f} %",
        ]
        for r in sat["per_layer"]
    ]
    remedy_rows = [
        [
            r["remedy"],
            r["ort_path"],
            f"{r['accuracy']:.4f}",
            f"{100 * r['saturated_pair_fraction']:.2f} %",
            f"{100 * r['outputs_equal_to_exact_fraction']:.1f} %",
        ]
        for r in sat["remedies"]
    ]
    host = sat["this_host"]
    return "\n\n".join(
        [
            "ONNX Runtime on x86 CPUs with AVX2 and without VNNI (emulated bit for bit on any host, "
            f"flightml.verify.u8s8; rule: {sat['rule']}): a default session of this int8 model gets test accuracy "
            f"**{sat['saturating_host_accuracy']:.4f}** there, against {sat['exact_accuracy']:.4f} for the exact "
            f"integer semantics; {100 * sat['outputs_equal_to_exact_fraction']:.1f} % of the outputs are equal, "
            f"up to {sat['max_output_diff_lsb']} LSB apart. VNNI and arm64 hosts are exact.",
            md_table(["layer", "ORT kernel path", "pair sums saturated", "accumulators changed"], layer_rows),
            "Remedies, each measured with the same emulation on the test set:\n\n"
            + md_table(["remedy", "ORT kernel path", "accuracy", "pair sums saturated", REMEDY_EXACT], remedy_rows),
            f"This report was produced on {host['cpu'] or host['machine']}: onnxruntime {host['onnxruntime']}, "
            f"kernel path {host['kernel_path']}"
            + (" (saturates: `flightml run` warned)." if host["saturates"] else "."),
        ]
    )


def _report_part(report: dict[str, Any], figures: Figures) -> tuple[str, list[Path]]:
    settings = ", ".join(f"{k}={v}" for k, v in sorted(report["settings"].items()))
    layer_rows = [
        [r["layer"], f"`{r['tensor']}`", f"{r['sqnr_db']:.1f}", f"{r['max_abs_error']:.4g}", f"{r['fp32_absmax']:.4g}"]
        for r in report["per_layer"]
    ]
    layers = (
        md_table(["layer", "tensor", "SQNR (dB)", "max abs error", "max abs fp32"], layer_rows)
        if layer_rows
        else "No per-layer figures: the int8 model has no QuantizeLinear/DequantizeLinear pairs (QOperator format)."
    )
    text = "\n\n".join(
        [
            f"Settings: {settings}.",
            f"Test accuracy fp32 {report['fp32_accuracy']:.4f}, int8 {report['int8_accuracy']:.4f}: "
            f"drop {report['int8_accuracy_drop_pts']:+.2f} pts over {report['test_samples']} spectra.",
            f"Per-layer errors against `{report.get('per_layer_reference', 'model_fp32.onnx')}`:\n\n{layers}",
            f"Worst-case logit error over the test set: {report['worst_logit_error']:.4f}. "
            f"{100 * report['margin_below_worst_error_fraction']:.1f} % of the samples have an fp32 top-1 margin "
            f"below it and {100 * report['margin_below_twice_worst_error_fraction']:.1f} % below twice it (a sample "
            "whose margin exceeds twice the worst logit error cannot change class).",
            _flips_table(report),
            _confusion_tables(report),
            *([_saturation_part(report["ort_x86_saturation"])] if "ort_x86_saturation" in report else []),
        ]
    )
    figs = [_margin_figure(report, figures)]
    if report["per_layer"]:
        figs.insert(0, _layers_figure(report, figures))
    return text, figs


def _sweep_part(sweep: dict[str, Any]) -> tuple[str, list[Check]]:
    rows = [
        [
            name,
            f"{r['median_drop_pts']:.2f}",
            f"{r['worst_drop_pts']:.2f}",
            f"{np.median(r['changed_class']):.0f}",
            " ".join(f"{d:+.1f}" for d in r["drop_pts"]),
        ]
        for name, r in ((n, sweep["settings"][n]) for n in sweep["order"])
    ]
    text = (
        f"Settings sweep over training seeds {sweep['seeds']} (fp32 accuracy "
        f"{', '.join(f'{a:.3f}' for a in sweep['fp32_accuracy'])}); accuracy drop in points, "
        f"best post-training setting: {sweep['best']}. Reproduce: `{sweep['command']}`.\n\n"
        + md_table(["setting", "median drop", "worst drop", "median class changes", "drop per seed"], rows)
    )
    checks = []
    default = sweep["settings"].get("default")
    if default is not None:
        passed = default["median_drop_pts"] <= SWEEP_MEDIAN_PTS and default["worst_drop_pts"] <= SWEEP_WORST_PTS
        detail = (
            f"default setting: median {default['median_drop_pts']:.2f} pts (max {SWEEP_MEDIAN_PTS}), "
            f"worst {default['worst_drop_pts']:.2f} pts (max {SWEEP_WORST_PTS}) over {len(sweep['seeds'])} seeds"
        )
        checks.append(Check("int8 drop over training seeds", passed, detail))
    qat = sweep["settings"].get("reference+qat")
    if qat is not None:
        worst = qat["worst_drop_pts"]
        detail = f"reference setting + QAT: worst seed {worst:.2f} pts from fp32 (max {QAT_WORST_PTS})"
        checks.append(Check("QAT recovers the reference setting", worst <= QAT_WORST_PTS, detail))
    return text, checks


def _qat_part(qat: dict[str, Any]) -> tuple[str, Check]:
    scales = qat["activation_scales"]
    same = all(s["model_scale"] == s["scale"] and s["model_zero_point"] == s["zero_point"] for s in scales)
    last = qat["epochs"][-1] if qat["epochs"] else {}
    text = (
        f"Quantization-aware fine-tuning: {len(qat['epochs'])} epochs, final fake-quantized test accuracy "
        f"{last.get('test_accuracy', float('nan')):.4f}. Learned activation scales and zero points "
        "in the int8 model (the export forces them through ONNX Runtime's TensorQuantOverrides):\n\n"
        + md_table(
            ["tensor", "learned scale", "zero point", "in int8 model"],
            [
                [f"`{s['tensor']}`", f"{s['scale']:.6g}", s["zero_point"], "equal" if same else "DIFFERENT"]
                for s in scales
            ],
        )
    )
    return text, Check("QAT scales kept in the int8 model", same, f"{len(scales)} activation tensors")


def render(run: RunDir, figures: Figures) -> Section | None:
    paths = {name: run.path(f"{name}.json") for name in ("quant_report", "sweep_quant", "qat")}
    if not any(p.exists() for p in paths.values()):
        return None
    parts: list[str] = []
    figs: list[Path] = []
    checks: list[Check] = []
    if paths["quant_report"].exists():
        text, report_figs = _report_part(read_json(paths["quant_report"], "quantization report"), figures)
        parts.append(text)
        figs += report_figs
    if paths["qat"].exists():
        text, check = _qat_part(read_json(paths["qat"], "QAT report"))
        parts.append(text)
        checks.append(check)
    if paths["sweep_quant"].exists():
        text, sweep_checks = _sweep_part(read_json(paths["sweep_quant"], "quantization sweep"))
        parts.append(text)
        checks += sweep_checks
        figure = run.path("figures", "sweep_quant.png")
        figs += [figure] if figure.exists() else []
    return Section("Quantization error", "\n\n".join(parts), figs, checks)
