"""Resampling onto a band grid, the coverage policy, and normalisation at a reference wavelength.

Coverage policy (`data.max_gap_um` = G): a band is covered by a spectrum when it lies on a measured
sample, between two measured samples at most G apart (linear interpolation), or beyond the
measured range by at most G/2 (the edge value is held). Missing values (NaN) are simply not
measured samples. A spectrum with an uncovered band is dropped and counted ('interpolate' policy)
or is an error naming the row and wavelength ('strict').
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flightml.errors import InputError

_EPS = 1e-9


def natural_spline(x: np.ndarray, y: np.ndarray, x_new: np.ndarray) -> np.ndarray:
    """Natural cubic spline through (x, y[..., len(x)]) evaluated at x_new (edge value held outside).

    x strictly increasing [k]; y [..., k]; returns [..., len(x_new)].
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    h = np.diff(x)
    k = x.size
    second = np.zeros((*y.shape[:-1], k))
    if k > 2:
        system = np.diag(2 * (h[:-1] + h[1:])) + np.diag(h[1:-1], 1) + np.diag(h[1:-1], -1)
        slopes = np.diff(y, axis=-1) / h
        rhs = 6 * np.diff(slopes, axis=-1)
        second[..., 1:-1] = np.linalg.solve(system, rhs.reshape(-1, k - 2).T).T.reshape(rhs.shape)
    t = np.clip(np.asarray(x_new, dtype=np.float64), x[0], x[-1])
    i = np.clip(np.searchsorted(x, t, side="right") - 1, 0, k - 2)
    hi, a, b = h[i], x[i + 1] - t, t - x[i]
    return (
        second[..., i] * a**3 / (6 * hi)
        + second[..., i + 1] * b**3 / (6 * hi)
        + (y[..., i] / hi - second[..., i] * hi / 6) * a
        + (y[..., i + 1] / hi - second[..., i + 1] * hi / 6) * b
    )


def covered_bands(samples: np.ndarray, grid: np.ndarray, max_gap: float) -> np.ndarray:
    """Boolean [bands]: which grid wavelengths the sorted measured `samples` cover (policy above)."""
    if samples.size == 0:
        return np.zeros(grid.size, dtype=bool)
    idx = np.searchsorted(samples, grid)
    left = samples[np.clip(idx - 1, 0, samples.size - 1)]
    right = samples[np.clip(idx, 0, samples.size - 1)]
    nearest = np.minimum(np.abs(grid - left), np.abs(right - grid))
    interior = (idx > 0) & (idx < samples.size)
    return (
        (nearest <= _EPS)
        | (interior & (right - left <= max_gap + _EPS))
        | (~interior & (nearest <= max_gap / 2 + _EPS))
    )


@dataclass
class Resampled:
    """Rows kept after the coverage policy: `values` [kept, bands], `kept` indices into the input."""

    values: np.ndarray
    kept: np.ndarray
    dropped: list[str] = field(default_factory=list)


def resample_rows(
    wavelengths: np.ndarray,
    values: np.ndarray,
    grid: np.ndarray,
    max_gap: float,
    strict: bool,
    row_names: list[str],
) -> Resampled:
    """Resample rows of `values` [n, w] (NaN = missing) measured at `wavelengths` [w] onto `grid` [bands].

    `row_names` name the rows in errors (they should say the file and line).
    """
    out = np.empty((values.shape[0], grid.size))
    kept: list[int] = []
    dropped: list[str] = []
    for row, spectrum in enumerate(values):
        valid = np.isfinite(spectrum)
        if strict and not valid.all():
            column = float(wavelengths[np.argmin(valid)])
            raise InputError(f"{row_names[row]} has no value at {column:g} um (data.coverage_policy strict)")
        covered = covered_bands(wavelengths[valid], grid, max_gap)
        if not covered.all():
            if strict:
                band = float(grid[np.argmin(covered)])
                raise InputError(
                    f"{row_names[row]} does not cover the band at {band:g} um (data.coverage_policy strict)"
                )
            dropped.append(row_names[row])
            continue
        out[len(kept)] = np.interp(grid, wavelengths[valid], spectrum[valid])
        kept.append(row)
    return Resampled(out[: len(kept)], np.array(kept, dtype=np.int64), dropped)


def normalise_at(grid: np.ndarray, values: np.ndarray, reference: float, origin: str) -> np.ndarray:
    """Divide each row of `values` [n, bands] by its value interpolated at `reference` (um)."""
    if not grid[0] - _EPS <= reference <= grid[-1] + _EPS:
        raise InputError(
            f"{origin}: reference wavelength {reference:g} um (data.reference_um) is outside the band grid "
            f"{grid[0]:g}-{grid[-1]:g} um"
        )
    scale = np.array([np.interp(reference, grid, row) for row in values])
    return values / scale[:, None]
