"""An instrument with a band count other than 64 through the whole host path: 8 and 16 bands build,
quantize, compile and run bit-exact on the host; the report shows the instrument and the label scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightml.artifacts import RunDir, read_json
from flightml.config import load_config
from flightml.pipeline import run_pipeline
from flightml.report.base import Figures
from flightml.report.sections import instrument as instrument_section

STAGES = ["data", "train", "export", "quantize", "evaluate", "baseline", "compile", "verify_host"]


@pytest.mark.parametrize(("name", "bands"), [("camera-8", 8), ("spectrophotometer-16", 16)])
def test_instrument_bands_compile_and_run_bit_exact(tmp_path: Path, name: str, bands: int) -> None:
    config = load_config(
        None,
        {
            "data.train_source": "busdemeo", "data.test_source": "smass2", "data.n_train": 300,
            "instrument.file": name, "train.epochs": 2, "quant.calib_samples": 50, "evaluate.latency_calls": 10,
            "evaluate.warmup_calls": 0, "evaluate.reject_confidence": 0.3, "compile.modes": ["fixedpoint"],
        },
    )  # fmt: skip
    run = RunDir(run_pipeline(config, tmp_path / "run", stages=STAGES).dir.root)
    summary = run.summary()
    assert summary["data"]["bands"] == bands
    assert summary["c"]["fixedpoint"]["bitexact_vs_reference"] == 1.0
    labels = read_json(run.path("evaluation.json"))["int8"]["labels"]
    reject, n = labels["reject"], summary["data"]["n_test"]
    assert reject["confidence"] == 0.3
    assert reject["rejected_other"] + reject["rejected_low_confidence"] == round(n * (1 - reject["coverage"]))
    section = instrument_section.render(run, Figures(run.root))
    assert section is not None and section.figures[0].is_file()
    assert "accuracy (as abstentions)" in section.markdown and f"{bands}, centres" in section.markdown
