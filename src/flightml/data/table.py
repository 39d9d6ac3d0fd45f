"""Observed spectra before resampling: the common form of the `smass2` and `csv` sources."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SpectrumTable:
    """`values` [n, w] reflectance at `wavelengths` [w] (µm, increasing), NaN = not measured.

    `labels` are raw class names, `rows` name each spectrum for messages (file line or object),
    `objects` identify the asteroid (a split never puts one object in both train and test);
    `dropped` names the rows left out while reading, with the reason.
    """

    name: str
    wavelengths: np.ndarray
    values: np.ndarray
    labels: list[str]
    rows: list[str]
    objects: list[str]
    dropped: list[str] = field(default_factory=list)

    @property
    def coverage(self) -> tuple[float, float]:
        return float(self.wavelengths[0]), float(self.wavelengths[-1])

    def subset(self, index: np.ndarray) -> SpectrumTable:
        return SpectrumTable(
            self.name,
            self.wavelengths,
            self.values[index],
            [self.labels[i] for i in index],
            [self.rows[i] for i in index],
            [self.objects[i] for i in index],
            list(self.dropped),
        )
