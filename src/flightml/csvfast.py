"""The fast path shared by flightml's CSV readers: a chunk of lines parsed by numpy's C parser.

Readers stream a file CHUNK lines at a time through `parse_numbers`; a chunk it refuses (None) is
re-read cell by cell by the reader, which then names the bad row and column.
"""

from __future__ import annotations

import warnings

import numpy as np


def parse_numbers(lines: list[str], width: int, columns: list[int]) -> np.ndarray | None:
    """The `columns` of `lines` (each exactly `width` comma-separated cells, unquoted) as float64
    [len(lines), len(columns)], every value finite; None when any line is blank, short, long or quoted,
    or a cell is not a finite number."""
    text = "".join(lines)
    if '"' in text or text.count(",") != len(lines) * (width - 1):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            data = np.loadtxt(lines, delimiter=",", usecols=columns, ndmin=2, comments=None, dtype=np.float64)
    except (ValueError, UserWarning):
        return None
    return data if len(data) == len(lines) and np.isfinite(data).all() else None
