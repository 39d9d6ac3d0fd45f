"""Report building blocks: sections, checks and figures.

A section module in `flightml/report/sections/` defines `ORDER: int` (position in the report) and
`render(run: RunDir, figures: Figures) -> Section | None`, reading only artifacts in the run
directory (return None when its artifacts are absent). Checks feed the flight-readiness verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flightml.artifacts import atomic_output_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIGURES_DIR = "figures"


@dataclass(frozen=True)
class Check:
    """One line of the verdict: `passed` None means not applicable / not measured."""

    name: str
    passed: bool | None
    detail: str


@dataclass
class Section:
    title: str
    markdown: str
    figures: list[Path] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    order: int = 100


class Figures:
    """Saves matplotlib figures as PNGs under RUN/figures/ (deterministic metadata)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root) / FIGURES_DIR

    def save(self, fig: Figure, name: str) -> Path:
        import matplotlib.pyplot as plt

        target = self.root / f"{name}.png"
        with atomic_output_path(target) as tmp:
            fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        return target


def md_table(headers: list[str], rows: list[list[object]]) -> str:
    """A Markdown table; cells are str()-ed and a "|" inside a cell is escaped."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(map(cell, headers)) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)
