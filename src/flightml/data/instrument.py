"""Instrument descriptions: band responses, noise and systematic errors (`[instrument]`, `--instrument`).

An instrument is a TOML file (examples shipped in `flightml/data/instruments/`, usable by name).
Every wavelength in it is in `unit`:

    name = "16-band spectrophotometer"   # free text
    unit = "nm"                          # "um" or "nm"
    shape = "tophat"                     # bands given by centre and width: "tophat" or "gaussian" (width = FWHM,
                                         # response cut at +-1 FWHM)
    centres = [460.0, 489.3, ...]        # band centres, increasing
    widths = 44.0                        # one width for every band, or one per band
    # or, instead of shape/centres/widths, one response table per band (in band order):
    # [[band]]
    # wavelengths = [430.0, 440.0, 480.0, 490.0]   # increasing
    # response = [0.0, 1.0, 1.0, 0.0]              # >= 0, linear between points, 0 outside

    [noise]
    model = "snr"          # "snr": sd = r / snr; "photon": sd = sqrt(r * signal_e + read_e^2) / signal_e
    snr = 100.0            # number or one per band: signal-to-noise ratio at reflectance 1
    signal_e = 20000.0     # photon model: electrons per band at reflectance 1 (number or one per band)
    read_e = 20.0          # photon model: read noise, electrons

    [systematics]
    calibration_sd = 0.01  # per-band multiplicative calibration error, 1 sigma (number or one per band)
    slope_sd = 0.1         # solar-analog slope error: factor 1 + g (lambda - reference_um), g ~ N(0, slope_sd^2) /um
    bad_bands = [3]        # known bad bands (1 = the first): replaced by interpolation between good neighbours

Observation of a spectrum r(lambda): each band integrates r over its response (weights normalised to
1), then per spectrum m_k = b_k (1 + c_k)(1 + g (lambda_k - lambda_ref)) + n_k with c_k ~ N(0, calibration_sd_k^2)
and n_k ~ N(0, sd_k(b_k)^2); bad bands are then interpolated. Real spectra are only integrated (they carry
their own noise and calibration) and their bad bands interpolated.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from flightml.errors import InputError

SHIPPED = Path(__file__).parent / "instruments"
STEP_UM = 0.0025
_TOP = ("name", "unit", "shape", "centres", "widths", "band", "noise", "systematics")
_NOISE = ("model", "snr", "signal_e", "read_e")
_SYSTEMATICS = ("calibration_sd", "slope_sd", "bad_bands")


@dataclass(frozen=True)
class Instrument:
    """A parsed instrument, wavelengths in um. `tables` (per band: wavelengths, response) or shape/widths."""

    name: str
    origin: str
    centres: np.ndarray
    shape: str
    widths: np.ndarray
    tables: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]
    noise_model: str
    snr: np.ndarray
    signal_e: np.ndarray
    read_e: float
    calibration_sd: np.ndarray
    slope_sd: float
    bad_bands: tuple[int, ...]

    @property
    def bands(self) -> int:
        return int(self.centres.size)

    def fine_grid(self) -> np.ndarray:
        """The integration grid (um, STEP_UM apart) spanning every band's response."""
        if self.tables:
            lo = min(t[0][0] for t in self.tables)
            hi = max(t[0][-1] for t in self.tables)
        else:
            reach = self.widths / 2 if self.shape == "tophat" else self.widths
            lo, hi = float((self.centres - reach).min()), float((self.centres + reach).max())
        start, stop = np.floor(lo / STEP_UM), np.ceil(hi / STEP_UM)
        return np.arange(start, stop + 1) * STEP_UM

    def response(self, fine: np.ndarray) -> np.ndarray:
        """Band weights [bands, len(fine)], each row summing to 1 (a top-hat by cell overlap)."""
        rows = []
        for k in range(self.bands):
            if self.tables:
                wl, resp = self.tables[k]
                row = np.interp(fine, wl, resp, left=0.0, right=0.0)
            elif self.shape == "tophat":
                lo, hi = self.centres[k] - self.widths[k] / 2, self.centres[k] + self.widths[k] / 2
                overlap = np.minimum(fine + STEP_UM / 2, hi) - np.maximum(fine - STEP_UM / 2, lo)
                row = np.clip(overlap / STEP_UM, 0.0, 1.0)
            else:
                x = (fine - self.centres[k]) / self.widths[k]
                row = np.where(np.abs(x) <= 1, np.exp(-4 * np.log(2) * x**2), 0.0)
            rows.append(row / row.sum())
        return np.stack(rows)

    def sampling(self) -> tuple[np.ndarray, np.ndarray]:
        """The integration wavelengths where some band responds, and the band weights there [bands, w]."""
        fine = self.fine_grid()
        weights = self.response(fine)
        keep = weights.sum(axis=0) > 0
        return fine[keep], weights[:, keep]

    def integrate(self, values: np.ndarray) -> np.ndarray:
        """Band values [n, bands] of spectra `values` [n, w] sampled at `sampling()[0]` (no noise)."""
        return self.fill_bad(values @ self.sampling()[1].T)

    def fill_bad(self, values: np.ndarray) -> np.ndarray:
        """Bad bands replaced by linear interpolation between the good ones (edge value held)."""
        if not self.bad_bands:
            return values
        bad = np.zeros(self.bands, dtype=bool)
        bad[list(self.bad_bands)] = True
        out = values.copy()
        for row in out:
            row[bad] = np.interp(self.centres[bad], self.centres[~bad], row[~bad])
        return out

    def observe(
        self,
        band_values: np.ndarray,
        rng: np.random.Generator,
        reference_um: float,
        scale: float,
        noise_scale: float = 1.0,
    ) -> np.ndarray:
        """Systematics (sizes times `scale`) and noise (times `noise_scale`) drawn per spectrum on band values
        [n, bands]."""
        n = band_values.shape[0]
        calibration = 1 + scale * self.calibration_sd * rng.standard_normal((n, self.bands))
        slope = 1 + scale * self.slope_sd * rng.standard_normal((n, 1)) * (self.centres - reference_um)
        signal = np.maximum(band_values * calibration * slope, 0.0)
        if self.noise_model == "snr":
            sd = signal / self.snr
        else:
            sd = np.sqrt(signal * self.signal_e + self.read_e**2) / self.signal_e
        return self.fill_bad(np.maximum(signal + noise_scale * sd * rng.standard_normal((n, self.bands)), 0.01))

    def to_meta(self) -> dict[str, Any]:
        """A JSON-able description from which `from_meta` rebuilds the same instrument."""
        return {
            "name": self.name,
            "origin": self.origin,
            "unit": "um",
            **(
                {"band": [{"wavelengths": list(w), "response": list(r)} for w, r in self.tables]}
                if self.tables
                else {"shape": self.shape, "centres": self.centres.tolist(), "widths": self.widths.tolist()}
            ),
            "noise": {"model": self.noise_model, "snr": self.snr.tolist(), "signal_e": self.signal_e.tolist(),
                      "read_e": self.read_e},
            "systematics": {"calibration_sd": self.calibration_sd.tolist(), "slope_sd": self.slope_sd,
                            "bad_bands": [b + 1 for b in self.bad_bands]},
        }  # fmt: skip


def from_meta(meta: dict[str, Any]) -> Instrument:
    """The instrument recorded by `Instrument.to_meta` (in a spectra artifact)."""
    return parse({k: v for k, v in meta.items() if k != "origin"}, str(meta.get("origin", "instrument")))


def resolve(name: str) -> Path:
    """A path to an instrument file: `name` itself, else the shipped example called `name`."""
    path = Path(name)
    if path.is_file():
        return path
    shipped = SHIPPED / f"{name}.toml"
    if path.suffix == "" and shipped.is_file():
        return shipped
    names = ", ".join(sorted(p.stem for p in SHIPPED.glob("*.toml")))
    raise InputError(f"{name}: instrument file not found (instrument.file; shipped examples: {names})")


def load_instrument(name: str) -> Instrument:
    """Read and check an instrument file (or shipped example); InputError names the file and field.

    The instrument's `origin` is `name` as given (a shipped example keeps its short name, so the
    artifacts do not depend on where flightml is installed).
    """
    path = resolve(name)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{name}: not valid TOML ({exc})") from None
    return parse(raw, name)


def parse(raw: dict[str, Any], origin: str) -> Instrument:
    """Check a parsed TOML document (see the module docstring) and build the Instrument."""
    _keys(raw, _TOP, origin, "")
    unit = raw.get("unit")
    if unit not in ("um", "nm"):
        raise InputError(f'{origin}: unit: expected "um" or "nm", got {unit!r}')
    factor = 1e-3 if unit == "nm" else 1.0
    if "band" in raw:
        for key in ("shape", "centres", "widths"):
            if key in raw:
                raise InputError(f"{origin}: {key}: give either [[band]] response tables or shape/centres/widths")
        tables = _tables(raw["band"], origin, factor)
        centres = np.array([np.average(w, weights=r) for w, r in tables])
        shape, widths = "table", np.array([w[-1] - w[0] for w, _ in tables])
    else:
        tables = ()
        shape = raw.get("shape", "tophat")
        if shape not in ("tophat", "gaussian"):
            raise InputError(f'{origin}: shape: expected "tophat" or "gaussian", got {shape!r}')
        centres = _numbers(raw, "centres", origin, None, positive=True) * factor
        widths = _numbers(raw, "widths", origin, centres.size, positive=True) * factor
    if centres.size < 2 or np.any(np.diff(centres) <= 0):
        raise InputError(
            f"{origin}: band centres must be at least 2 and increasing, got {np.round(centres, 4).tolist()}"
        )
    n = centres.size
    noise = _table(raw, "noise", origin, _NOISE)
    model = noise.get("model", "snr")
    if model not in ("snr", "photon"):
        raise InputError(f'{origin}: noise.model: expected "snr" or "photon", got {model!r}')
    snr = _numbers(noise, "snr", origin, n, positive=True, default=100.0, where="noise.")
    signal_e = _numbers(noise, "signal_e", origin, n, positive=True, default=1e4, where="noise.")
    read_e = float(_numbers(noise, "read_e", origin, 1, default=0.0, where="noise.")[0])
    systematics = _table(raw, "systematics", origin, _SYSTEMATICS)
    calibration = _numbers(systematics, "calibration_sd", origin, n, default=0.0, where="systematics.")
    slope_sd = float(_numbers(systematics, "slope_sd", origin, 1, default=0.0, where="systematics.")[0])
    bad = _bad_bands(systematics.get("bad_bands", []), n, origin)
    name = raw.get("name", Path(origin).stem)
    if not isinstance(name, str):
        raise InputError(f"{origin}: name: expected a string, got {name!r}")
    return Instrument(name, origin, centres, shape, widths, tables, model, snr, signal_e, read_e, calibration,
                      slope_sd, bad)  # fmt: skip


def _keys(raw: dict[str, Any], known: tuple[str, ...], origin: str, prefix: str) -> None:
    for key in raw:
        if key not in known:
            raise InputError(f"{origin}: unknown key '{prefix}{key}' (known: {', '.join(known)})")


def _table(raw: dict[str, Any], key: str, origin: str, known: tuple[str, ...]) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"{origin}: {key}: expected a table [{key}]")
    _keys(value, known, origin, f"{key}.")
    return value


def _numbers(
    raw: dict[str, Any],
    key: str,
    origin: str,
    size: int | None,
    *,
    positive: bool = False,
    default: float | None = None,
    where: str = "",
) -> np.ndarray:
    """`raw[key]` as float array: a list (of `size` when given) or one number repeated `size` times."""
    if key not in raw and default is None:
        raise InputError(f"{origin}: {where}{key}: missing")
    value = raw.get(key, default)
    items = value if isinstance(value, list) else [value]
    if not items or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in items):
        raise InputError(f"{origin}: {where}{key}: expected a number or a list of numbers, got {value!r}")
    array = np.array(items, dtype=np.float64)
    if size is not None and array.size == 1:
        array = np.full(size, array[0])
    if size is not None and array.size != size:
        raise InputError(f"{origin}: {where}{key}: expected one number or {size} (one per band), got {array.size}")
    if not np.all(np.isfinite(array)) or np.any(array <= 0 if positive else array < 0):
        raise InputError(f"{origin}: {where}{key}: every value must be {'> 0' if positive else '>= 0'}, got {value!r}")
    return array


def _tables(bands: Any, origin: str, factor: float) -> tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]:
    if not isinstance(bands, list) or not all(isinstance(b, dict) for b in bands):
        raise InputError(f"{origin}: band: expected [[band]] tables")
    tables = []
    for i, band in enumerate(bands, start=1):
        where = f"band[{i}]."
        _keys(band, ("wavelengths", "response"), origin, where)
        wl = _numbers(band, "wavelengths", origin, None, positive=True, where=where) * factor
        resp = _numbers(band, "response", origin, wl.size, where=where)
        if wl.size < 2 or np.any(np.diff(wl) <= 0):
            raise InputError(f"{origin}: {where}wavelengths: expected at least 2 increasing values")
        if resp.sum() <= 0:
            raise InputError(f"{origin}: {where}response: all zero")
        tables.append((tuple(wl.tolist()), tuple(resp.tolist())))
    return tuple(tables)


def _bad_bands(value: Any, n: int, origin: str) -> tuple[int, ...]:
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise InputError(f"{origin}: systematics.bad_bands: expected a list of band numbers (1 = first), got {value!r}")
    if any(not 1 <= v <= n for v in value) or len(set(value)) >= n - 1:
        raise InputError(
            f"{origin}: systematics.bad_bands: band numbers must be in 1..{n} and leave 2 good bands, got {value!r}"
        )
    return tuple(sorted(v - 1 for v in set(value)))
