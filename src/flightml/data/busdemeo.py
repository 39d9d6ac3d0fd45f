"""`busdemeo` source: synthetic spectra drawn from the Bus-DeMeo class means and sigmas.

Model, per spectrum, on the band grid λ (µm), for a class with mean m(λ) and 1-σ spread s(λ) (both
taken through a natural cubic spline of the published 0.05 µm table, normalised at 0.55 µm):

    r(λ) = [c(λ) + (1 + δ)(m(λ) - c(λ)) + s(λ) z(λ)] · (1 + γ (λ - λ_ref)) + ε(λ),   then r / r(λ_ref)

* c is the upper convex hull of m (the continuum), so δ ~ N(0, depth_sd²) scales every absorption
  band depth together;
* z is a zero-mean, unit-variance Gaussian process with squared-exponential correlation of length
  `corr_um`, so the class spread is smooth and matches the published sigma band by band;
* γ ~ N(slope_mean, slope_sd²) per µm is an extra spectral-slope (space weathering, phase reddening) term;
* s is the published sigma times `sigma_scale` (1 = as published);
* ε ~ N(0, noise²) is white measurement noise; r is floored at 0.01 before normalisation.

Labels are drawn uniformly, or with the frequencies `class_weights` gives; within a complex, the
member class is drawn in proportion to its number of objects in the PDS Bus-DeMeo table (Neese
2010). Classes with undefined sigma (-0.999: Cg, O, R) borrow the band-wise median sigma of the
other classes of their complex, or are left out (`undefined_sigma = "drop"`). Xn (not one of the
paper's 24 classes) is left out unless `include_xn`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from flightml.data.resample import natural_spline
from flightml.data.taxonomy import BUSDEMEO_CLASSES, complex_of, map_label, ordered
from flightml.errors import InputError

FILE = Path(__file__).parent / "files" / "busdemeo2009_class_mean_spectra.csv"
CITATION = (
    "DeMeo, Binzel, Slivan, Bus (2009), An extension of the Bus asteroid taxonomy into the near-infrared, "
    "Icarus 202, 160-180, doi:10.1016/j.icarus.2009.02.005; PDS EAR-A-VARGBDET-5-BUSDEMEOTAX-V1.0"
)
UNDEFINED = -0.999
RANGE_UM = (0.45, 2.45)
# Objects per class in the PDS Bus-DeMeo classification (Neese 2010, 'w' and ':' stripped).
PDS_COUNTS = {
    "S": 144, "Sq": 29, "Sr": 22, "L": 22, "Ch": 18, "Xk": 18, "V": 17, "K": 16, "D": 16, "C": 13,
    "Cgh": 10, "Q": 8, "Xe": 7, "A": 6, "B": 4, "X": 4, "T": 4, "Xc": 3, "Cb": 3, "Sa": 2, "Sv": 2,
    "Cg": 1, "R": 1, "O": 1, "Xn": 1,
}  # fmt: skip


@dataclass(frozen=True)
class Templates:
    """Class means and sigmas on the published grid: `wavelengths` [41] µm, dicts of [41] arrays.

    An undefined sigma (-0.999 in the file) is NaN here.
    """

    wavelengths: np.ndarray
    means: dict[str, np.ndarray]
    sigmas: dict[str, np.ndarray]


@cache
def load_templates() -> Templates:
    with open(FILE, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    wavelengths = np.array([float(r["wave"]) for r in rows])
    means = {c: np.array([float(r[f"{c}_Mean"]) for r in rows]) for c in BUSDEMEO_CLASSES}
    sigmas = {}
    for c in BUSDEMEO_CLASSES:
        sigma = np.array([float(r[f"{c}_Sigma"]) for r in rows])
        sigmas[c] = np.where(np.isclose(sigma, UNDEFINED), np.nan, sigma)
    return Templates(wavelengths, means, sigmas)


def upper_hull(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The upper convex hull of (x, y) evaluated at x (the continuum of a spectrum)."""
    hull: list[int] = []
    for i in range(x.size):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (y[b] - y[a]) * (x[i] - x[a]) <= (y[i] - y[a]) * (x[b] - x[a]):
                hull.pop()
            else:
                break
        hull.append(i)
    return np.interp(x, x[hull], y[hull])


@dataclass(frozen=True)
class BusDeMeoModel:
    """The generator for one band grid and label policy (see the module docstring)."""

    grid: np.ndarray
    class_names: list[str]
    members: list[str]
    member_label: np.ndarray
    member_weight: np.ndarray
    means: np.ndarray
    continua: np.ndarray
    sigmas: np.ndarray
    chol: np.ndarray
    noise: float
    slope_mean: float
    slope_sd: float
    depth_sd: float
    reference_um: float
    label_p: np.ndarray | None = None

    def draw(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """`n` spectra [n, bands] (normalised at reference_um) and labels [n] (indices of class_names)."""
        if self.label_p is None:
            labels = rng.integers(0, len(self.class_names), n)
        else:
            labels = rng.choice(len(self.class_names), size=n, p=self.label_p)
        members = np.empty(n, dtype=np.int64)
        for label in range(len(self.class_names)):
            pick = np.flatnonzero(labels == label)
            candidates = np.flatnonzero(self.member_label == label)
            weights = self.member_weight[candidates] / self.member_weight[candidates].sum()
            members[pick] = rng.choice(candidates, size=pick.size, p=weights)
        bands = self.grid.size
        z = rng.standard_normal((n, bands)) @ self.chol.T
        depth = 1 + self.depth_sd * rng.standard_normal((n, 1))
        gamma = self.slope_mean + self.slope_sd * rng.standard_normal((n, 1))
        slope = 1 + gamma * (self.grid - self.reference_um)
        base = self.continua[members] + depth * (self.means[members] - self.continua[members])
        spectra = (base + self.sigmas[members] * z) * slope + self.noise * rng.standard_normal((n, bands))
        spectra = np.maximum(spectra, 0.01)
        scale = np.array([np.interp(self.reference_um, self.grid, row) for row in spectra])
        return spectra / scale[:, None], labels.astype(np.int64)


def build_model(
    grid: np.ndarray,
    *,
    labels: str,
    end_members: str,
    undefined_sigma: str,
    include_xn: bool,
    noise: float,
    slope_mean: float,
    slope_sd: float,
    sigma_scale: float,
    depth_sd: float,
    corr_um: float,
    max_gap_um: float,
    reference_um: float,
    class_weights: dict[str, float] | None = None,
) -> BusDeMeoModel:
    """Resample the templates to `grid` (µm) and fix the label set and member weights."""
    lo, hi = RANGE_UM
    if grid[0] < lo - max_gap_um / 2 - 1e-9 or grid[-1] > hi + max_gap_um / 2 + 1e-9:
        raise InputError(
            f"busdemeo: the band grid {grid[0]:g}-{grid[-1]:g} um extends beyond the Bus-DeMeo templates "
            f"({lo:g}-{hi:g} um, tolerance data.max_gap_um/2)"
        )
    templates = load_templates()
    sigmas = _filled_sigmas(templates, undefined_sigma)
    members, member_labels = [], []
    for name in BUSDEMEO_CLASSES:
        if (name == "Xn" and not include_xn) or name not in sigmas:
            continue
        label = map_label(name, labels, end_members)
        if label is not None:
            members.append(name)
            member_labels.append(label)
    class_names = ordered(set(member_labels))
    label_p = None
    if class_weights:
        if set(class_weights) != set(class_names):
            raise InputError(
                f"data.class_weights: expected a weight for each of {', '.join(class_names)} and no other label, "
                f"got {', '.join(class_weights)}"
            )
        label_p = np.array([class_weights[name] for name in class_names])
        label_p = label_p / label_p.sum()
    means = natural_spline(templates.wavelengths, np.stack([templates.means[m] for m in members]), grid)
    distance = grid[:, None] - grid[None, :]
    kernel = np.exp(-0.5 * (distance / max(corr_um, 1e-6)) ** 2) + 1e-6 * np.eye(grid.size)
    return BusDeMeoModel(
        grid=grid,
        class_names=class_names,
        members=members,
        member_label=np.array([class_names.index(label) for label in member_labels]),
        member_weight=np.array([float(PDS_COUNTS[m]) if labels == "complex" else 1.0 for m in members]),
        means=means,
        continua=np.stack([upper_hull(grid, m) for m in means]),
        sigmas=sigma_scale * natural_spline(templates.wavelengths, np.stack([sigmas[m] for m in members]), grid),
        chol=np.linalg.cholesky(kernel),
        noise=noise,
        slope_mean=slope_mean,
        slope_sd=slope_sd,
        depth_sd=depth_sd,
        reference_um=reference_um,
        label_p=label_p,
    )


def _filled_sigmas(templates: Templates, policy: str) -> dict[str, np.ndarray]:
    """Sigmas with the undefined ones borrowed from the class's complex ('complex') or dropped."""
    defined = {c: s for c, s in templates.sigmas.items() if not np.isnan(s).any() and c != "Xn"}
    filled = dict(defined)
    if "Xn" in templates.sigmas:
        filled["Xn"] = templates.sigmas["Xn"]
    if policy == "complex":
        for name, sigma in templates.sigmas.items():
            if np.isnan(sigma).any():
                peers = [s for c, s in defined.items() if complex_of(c) == complex_of(name)]
                filled[name] = np.median(np.stack(peers), axis=0)
    return filled
