"""Spectra sources and the spectra.npz artifact."""

from flightml.data.spectra import Spectra, load_spectra, save_spectra

__all__ = ["Spectra", "load_spectra", "save_spectra"]
