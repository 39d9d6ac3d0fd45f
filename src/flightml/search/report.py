"""The search report: DIR/search_report.md and .html (results and Pareto tables) and DIR/pareto.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flightml.artifacts import atomic_output_path, atomic_write_text
from flightml.search.pareto import ACCURACY, passing

COLUMNS = (
    ("trial", "trial", "{}"),
    ("network", "network", "{}"),
    ("verdict", "verdict", "{}"),
    ("fp32_accuracy", "fp32 acc", "{:.4f}"),
    (ACCURACY, "int8 acc", "{:.4f}"),
    ("flash_bytes", "flash B", "{:.0f}"),
    ("ram_bytes", "RAM B", "{:.0f}"),
    ("instructions", "instructions", "{:.0f}"),
    ("cycles_est", "cycles (max)", "{:.0f}"),
    ("energy_uj_per_inference", "energy uJ", "{:.1f}"),
    ("wcet_margin", "WCET margin", "{:.1f}x"),
    ("wall_s", "wall s", "{:.1f}"),
    ("reason", "reason", "{}"),
)
COSTS = (("flash_bytes", "flash (bytes)"), ("energy_uj_per_inference", "energy per inference (uJ)"))


def describe(row: dict[str, Any]) -> str:
    """A short name of a trial's network and quantization, e.g. c8-16 k3 p2 h64 b64 pc."""
    config = row.get("config", {})
    model, data, quant = config.get("model", {}), config.get("data", {}), config.get("quant", {})
    channels = "-".join(map(str, model.get("conv_channels", [])))
    name = f"c{channels} k{model.get('kernel_size')} p{model.get('pool')} h{model.get('hidden')} b{data.get('bands')}"
    name += " pc" if quant.get("per_channel", True) else " pt"
    epochs = config.get("train", {}).get("epochs")
    return f"{name} e{epochs}"


def _cell(row: dict[str, Any], key: str, fmt: str) -> str:
    value = describe(row) if key == "network" else row.get(key)
    if value is None or value == "":
        return "" if key == "reason" else "-"
    return fmt.format(value).replace("|", "/")


def table(rows: list[dict[str, Any]], columns: tuple[tuple[str, str, str], ...] = COLUMNS) -> str:
    lines = ["| " + " | ".join(title for _, title, _ in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row, key, fmt) for key, _, fmt in columns) + " |")
    return "\n".join(lines)


def markdown_report(doc: dict[str, Any]) -> str:
    rows, reference = doc["rows"], doc.get("reference")
    everything = [reference, *rows] if reference else rows
    by_key = {row["trial"]: row for row in everything}
    counts = {v: sum(r.get("verdict") == v for r in rows) for v in ("pass", "fail", "unchecked", "error")}
    lines = [
        f"# Design-space search: {doc['mission']['name']}",
        "",
        f"- mission: `{doc['mission']['file']}` (profile {doc['mission']['profile']})",
        f"- space: `{doc['space']['file']}`; strategy {doc['strategy']}, seed {doc['seed']}",
        f"- {doc['trials_run']} trials ({', '.join(f'{n} {v}' for v, n in counts.items() if n)}) plus the reference,"
        f" {doc['workers']} worker(s) on {doc['executor']}, {doc['wall_s']:.0f} s wall",
        f"- stages per trial: {', '.join(doc['stages'])}",
        "",
        "## Answer",
        "",
        doc["answer"]["text"],
        "",
        "## Reference network",
        "",
        table([reference] if reference else []),
        "",
    ]
    for cost, title in COSTS:
        front = [by_key[key] for key in doc["pareto"][cost]]
        lines += [f"## Pareto front: int8 accuracy vs {title}", ""]
        lines += [table(front) if front else "No passing candidate has this figure.", ""]
    ranked = sorted(rows, key=lambda r: (r.get("verdict") != "pass", -(r.get(ACCURACY) or -1.0), r["trial"]))
    lines += ["## All trials", "", table(ranked), "", "![Pareto fronts](pareto.png)", ""]
    return "\n".join(lines)


def plot(doc: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, reference = doc["rows"], doc.get("reference")
    everything = [reference, *rows] if reference else rows
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, (cost, title) in zip(axes, COSTS, strict=True):
        good = passing(everything, cost)
        bad = [r for r in everything if r.get("verdict") == "fail" and r.get(cost) and r.get(ACCURACY)]
        ax.scatter([r[cost] for r in good], [r[ACCURACY] for r in good], s=18, c="0.6", label="passing")
        ax.scatter(
            [r[cost] for r in bad], [r[ACCURACY] for r in bad], s=18, c="tab:red", marker="x", label="fails budget"
        )
        front = [r for r in good if r["trial"] in doc["pareto"][cost]]
        front.sort(key=lambda r: r[cost])
        ax.plot([r[cost] for r in front], [r[ACCURACY] for r in front], "o-", c="tab:blue", label="Pareto front")
        if reference and reference.get(cost) is not None and reference.get(ACCURACY) is not None:
            ax.scatter(
                [reference[cost]], [reference[ACCURACY]], s=120, marker="*", c="tab:orange", label="reference", zorder=3
            )
        ax.set_xlabel(title)
        ax.set_ylabel("int8 test accuracy")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{doc['mission']['name']}: {doc['trials_run']} trials ({doc['strategy']})", fontsize=10)
    fig.tight_layout()
    with atomic_output_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def write_report(out: Path, doc: dict[str, Any]) -> None:
    """Write search_report.md, search_report.html and pareto.png into `out`."""
    import markdown

    text = markdown_report(doc)
    atomic_write_text(out / "search_report.md", text)
    body = markdown.markdown(text, extensions=["tables"])
    style = (
        "body{font-family:sans-serif;max-width:1400px;margin:2em auto}table{border-collapse:collapse;"
        "font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px}"
    )
    atomic_write_text(
        out / "search_report.html",
        f"<!doctype html><html><head><meta charset='utf-8'><title>flightml search</title>"
        f"<style>{style}</style></head><body>{body}</body></html>\n",
    )
    plot(doc, out / "pareto.png")
