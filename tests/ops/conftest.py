"""Per-op cases: single-node (or tiny) QDQ models made by quantize_static, compiled into one build."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import qmodels as qm
from harness import run_all
from op_cases import op_specs

logging.getLogger().setLevel(logging.ERROR)  # quantize_static's pre-processing advice


@pytest.fixture(scope="session")
def op_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """(name -> quantized model path, name -> int8 inputs incl. all -128 and all 127)."""
    work = tmp_path_factory.mktemp("op_models")
    models, inputs = {}, {}
    for spec in op_specs():
        models[spec.name] = qm.quantize(spec, work)
        inputs[spec.name] = qm.random_int8(spec.name, 64, spec.in_shape)
    return models, inputs


@pytest.fixture(scope="session")
def op_results(op_models: tuple[dict, dict], tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run_all(*op_models, tmp_path_factory.mktemp("ops"))
