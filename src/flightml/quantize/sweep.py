"""`flightml sweep quant`: quantization settings compared over several training seeds.

Seed k trains SpectrumNet with `train.seed = run seed + k` on the run's spectra (data fixed); the
run's own seed reuses RUN/model.pt and model_fp32.onnx, the others are trained once into
RUN/sweep_quant/seed-<s>/ and reused while the data/model/train config is unchanged. Every
(setting, seed) trial quantizes that seed's model (after QAT for settings with qat_epochs) and
measures the test accuracy drop in points. Trials run in spawned worker processes with one torch
thread each; every trial is deterministic, so the results do not depend on the worker count.
Writes RUN/sweep_quant.json and RUN/figures/sweep_quant.png.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from flightml.artifacts import RunDir, atomic_write_json
from flightml.config import Config, config_from_dict
from flightml.errors import InputError

SWEEP_JSON = "sweep_quant.json"
SWEEP_DIR = "sweep_quant"
SWEEP_FIGURE = "sweep_quant"
QAT_EPOCHS = 10

SETTINGS: dict[str, dict[str, Any]] = {
    "reference": {"preset": "reference"},
    "default": {},
    "pt-entropy": {"per_channel": False, "calibration": "entropy"},
    "pt-percentile-99.99": {"per_channel": False, "calibration": "percentile", "percentile": 99.99},
    "pt-minmax-4000-batch": {"per_channel": False, "calib_samples": 4000, "calib_batch": 200},
    "pc-entropy": {"calibration": "entropy"},
    "pc-percentile-99.999": {"calibration": "percentile"},
    "pc-distribution": {"calibration": "distribution"},
    "pc-stratified-1000-batch": {"calib_samples": 1000, "calib_selection": "stratified", "calib_batch": 100},
    "pc-random-300": {"calib_selection": "random"},
    "pc-uint8": {"activation_type": "uint8"},
    "pc-symmetric-act": {"activation_symmetric": True},
    "pc-reduce-range": {"reduce_range": True},
    "pc-preprocess": {"preprocess": True},
    "pc-bias-correction": {"bias_correction": True},
    "pt-bias-correction": {"per_channel": False, "bias_correction": True},
    "reference+qat": {"preset": "reference", "qat_epochs": QAT_EPOCHS},
    "default+qat": {"qat_epochs": QAT_EPOCHS},
}


def setting_config(base: Config, name: str) -> Config:
    """`base` with [quant] = the defaults plus SETTINGS[name] (checked like a config file)."""
    raw = base.to_dict()
    raw["quant"] = dict(SETTINGS[name])
    return config_from_dict(raw, f"sweep setting '{name}'")


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def train_seed(run_root: str, config_dict: dict[str, Any], seed: int) -> str:
    """Train and export seed `seed` into RUN/sweep_quant/seed-<seed>/ unless already there; returns the dir."""
    from flightml.export.stage import export_stage
    from flightml.train.stage import train_stage

    config = config_from_dict(config_dict, "sweep")
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, seed=seed))
    root = Path(run_root) / SWEEP_DIR / f"seed-{seed}"
    key = json.dumps({k: config.to_dict()[k] for k in ("data", "model", "train")}, sort_keys=True)
    key_path = root / "config.json"
    if (root / "model_fp32.onnx").exists() and key_path.exists() and key_path.read_text() == key:
        return str(root)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    shutil.copyfile(Path(run_root) / "spectra.npz", root / "spectra.npz")
    run = RunDir(root)
    train_stage(run, config)
    export_stage(run, config)
    key_path.write_text(key)
    return str(root)


def trial(seed_dir: str, config_dict: dict[str, Any], seed: int, name: str) -> dict[str, Any]:
    """Quantize seed `seed`'s model with setting `name`; its fp32/int8 test accuracy and drop (points)."""
    from flightml.data import load_spectra
    from flightml.ort_session import ort_session
    from flightml.quantize.qat import export_qat, finetune
    from flightml.quantize.stage import calibration_set, quantize_onnx
    from flightml.train.stage import load_model
    from flightml.verify.reference import exact_int8_outputs

    config = setting_config(config_from_dict(config_dict, "sweep"), name)
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, seed=seed))
    run = RunDir(Path(seed_dir))
    spectra = load_spectra(run.path("spectra.npz"))
    calibration = calibration_set(spectra, config.quant)
    fp32 = run.path("model_fp32.onnx")
    with tempfile.TemporaryDirectory(prefix="flightml-sweep-") as tmp:
        int8 = Path(tmp) / "model_int8.onnx"
        if config.quant.qat_epochs:
            result = finetune(load_model(run, config), spectra, calibration, config)
            export_qat(result, spectra.bands, int8, calibration, config.quant)
        else:
            quantize_onnx(fp32, int8, calibration, config.quant)
        fp32_logits = ort_session(fp32).run(None, {"spectrum": spectra.x_test})[0]
        predictions = [fp32_logits.argmax(1), exact_int8_outputs(int8, spectra.x_test).argmax(1)]
    accuracies = [float(np.mean(p == spectra.y_test)) for p in predictions]
    return {
        "fp32_accuracy": accuracies[0],
        "int8_accuracy": accuracies[1],
        "drop_pts": 100 * (accuracies[0] - accuracies[1]),
        "changed_class": int(np.sum(predictions[0] != predictions[1])),
        "test_samples": len(spectra.y_test),
    }


def run_sweep(run_root: Path, config: Config, seeds: int, jobs: int, names: list[str]) -> dict[str, Any]:
    """The whole sweep; writes RUN/sweep_quant.json and the figure; returns the JSON content."""
    run_root = Path(run_root)
    for name in names:
        if name not in SETTINGS:
            raise InputError(f"--settings: unknown setting '{name}' (known: {', '.join(SETTINGS)})")
    for artifact in ("spectra.npz", "model.pt", "model_fp32.onnx"):
        RunDir(run_root).require(artifact, "train' and 'export")
    base_seed = config.train.seed
    seed_list = [base_seed + k for k in range(seeds)]
    config_dict = config.to_dict()
    context = multiprocessing.get_context("spawn")
    with (
        ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker) as pool,
        tqdm(total=len(seed_list) - 1 + len(names) * len(seed_list), desc="sweep", leave=False, disable=None) as bar,
    ):
        trained = {s: pool.submit(train_seed, str(run_root), config_dict, s) for s in seed_list if s != base_seed}
        for _ in as_completed(trained.values()):
            bar.update()
        seed_dirs = {s: (trained[s].result() if s in trained else str(run_root)) for s in seed_list}
        futures = {(n, s): pool.submit(trial, seed_dirs[s], config_dict, s, n) for n in names for s in seed_list}
        for future in as_completed(futures.values()):
            future.result()
            bar.update()
        results = {key: future.result() for key, future in futures.items()}
    table = {}
    for name in names:
        drops = [round(results[(name, s)]["drop_pts"], 4) for s in seed_list]
        table[name] = {
            "overrides": SETTINGS[name],
            "drop_pts": drops,
            "int8_accuracy": [results[(name, s)]["int8_accuracy"] for s in seed_list],
            "changed_class": [results[(name, s)]["changed_class"] for s in seed_list],
            "median_drop_pts": float(np.median(drops)),
            "worst_drop_pts": float(max(drops)),
        }
    summary = {
        "seeds": seed_list,
        "fp32_accuracy": [results[(names[0], s)]["fp32_accuracy"] for s in seed_list],
        "settings": table,
        "order": names,
        "test_samples": results[(names[0], seed_list[0])]["test_samples"],
        "best": best_setting(table, 100 / results[(names[0], seed_list[0])]["test_samples"]),
        "command": f"flightml sweep quant {run_root} --seeds {seeds}"
        + ("" if names == list(SETTINGS) else f" --settings {','.join(names)}"),
    }
    atomic_write_json(run_root / SWEEP_JSON, summary)
    plot_sweep(summary, run_root)
    return summary


def best_setting(table: dict[str, dict[str, Any]], tie_pts: float) -> str:
    """The post-training setting (no QAT) with the smallest worst drop, then median drop.

    Settings within `tie_pts` (one test sample) of the best on both count as tied; the first of
    them in the order given (SETTINGS order, simplest first) wins: one sample does not pick a setting.
    """
    candidates = [n for n in table if not SETTINGS[n].get("qat_epochs")] or list(table)
    top = min(candidates, key=lambda n: (table[n]["worst_drop_pts"], table[n]["median_drop_pts"]))
    eps = tie_pts + 1e-9
    return next(
        n
        for n in candidates
        if table[n]["worst_drop_pts"] <= table[top]["worst_drop_pts"] + eps
        and table[n]["median_drop_pts"] <= table[top]["median_drop_pts"] + eps
    )


def plot_sweep(summary: dict[str, Any], run_root: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from flightml.report.base import Figures

    names = summary["order"]
    rows = [summary["settings"][n] for n in names]
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(names) + 2), 3.8))
    x = np.arange(len(names))
    ax.bar(x - 0.2, [r["median_drop_pts"] for r in rows], 0.4, label="median over seeds", color="#4c72b0")
    ax.bar(x + 0.2, [r["worst_drop_pts"] for r in rows], 0.4, label="worst seed", color="#dd8452")
    for i, r in enumerate(rows):
        ax.scatter([i] * len(r["drop_pts"]), r["drop_pts"], s=8, color="black", zorder=3)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_yscale("symlog", linthresh=1.0)  # linear within +-1 pt, logarithmic beyond
    ticks = [
        t
        for t in (-2, -1, -0.5, 0, 0.5, 1, 2, 5, 10, 20, 50, 100)
        if t >= min(-1.0, *(min(r["drop_pts"]) for r in rows))
    ]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xticks(x, names, rotation=45, ha="right")
    ax.set_ylabel("fp32 -> int8 accuracy drop (pts)")
    ax.set_title(f"Quantization settings over {len(summary['seeds'])} training seeds (dots: each seed)")
    ax.legend()
    return Figures(run_root).save(fig, SWEEP_FIGURE)


def format_table(summary: dict[str, Any]) -> str:
    """A plain-text table: setting, median and worst drop, median test samples changing class, drop per seed."""
    lines = [f"{'setting':<26} {'median':>7} {'worst':>7} {'flips':>6}  drop per seed {summary['seeds']} (pts)"]
    for name in summary["order"]:
        row = summary["settings"][name]
        per_seed = " ".join(f"{d:+.1f}" for d in row["drop_pts"])
        flips = np.median(row["changed_class"])
        lines.append(
            f"{name:<26} {row['median_drop_pts']:>7.2f} {row['worst_drop_pts']:>7.2f} {flips:>6.0f}  {per_seed}"
        )
    fp32 = " ".join(f"{a:.3f}" for a in summary["fp32_accuracy"])
    lines.append(f"fp32 accuracy per seed: {fp32}; best post-training setting: {summary['best']}")
    return "\n".join(lines)
