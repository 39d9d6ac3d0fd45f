"""The `data` stage: config -> spectra.npz."""

from __future__ import annotations

from flightml.artifacts import RunDir
from flightml.config import Config
from flightml.data import reference
from flightml.data.spectra import Spectra, save_spectra

SPECTRA = "spectra.npz"


def build_spectra(config: Config) -> Spectra:
    """The spectra the configuration asks for."""
    data = config.data
    spectra = reference.generate(data.n_train, data.n_test, data.bands, data.noise, data.seed)
    spectra.validate(f"data source '{data.source}'")
    return spectra


def data_stage(run: RunDir, config: Config) -> None:
    save_spectra(run.path(SPECTRA), build_spectra(config))
