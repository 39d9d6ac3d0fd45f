"""Report section: radiation bit flips (accuracy against flips, layer x bit sensitivity, self-test
detection, C confirmation) and the cost of the integrity protection. Reads RUN/faults.json only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from flightml.artifacts import RunDir, read_json
from flightml.report.base import Check, Figures, Section, md_table

ORDER = 60


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _accuracy_plot(doc: dict[str, Any], figures: Figures) -> Path:
    plt = _plt()
    rows = doc["by_flips"]
    n = [r["flips"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    ax.plot(n, [r["accuracy_mean"] for r in rows], "o-", color="#1565c0", label="mean accuracy")
    ax.fill_between(n, [r["accuracy_p5"] for r in rows], [r["accuracy_mean"] for r in rows], color="#1565c0",
                    alpha=0.2, label="5th percentile to mean, over trials")
    ax.axhline(doc["model"]["clean_accuracy"], color="grey", linestyle="--", linewidth=0.8, label="no flips")
    ax.set_xscale("log")
    ax.set_xlabel(f"bit flips per inference ({doc['settings']['where']})")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("Accuracy against bit flips")
    return figures.save(fig, "faults_accuracy")


def _heatmap(sens: dict[str, Any], figures: Figures) -> Path:
    plt = _plt()
    rows = sens["arrays"] + [{"array": f"arena: {r['tensor'][:28]}", "rate_by_bit": r["rate_by_bit"]}
                             for r in sens["arena"]]
    grid = np.full((len(rows), 32), np.nan)
    for i, r in enumerate(rows):
        grid[i, : len(r["rate_by_bit"])] = [np.nan if v is None else v for v in r["rate_by_bit"]]
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(rows) + 1.4))
    im = ax.imshow(grid, aspect="auto", cmap="magma_r", vmin=0, vmax=max(float(np.nanmax(grid)), 1e-6))
    ax.set_yticks(range(len(rows)), [r["array"] for r in rows], fontsize=7)
    ax.set_xticks(range(0, 32, 4))
    ax.set_xlabel("bit position in the element (0 = LSB)")
    ax.set_title("Class-change rate of one flipped bit (layer x bit)")
    fig.colorbar(im, ax=ax, fraction=0.03, label="fraction of samples whose class changes")
    return figures.save(fig, "faults_sensitivity")


def _costs(prot: dict[str, Any] | None) -> list[str]:
    if not prot:
        return []
    flash, ins, rel = prot["flash_bytes"], prot.get("instructions", {}), prot.get("relative_to_invoke", {})

    def row(label: str, key: str, size: object) -> list[object]:
        return [label, size, ins.get(key, "n/a"), rel.get(key, "n/a")]

    rows = [
        ["CRC-32 core (64 B nibble table) + region table", flash["crc_core"] + flash["region_table"], "", ""],
        row("self-test (whole image)", "selftest", flash["selftest"]),
        row(f"scrub step ({prot['scrub_chunk_bytes']} B chunk; {prot['scrub_chunks']} per pass)", "scrub_step",
            flash["scrub"]),
        row("voted inference, 2 runs", "voted2", flash["voted"]),
        row("voted inference, 3 runs", "voted3", "(same)"),
        row("one inference (reference point)", "invoke", ""),
    ]
    return ["", f"Protection cost. Flash bytes: {flash['target']} (model constants: {flash['model_constants']} B). "
            f"Time: instructions of one call on {ins.get('target', 'n/a')}, and relative to one inference.", "",
            md_table(["feature", "flash (B)", "instructions", "x one inference"], rows)]


def render(run: RunDir, figures: Figures) -> Section | None:
    path = run.path("faults.json")
    if not path.is_file():
        return None
    doc = read_json(path, "fault injection results")
    model, settings, sel, c = doc["model"], doc["settings"], doc["selftest"], doc["c_check"]
    md = [
        f"Monte Carlo bit flips in the memory of the compiled model ({model['mode']}, {model['image_bytes']} B of "
        f"constants, {model['arena_bytes']} B arena; flips drawn uniformly over `{settings['where']}`), "
        f"{settings['trials']} trials per flip count on {model['samples']} test samples, evaluated with the integer "
        f"reference (seed {settings['seed']}). Accuracy without flips: {model['clean_accuracy']:.4f}.",
        "",
        md_table(["flips", "accuracy (mean)", "accuracy (p5)", "class changes", "trials with a change",
                  "self-test detection"],
                 [[r["flips"], f"{r['accuracy_mean']:.4f}", f"{r['accuracy_p5']:.4f}",
                   f"{r['class_change_rate']:.3%}", f"{r['trials_with_class_change']:.1%}",
                   "n/a" if r["selftest_detection_rate"] is None else f"{r['selftest_detection_rate']:.2%}"]
                  for r in doc["by_flips"]]),
        "",
        f"Self-test (CRC-32 over the constant image) detection: "
        f"{'n/a' if sel['detection_rate'] is None else format(sel['detection_rate'], '.2%')} of "
        f"{sel['trials_with_constant_faults']} trials that changed the constants. Arena flips are transient; "
        "the CRC cannot see them, voted inference can.",
    ]
    figs = [_accuracy_plot(doc, figures)]
    sens = doc.get("sensitivity")
    if sens:
        figs.append(_heatmap(sens, figures))
        md += ["", "Expected class-change rate of one random flip in each layer's constants:", "",
               md_table(["layer", "bytes", "class-change rate"],
                        [[r["layer"], r["bytes"], f"{r['class_change_rate']:.4%}"] for r in sens["per_layer"]]),
               "", "Worst single flips of the sweep:", "",
               md_table(["where", "element", "bit", "class changes", "accuracy"],
                        [[w.get("array", w.get("tensor")), w["element"], w["bit"], f"{w['class_change_rate']:.1%}",
                          f"{w['accuracy']:.3f}"] for w in sens["worst_single_flips"]])]
    if c["trials"]:
        md += ["", f"C build on faulty images: {c['trials']} trials, outputs equal to the reference in "
                   f"{c['outputs_equal_reference']:.0%}, C self-test verdict equal to the CRC in "
                   f"{c['selftest_agrees_with_crc']:.0%}, scrub pass in {c['scrub_agrees_with_crc']:.0%}."]
    md += _costs(doc.get("protection"))
    checks = [Check("faults: self-test detects constant-image flips",
                    None if sel["detection_rate"] is None else sel["detection_rate"] == 1.0,
                    f"CRC-32 detection rate {sel['detection_rate']}")]
    if c["trials"]:
        checks.append(Check("faults: C equals the reference on faulty images",
                            c["outputs_equal_reference"] == 1.0 and bool(c.get("clean_image_passes")),
                            f"{c['trials']} trials re-run on the C build; fault-free image passes its self-test: "
                            f"{c.get('clean_image_passes')}"))
    return Section("Radiation: bit flips and integrity protection", "\n".join(md), figs, checks, ORDER)
