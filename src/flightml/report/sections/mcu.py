"""Report section: the generated C on emulated Cortex-M cores (RUN/verify_mcu.json).

Per target: bit-exactness against the host build, instructions per inference (exact, from QEMU),
estimated cycles and WCET (timing model, see flightml.mcu.timing), flash and RAM of the model and
the worst-case stack; a per-layer instruction breakdown and the flash split as figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flightml.artifacts import RunDir, read_json
from flightml.report.base import Check, Figures, Section, md_table

ORDER = 40


def _per_layer_plot(targets: dict[str, dict[str, Any]], figures: Figures) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(targets)
    layers = [f"{row['layer']} ({row['kernel']})" for row in targets[names[0]]["per_layer"]]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.5))
    left = [0.0] * len(names)
    for i, label in enumerate(layers):
        values = [targets[n]["per_layer"][i]["instructions"] / 1000 for n in names]
        ax.barh(names, values, left=left, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlabel("instructions per inference (thousands, exact count under QEMU)")
    ax.set_title("Per-layer instructions by core")
    ax.legend(fontsize=7, loc="lower right")
    return figures.save(fig, "mcu_per_layer")


def _flash_plot(targets: dict[str, dict[str, Any]], figures: Figures) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(targets)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.5))
    left = [0.0] * len(names)
    parts = (("weight_bytes", "weights + biases"), ("code_bytes", "code"), ("const_bytes", "other constants"))
    for key, label in parts:
        values = [targets[n][key] / 1024 for n in names]
        ax.barh(names, values, left=left, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlabel("model flash (KiB, from the linked ELF; harness and startup excluded)")
    ax.set_title("Flash split by core")
    ax.legend(fontsize=7, loc="lower right")
    return figures.save(fig, "mcu_flash")


def _kib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 1024:.2f} KiB"


def _row(name: str, r: dict[str, Any]) -> list[object]:
    if r["instructions"] is None:
        return [
            name,
            r["status"],
            r["kernels"] or "n/a",
            "n/a",
            "n/a",
            "n/a",
            "n/a",
            "n/a",
            _kib(r["flash_bytes"]),
            _kib(r["ram_bytes"]),
            "n/a" if r["stack_bytes"] is None else f"{r['stack_bytes']} B",
        ]
    macs = sum(layer["macs"] for layer in r["per_layer"]) or 1
    median = r["instructions"]["median"]
    return [
        name,
        r["status"],
        r["kernels"],
        f"{100 * r['bitexact']:.1f}%",
        f"{median:,}",
        f"{median / macs:.2f}",
        f"{r['cycles_est']['median']:,}",
        f"{r['wcet_us']:,.1f}",
        _kib(r["flash_bytes"]),
        _kib(r["ram_bytes"]),
        "n/a" if r["stack_bytes"] is None else f"{r['stack_bytes']} B",
    ]


def _per_layer_cell(layer: dict[str, Any]) -> str:
    """Instructions of one layer, with instructions per MAC when it has MACs (a slow shape stands out)."""
    per_mac = layer.get("instructions_per_mac")
    return f"{layer['instructions']:,}" + ("" if per_mac is None else f" ({per_mac:.2f}/MAC)")


def _check(name: str, r: dict[str, Any]) -> Check:
    if r["status"] == "skipped":
        return Check(f"bit-exact on {name}", None, r["reason"])
    passed = r["status"] == "ok" and r["bitexact"] == 1.0
    detail = f"{r['samples']} samples equal the host build" if passed else f"{r['status']}: {r['reason']}"
    return Check(f"bit-exact on {name}", passed, detail)


def render(run: RunDir, figures: Figures) -> Section | None:
    path = run.path("verify_mcu.json")
    if not path.is_file():
        return None
    targets: dict[str, dict[str, Any]] = read_json(path, "MCU verification")["targets"]
    if not targets:
        return None
    any_r = next(iter(targets.values()))
    md = [
        f"The generated C, cross-built with arm-none-eabi-gcc -O2 and run under qemu-system-arm on each core's "
        f"board. Instructions are exact counts per inference (median over samples); cycles and WCET are "
        f"**estimated** from each core's timing table at its clock and flash wait states (see the WCET section); "
        f"WCET = max estimated cycles x {any_r['wcet_margin']:g}.",
        "",
        md_table(
            [
                "target",
                "status",
                "kernels",
                "bit-exact",
                "instructions",
                "instr/MAC",
                "cycles (est.)",
                "WCET (est., us)",
                "flash",
                "RAM",
                "stack",
            ],
            [_row(n, r) for n, r in targets.items()],
        ),
    ]
    md += [f"\n- {name}: {r['reason']}" for name, r in targets.items() if r["reason"]]
    measured = {n: r for n, r in targets.items() if r["per_layer"]}
    figs = []
    if measured:
        names = list(measured)
        layers = measured[names[0]]["per_layer"]
        rows = [
            [
                row["layer"],
                row["kernel"],
                f"{row['macs']:,}",
                *(_per_layer_cell(measured[n]["per_layer"][i]) for n in names),
            ]
            for i, row in enumerate(layers)
        ]
        md += [
            "",
            "Instructions per layer (median per inference; exact counts; per multiply-accumulate in brackets):",
            "",
            md_table(["layer", "kernel", "MACs", *names], rows),
        ]
        figs.append(_per_layer_plot(measured, figures))
    if any(r["flash_bytes"] is not None for r in targets.values()):
        figs.append(_flash_plot({n: r for n, r in targets.items() if r["flash_bytes"] is not None}, figures))
    checks = [_check(name, r) for name, r in targets.items()]
    return Section("On the flight computer's core (emulated Cortex-M)", "\n".join(md), figs, checks, ORDER)
