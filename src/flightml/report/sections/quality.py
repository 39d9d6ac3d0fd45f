"""Section: model size, accuracy and ONNX Runtime latency, fp32 against int8 (the reference study)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from flightml.artifacts import RunDir, read_json
from flightml.config import config_from_dict
from flightml.report.base import Check, Figures, Section, md_table

ORDER = 10


def _size_accuracy_figure(evaluation: dict, figures: Figures):
    fig, (ax_size, ax_acc) = plt.subplots(1, 2, figsize=(8, 3.2))
    labels = ["fp32", "int8"]
    sizes = [evaluation[k]["bytes"] / 1024 for k in labels]
    accuracies = [100 * evaluation[k]["accuracy"] for k in labels]
    colors = ["#4c72b0", "#dd8452"]
    ax_size.bar(labels, sizes, color=colors)
    ax_size.set_ylabel("ONNX file size (KiB)")
    ax_size.set_title("Model size")
    ax_acc.bar(labels, accuracies, color=colors)
    ax_acc.set_ylabel("test accuracy (%)")
    ax_acc.set_ylim(min(accuracies) - 5, 100)
    ax_acc.set_title("Accuracy")
    for ax, values, fmt in ((ax_size, sizes, "{:.1f}"), (ax_acc, accuracies, "{:.1f}")):
        for i, v in enumerate(values):
            ax.text(i, v, fmt.format(v), ha="center", va="bottom")
    fig.tight_layout()
    return figures.save(fig, "size_accuracy")


def _confusion_figure(evaluation: dict, figures: Figures):
    names = evaluation["class_names"]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    for ax, key in zip(axes, ("fp32", "int8"), strict=True):
        matrix = np.array(evaluation[key]["confusion"])
        ax.imshow(matrix, cmap="Blues")
        ax.set_title(f"{key} confusion")
        ax.set_xticks(range(len(names)), names)
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, str(value), ha="center", va="center", color="black", fontsize=8)
    return figures.save(fig, "confusion")


def ort_host_text(host: dict) -> str:
    """Which int8 figures are exact integer semantics and which are ONNX Runtime on this host."""
    isa = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in host["isa"].items())
    exact = "" if host["exact"] else " (NOT exact: its int8 sums saturate; see Quantization error)"
    return (
        "int8 test accuracy is the int8 model's exact integer semantics: the integer reference, which the "
        "generated C and every emulated core equal bit for bit; it is the same on every host. The row "
        "'default ORT session on this host' is what a user running model_int8.onnx with ONNX Runtime's "
        f"defaults gets here: {host['cpu'] or host['machine']} ({isa}), onnxruntime {host['onnxruntime']}, "
        f"kernel path {host['kernel_path']}{exact}."
    )


def render(run: RunDir, figures: Figures) -> Section | None:
    if not run.path("evaluation.json").exists():
        return None
    evaluation = read_json(run.path("evaluation.json"), "evaluation")
    config = config_from_dict(run.manifest().get("config", {}), "manifest")
    fp32, int8 = evaluation["fp32"], evaluation["int8"]
    drop = 100 * (fp32["accuracy"] - int8["accuracy"])
    rows = [
        ["ONNX file (bytes)", fp32["bytes"], int8["bytes"], f"{fp32['bytes'] / int8['bytes']:.2f}x smaller"],
        ["test accuracy", f"{fp32['accuracy']:.4f}", f"{int8['accuracy']:.4f}", f"{drop:+.2f} pts drop"],
        ["test accuracy, default ORT session on this host", "", f"{int8['ort_accuracy']:.4f}", ""],
        ["ORT latency median (us)", f"{fp32['latency']['median_us']:.1f}", f"{int8['latency']['median_us']:.1f}", ""],
        ["ORT latency p99 (us)", f"{fp32['latency']['p99_us']:.1f}", f"{int8['latency']['p99_us']:.1f}", ""],
        ["ORT throughput (samples/s)", f"{fp32['throughput_per_s']:.0f}", f"{int8['throughput_per_s']:.0f}", ""],
    ]
    overhead = evaluation["ort_call_overhead_us"]["median_us"]
    text = "\n\n".join(
        [
            f"{evaluation['test_samples']} test spectra, classes {', '.join(evaluation['class_names'])}.",
            md_table(["", "fp32", "int8", ""], rows),
            f"int8 weights and biases: {evaluation['int8_weight_bytes']} bytes. fp32/int8 top-1 agreement: "
            f"{evaluation['fp32_int8_agreement']:.4f}. Latency is {evaluation['latency_method']}; "
            f"about {overhead:.1f} us of each call is ONNX Runtime call overhead (same call on an Identity model).",
            ort_host_text(evaluation["ort_host"]),
        ]
    )
    settings = config.evaluate
    checks = [
        Check(
            "int8 accuracy",
            int8["accuracy"] >= settings.min_int8_accuracy,
            f"{int8['accuracy']:.4f} (minimum {settings.min_int8_accuracy})",
        ),
        Check(
            "int8 accuracy drop",
            drop <= settings.max_int8_drop_pts,
            f"{drop:.2f} pts (maximum {settings.max_int8_drop_pts})",
        ),
    ]
    return Section(
        "Size and accuracy: fp32 against int8",
        text,
        [_size_accuracy_figure(evaluation, figures), _confusion_figure(evaluation, figures)],
        checks,
    )
