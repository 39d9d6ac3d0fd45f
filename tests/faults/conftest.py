"""Session fixture: a run directory with the reference network (2 epochs), quantized int8 QDQ
(default settings) and compiled to RUN/c/fixedpoint and RUN/c/ort-exact, plus RUN/spectra.npz."""

from __future__ import annotations

import pytest

from flightml.artifacts import RunDir
from flightml.config import QuantConfig
from refnet import reference_run


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    quant = {"per_channel": QuantConfig().per_channel}
    return reference_run(tmp_path_factory.mktemp("faults_run") / "run", quant=quant, modes=("fixedpoint", "ort-exact"))
