"""`smass2` source: the SMASSII visible spline-fit spectra (1341 asteroids, 0.44-0.92 µm, Bus classes)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np

from flightml.data.table import SpectrumTable

FILE = Path(__file__).parent / "files" / "smass2_vis_spfit_matrix.csv"
CITATION = (
    "Bus & Binzel (2002), Phase II of the Small Main-Belt Asteroid Spectroscopic Survey, Icarus 158, "
    "106-145 and 146-177; labels: Neese (2010), Asteroid Taxonomy V6.0, EAR-A-5-DDR-TAXONOMY-V6.0, NASA PDS"
)
_META = ("number", "designation", "name", "bus_class", "busdemeo_class", "tholen_class", "source_file")


@cache
def _read() -> tuple[list[str], list[dict[str, str]]]:
    with open(FILE, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    return [c for c in reader.fieldnames or [] if c not in _META], rows


def load() -> SpectrumTable:
    """Every spectrum with a Bus class (the 2 without one are listed in `dropped`)."""
    columns, all_rows = _read()
    rows = [r for r in all_rows if r["bus_class"]]
    dropped = [f"SMASSII {r['source_file']}: no Bus class" for r in all_rows if not r["bus_class"]]
    values = np.array([[float(r[c]) for c in columns] for r in rows])
    objects = [r["number"] or r["designation"] for r in rows]
    names = [f"SMASSII {r['source_file']} ({r['number'] or ''} {r['name'] or r['designation']})" for r in rows]
    return SpectrumTable(
        name="smass2",
        wavelengths=np.array([float(c) for c in columns]),
        values=values,
        labels=[r["bus_class"] for r in rows],
        rows=names,
        objects=objects,
        dropped=dropped,
    )
