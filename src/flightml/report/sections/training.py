"""Section: training curves and the export parity check."""

from __future__ import annotations

import matplotlib.pyplot as plt

from flightml.artifacts import RunDir, read_json
from flightml.report.base import Check, Figures, Section

ORDER = 5


def render(run: RunDir, figures: Figures) -> Section | None:
    if not run.path("training_history.json").exists():
        return None
    history = read_json(run.path("training_history.json"), "training history")
    epochs = history["epochs"]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(8, 3))
    x = [e["epoch"] for e in epochs]
    ax_loss.plot(x, [e["loss"] for e in epochs])
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss")
    ax_acc.plot(x, [e["train_accuracy"] for e in epochs], label="train")
    ax_acc.plot(x, [e["test_accuracy"] for e in epochs], label="test")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.legend()
    path = figures.save(fig, "training_curves")
    last = epochs[-1]
    text = (
        f"{history['params']} parameters, {len(epochs)} epochs; final loss {last['loss']:.4f}, "
        f"train accuracy {last['train_accuracy']:.4f}, test accuracy {last['test_accuracy']:.4f} (PyTorch fp32)."
    )
    checks = []
    if run.path("export.json").exists():
        export = read_json(run.path("export.json"), "export report")
        checks.append(
            Check(
                "ONNX export parity",
                export["parity_max_abs_diff"] <= export["tolerance"],
                f"max abs(ORT - PyTorch) logit difference {export['parity_max_abs_diff']:.2e}",
            )
        )
    return Section("Model and training", text, [path], checks)
