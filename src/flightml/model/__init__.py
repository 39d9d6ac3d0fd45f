"""The SpectrumNet 1D-CNN family."""

from flightml.model.spectrumnet import SpectrumNet, build_model, count_params

__all__ = ["SpectrumNet", "build_model", "count_params"]
