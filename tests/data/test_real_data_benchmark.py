"""benchmarks/real_data.py runs against the current package: its --slopes part (no training) measures
the class slopes of busdemeo through an instrument against the SMASSII validation part, and the C/X member
templates against SMASSII's Bus classes; its
augmentation settings parse, and bad ones are one line and exit 2."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "real_data.py"


def _module():
    spec = importlib.util.spec_from_file_location("real_data_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_slopes_show_the_busdemeo_x_complex_redder_than_smass2s(capsys) -> None:
    module = _module()
    assert module.main(["--slopes", "--instruments", "camera-8"]) == 0
    complexes, members = capsys.readouterr().out.split("## Member slopes")
    rows = _rows(complexes)
    assert set(rows) == {"S", "C", "X", "V"}
    assert rows["X"][0] - rows["X"][1] > 0.05
    rows = _rows(members)
    assert set(rows) == {"B", "C", "Cb", "Cgh", "Ch", "X", "Xc", "Xe", "Xk"}
    assert rows["X"][0] - rows["X"][1] > 0.1 and rows["Xc"][0] - rows["Xc"][1] > 0.1


def _rows(text: str) -> dict[str, tuple[float, float]]:
    """Table rows with a '±' cell: name -> (first figure, second figure)."""
    rows = {}
    for line in text.splitlines():
        if "±" in line:
            name, *cells = line.strip("| ").split(" | ")
            first, second = (float(cell.split(" ")[0]) for cell in cells)
            rows[name] = (first, second)
    return rows


def test_augmentation_settings_compared_on_validation(capsys) -> None:
    module = _module()
    settings = module.candidates("0,1", "sigma_scale=0.6;slope_sd=0.02,scale=0")
    assert settings == {
        "systematics x0": {"instrument.systematics_scale": 0.0},
        "systematics x1": {"instrument.systematics_scale": 1.0},
        "systematics x1, sigma_scale 0.6": {"instrument.systematics_scale": 1.0, "data.sigma_scale": 0.6},
        "systematics x0, slope_sd 0.02": {"instrument.systematics_scale": 0.0, "data.slope_sd": 0.02},
    }
    typed = module.candidates("", "noise_scale=0.5,hidden=128,channels=16/32,lr_schedule=cosine")
    assert typed == {
        "systematics x1, noise_scale 0.5, hidden 128, conv_channels [16, 32], lr_schedule cosine": {
            "instrument.systematics_scale": 1.0, "instrument.noise_scale": 0.5, "model.hidden": 128,
            "model.conv_channels": [16, 32], "train.lr_schedule": "cosine",
        }
    }  # fmt: skip
    trained = module.candidates("", "mixup=0.2,smoothing=0.1,ema=0.99,pool=1,weights=S=4/C=3/X=2/V=1")
    assert trained == {
        "systematics x1, mixup 0.2, label_smoothing 0.1, ema 0.99, pool 1, class_weights S=4,C=3,X=2,V=1": {
            "instrument.systematics_scale": 1.0, "train.mixup": 0.2, "train.label_smoothing": 0.1, "train.ema": 0.99,
            "model.pool": 1, "data.class_weights": "S=4,C=3,X=2,V=1",
        }
    }  # fmt: skip
    bad_settings = ("foo=1", "slope_sd=x", "hidden=1.5", "lr_schedule=step", "channels=8/x", "noise_scale=-1",
                    "mixup=x", "ema=1", "weights=S=0/C=1")  # fmt: skip
    for bad in (*(["--augment", item] for item in bad_settings), ["--scales", "0,abc"]):
        assert module.main([*bad, "--no-grid", "--instruments", ""]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert module.main(["--augment", "", "--no-grid", "--instruments", "camera-8"]) == 2
    assert capsys.readouterr().err.strip() == "real_data.py: --scales and --augment: no sim-to-real setting to compare"
