"""benchmarks/real_data.py runs against the current package: its --slopes part (no training) measures
the class slopes of busdemeo through an instrument against the SMASSII validation part."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "real_data.py"


def test_slopes_show_the_busdemeo_x_complex_redder_than_smass2s(capsys) -> None:
    spec = importlib.util.spec_from_file_location("real_data_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--slopes", "--instruments", "camera-8"]) == 0
    rows = {line.split(" | ")[0].strip("| "): line for line in capsys.readouterr().out.splitlines() if "±" in line}
    assert set(rows) == {"S", "C", "X", "V"}
    synthetic, real = (float(cell.split(" ± ")[0]) for cell in rows["X"].strip("| ").split(" | ")[1:])
    assert synthetic - real > 0.05
