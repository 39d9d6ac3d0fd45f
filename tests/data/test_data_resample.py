"""Resampling, the coverage policy and normalisation, checked on analytic spectra."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightml.data.resample import covered_bands, natural_spline, normalise_at, resample_rows
from flightml.errors import InputError


def test_natural_spline_reproduces_a_straight_line_exactly() -> None:
    x = np.linspace(0.45, 2.45, 41)
    grid = np.linspace(0.45, 2.45, 97)
    y = np.stack([0.8 + 0.3 * x, 1.2 - 0.1 * x])
    np.testing.assert_allclose(natural_spline(x, y, grid), np.stack([0.8 + 0.3 * grid, 1.2 - 0.1 * grid]), atol=1e-12)


def test_natural_spline_of_a_smooth_band_is_close_and_passes_through_the_knots() -> None:
    x = np.linspace(0.45, 2.45, 41)
    f = lambda w: 1 + 0.2 * w - 0.15 * np.exp(-(((w - 1.0) / 0.2) ** 2))  # noqa: E731
    grid = np.linspace(0.5, 2.4, 200)
    np.testing.assert_allclose(natural_spline(x, f(x), x), f(x), atol=1e-12)
    assert np.max(np.abs(natural_spline(x, f(x), grid) - f(grid))) < 3e-3


def test_linear_resampling_is_exact_on_a_line_and_bounded_on_a_curve() -> None:
    wl = np.linspace(0.44, 0.92, 49)
    grid = np.linspace(0.45, 0.90, 64)
    values = np.stack([1 + 0.5 * (wl - 0.55), np.exp(wl)])
    out = resample_rows(wl, values, grid, 0.1, False, ["a", "b"])
    np.testing.assert_allclose(out.values[0], 1 + 0.5 * (grid - 0.55), atol=1e-12)
    # linear interpolation error <= h^2/8 max|f''| with h = 0.01
    assert np.max(np.abs(out.values[1] - np.exp(grid))) <= 0.01**2 / 8 * np.exp(0.92) + 1e-12


def test_coverage_rules_interior_gap_and_edges() -> None:
    samples = np.array([0.5, 0.6, 0.8, 0.9])
    grid = np.array([0.46, 0.44, 0.55, 0.7, 0.94, 0.96])
    assert covered_bands(samples, grid, max_gap=0.1).tolist() == [True, False, True, False, True, False]
    assert covered_bands(samples, grid, max_gap=0.2).tolist() == [True, True, True, True, True, True]


def test_missing_values_interpolated_within_the_limit_else_row_dropped() -> None:
    wl = np.linspace(0.4, 1.0, 13)  # 0.05 um steps
    row = 1 + 0.2 * wl
    small_gap, big_gap = row.copy(), row.copy()
    small_gap[5] = np.nan
    big_gap[4:8] = np.nan
    grid = np.linspace(0.45, 0.95, 11)
    out = resample_rows(wl, np.stack([small_gap, big_gap]), grid, 0.1, False, ["line 2", "line 3"])
    assert out.kept.tolist() == [0] and out.dropped == ["line 3"]
    np.testing.assert_allclose(out.values[0], 1 + 0.2 * grid, atol=1e-12)
    with pytest.raises(InputError, match=r"line 2 has no value at 0.65 um"):
        resample_rows(wl, np.stack([small_gap]), grid, 0.1, True, ["line 2"])


def test_normalise_at_reference_and_outside_the_grid() -> None:
    grid = np.linspace(0.45, 0.9, 10)
    out = normalise_at(grid, np.stack([2 * grid, 3 + 0 * grid]), 0.55, "t")
    np.testing.assert_allclose(out[:, np.argmin(np.abs(grid - 0.55))], 1.0)
    with pytest.raises(InputError, match=r"reference wavelength 1.2 um"):
        normalise_at(grid, np.ones((1, 10)), 1.2, "t")


@settings(max_examples=40, deadline=None)
@given(
    slope=st.floats(-2, 2),
    offset=st.floats(0.5, 2),
    lo=st.floats(0.3, 1.0),
    width=st.floats(0.2, 2.0),
    n=st.integers(5, 60),
)
def test_resampling_a_line_is_exact_for_any_grid(slope: float, offset: float, lo: float, width: float, n: int) -> None:
    wl = np.linspace(lo, lo + width, n)
    grid = np.linspace(lo, lo + width, 17)
    values = (offset + slope * (wl - lo))[None, :]
    gap = width / (n - 1)
    out = resample_rows(wl, values, grid, gap, False, ["row"])
    np.testing.assert_allclose(out.values[0], offset + slope * (grid - lo), atol=1e-9)
    np.testing.assert_allclose(natural_spline(wl, values, grid)[0], offset + slope * (grid - lo), atol=1e-9)
