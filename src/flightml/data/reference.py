"""The reference study's synthetic generator: four asteroid complexes, S/C/X/V.

With b = linspace(0, 1, bands), each sample draws its class uniformly, then adds Gaussian noise and
divides by its maximum. Train is drawn first, then test, from one `default_rng(seed)`.
"""

from __future__ import annotations

import numpy as np

from flightml.data.spectra import Spectra

CLASS_NAMES = ["S", "C", "X", "V"]


def class_shape(label: int, b: np.ndarray) -> np.ndarray:
    """The noiseless continuum of complex `label` on the unit band grid `b`."""
    if label == 0:
        return 0.8 + 0.5 * b - 0.15 * np.exp(-(((b - 0.6) / 0.12) ** 2))
    if label == 1:
        return 0.55 + 0.05 * b
    if label == 2:
        return 0.85 + 0.1 * b
    return 0.9 + 0.4 * b - 0.4 * np.exp(-(((b - 0.65) / 0.1) ** 2))


def _draw(rng: np.random.Generator, n: int, bands: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    b = np.linspace(0, 1, bands)
    x = np.empty((n, 1, bands), dtype=np.float32)
    y = np.empty(n, dtype=np.int64)
    for i in range(n):
        label = int(rng.integers(0, 4))
        spectrum = class_shape(label, b) + rng.normal(0, noise, bands)
        x[i, 0] = (spectrum / spectrum.max()).astype(np.float32)
        y[i] = label
    return x, y


def generate(n_train: int, n_test: int, bands: int = 64, noise: float = 0.03, seed: int = 0) -> Spectra:
    rng = np.random.default_rng(seed)
    x_train, y_train = _draw(rng, n_train, bands, noise)
    x_test, y_test = _draw(rng, n_test, bands, noise)
    return Spectra(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        wavelengths=np.linspace(0, 1, bands),
        class_names=list(CLASS_NAMES),
        meta={"source": "reference", "seed": seed, "noise": noise, "unit": "normalised band index"},
    )
