"""Report section: mission budget verdict (one bar per budget line) and the measured power trace.

Reads RUN/budget.json (from the budget stage or `flightml budget`) and, when present,
RUN/power_trace.json (from `flightml power analyze TRACE --run RUN`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flightml.artifacts import RunDir, read_json
from flightml.report.base import Check, Figures, Section, md_table

ORDER = 80


def _bars(lines: list[dict[str, Any]], figures: Figures) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(lines) + 1.2))
    names = [line["name"] for line in lines][::-1]
    used = [min(line["value"] / line["limit"], 1.5) if line["limit"] else 1.5 for line in lines][::-1]
    colors = ["#2e7d32" if line["passed"] else "#c62828" for line in lines][::-1]
    ax.barh(names, used, color=colors)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xlim(0, 1.5)
    ax.set_xlabel("fraction of the limit used (limit includes the mission margin)")
    ax.set_title("Mission budgets")
    return figures.save(fig, "budget_lines")


def _trace_plot(trace: dict[str, Any], figures: Figures) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(trace["plot"]["t_s"], trace["plot"]["current_ma"], linewidth=0.6, color="#1565c0")
    for w in trace["windows"]:
        color = "#ffcc80" if w["flags"] and set(w["flags"]) & {"overflow", "gap", "edge"} else "#a5d6a7"
        ax.axvspan(w["t0_s"], w["t1_s"], color=color, alpha=0.5, linewidth=0)
    ax.axhline(trace["baseline_ma"], color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("current (mA)")
    ax.set_title(f"{trace['format']} trace, inference windows ({trace['windows_from']}) highlighted")
    return figures.save(fig, "power_trace")


def _fmt(value: float, unit: str) -> str:
    return f"{value:.0f} {unit}" if unit == "B" else f"{value:.4g} {unit}"


def render(run: RunDir, figures: Figures) -> Section | None:
    path = run.path("budget.json")
    if not path.is_file():
        return None
    doc = read_json(path, "budget")
    if doc["verdict"] == "not measured":
        text = f"Mission **{doc['mission']['name']}**: budget not measured: {doc['reason']}."
        return Section("Power and mission budget", text, [], [Check("budget", None, doc["reason"])])
    lines = doc["lines"]
    checks = [Check(f"budget: {line['name']}", bool(line["passed"]), line["detail"]) for line in lines]
    model = doc["model"]
    md = [
        f"Mission **{doc['mission']['name']}** on **{doc['profile']['part']}** ({doc['target']}, "
        f"{doc['profile']['figures']['clock_mhz']['value']:g} MHz): verdict **{doc['verdict'].upper()}**.",
        "",
        f"Modelled: {model['energy_uj_per_inference']:.4g} uJ per inference (worst case), "
        f"{model['avg_power_mw']:.4g} mW average at a {doc['mission']['period_s']:g} s period, "
        f"{model['peak_current_ma']:.4g} mA peak, WCET margin {doc['wcet_margin']:.3g}x.",
        "",
        md_table(["line", "value", "limit", "result"],
                 [[line["name"], _fmt(line["value"], line["unit"]), _fmt(line["limit"], line["unit"]),
                   "pass" if line["passed"] else "FAIL"] for line in lines]),
    ]
    md += [f"\n- note: {note}" for note in doc["notes"]]
    figs = [_bars(lines, figures)]
    trace_path = run.path("power_trace.json")
    if trace_path.is_file():
        trace = read_json(trace_path, "power trace analysis")
        figs.append(_trace_plot(trace, figures))
        modelled = trace.get("modelled", {})
        rows = [["energy per inference (uJ)", f"{trace['energy_uj_per_inference']:.4g}",
                 f"{modelled['energy_uj_typical']:.4g}" if modelled else "n/a"],
                ["peak current (mA)", f"{trace['peak_current_ma']:.4g}",
                 f"{modelled['peak_current_ma']:.4g}" if modelled else "n/a"],
                ["inference time (us)", f"{trace['inference_us']:.4g}",
                 f"{modelled['inference_us']:.4g}" if modelled else "n/a"]]
        md += ["", f"Measured trace `{trace['file']}`: {trace['clean_windows']} clean windows, "
                   f"baseline {trace['baseline_ma']:.4g} mA, burst {trace['burst']}. Measured energy is the median "
                   "over windows above the idle baseline; modelled is run current x typical inference time "
                   "(+ wake-up); peak is the sustained level the sensor resolves.", "",
               md_table(["figure", "measured", "modelled"], rows)]
        md += [f"\n- trace: {note}" for note in trace["notes"]]
        checks.append(Check("power trace resolved", bool(trace["resolved"]),
                            "; ".join(trace["notes"]) or "every window spans several sensor conversions"))
    return Section("Power and mission budget", "\n".join(md), figs, checks, ORDER)
