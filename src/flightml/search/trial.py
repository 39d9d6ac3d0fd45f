"""One trial: a config run through the pipeline into TRIALS/<key>/, summarised as one results row.

The key is the sha256 of the canonical config JSON and the mission file's bytes. A finished trial
leaves TRIALS/<key>/trial.json (its row); a later search with the same config and stages reuses it,
and an interrupted trial resumes its run directory. Every failure (bad combination, a stage that
cannot compile or verify, a budget the stage cannot check) becomes a row with status "error" and
its reason, cached like a result (delete TRIALS/<key> to run it again) unless a tool was missing;
a budget that is not met is a row with verdict "fail" and the failing lines.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flightml.artifacts import RunDir, atomic_write_json, read_json
from flightml.errors import InputError, ToolMissing

TRIAL = "trial.json"
BUDGET = "budget.json"
VERIFY_MCU = "verify_mcu.json"
KEY_CHARS = 16


@dataclass(frozen=True)
class TrialSpec:
    """What a worker needs: the full nested config, where to run it and which stages."""

    key: str
    config: dict[str, Any]
    params: dict[str, Any]
    trials_dir: str
    stages: tuple[str, ...]
    reference: bool = False

    @property
    def root(self) -> Path:
        return Path(self.trials_dir) / self.key


def trial_key(config: dict[str, Any], mission_bytes: bytes) -> str:
    """sha256 (first KEY_CHARS hex digits) of the config and the mission file content."""
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    digest.update(b"\0" + mission_bytes)
    return digest.hexdigest()[:KEY_CHARS]


def cached_row(spec: TrialSpec) -> dict[str, Any] | None:
    """The stored row of a finished trial that ran at least `spec.stages`, else None."""
    path = spec.root / TRIAL
    if not path.is_file():
        return None
    try:
        row = read_json(path, "trial result")
    except InputError:  # a corrupt record: run the trial again
        return None
    if not set(spec.stages) <= set(row.get("stages", ())):
        return None
    return {**row, "reference": spec.reference, "cached": True}


def _number(entry: dict[str, Any], key: str) -> float | None:
    value = entry.get(key)
    if isinstance(value, dict):
        value = value.get("max", value.get("median"))
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _mcu_entry(run: RunDir, target: str | None) -> dict[str, Any]:
    if not run.path(VERIFY_MCU).is_file():
        return {}
    targets = read_json(run.path(VERIFY_MCU), "MCU verification result").get("targets", {})
    if target in targets:
        return targets[target]
    return next((entry for entry in targets.values() if entry.get("status") == "ok"), {})


def metrics(root: Path, stages: tuple[str, ...]) -> dict[str, Any]:
    """The row figures read from a trial's artifacts (None where a stage did not produce them)."""
    run = RunDir(root)
    summary = run.summary()
    budget = read_json(run.path(BUDGET), "budget") if run.path(BUDGET).is_file() else None
    entry = _mcu_entry(run, budget.get("target") if budget else None)
    model = (budget or {}).get("model", {})
    row: dict[str, Any] = {
        "fp32_accuracy": summary.get("fp32_accuracy"),
        "int8_accuracy": summary.get("int8_accuracy"),
        "params_count": summary.get("params"),
        "int8_weight_bytes": summary.get("int8_weight_bytes"),
        "target": (budget or {}).get("target"),
        "flash_bytes": _number(entry, "flash_bytes"),
        "ram_bytes": _number(entry, "ram_bytes"),
        "instructions": _number(entry, "instructions"),
        "cycles_est": _number(entry, "cycles_est"),
        "energy_uj_per_inference": model.get("energy_uj_per_inference"),
        "wcet_us": model.get("wcet_us"),
        "wcet_margin": (budget or {}).get("wcet_margin"),
    }
    if budget is None:
        row.update(verdict="unchecked", reason=f"no budget stage in this pipeline (stages run: {', '.join(stages)})")
    else:
        row.update(verdict=budget["verdict"], reason="; ".join(budget.get("failing", [])))
    return row


def crashed_row(spec: TrialSpec, exc: BaseException) -> dict[str, Any]:
    """The row of a trial whose worker died (not cached: the next search runs it again)."""
    message = str(exc).strip().splitlines()[-1] if str(exc).strip() else exc.__class__.__name__
    return {
        "trial": spec.key,
        "params": spec.params,
        "config": spec.config,
        "stages": list(spec.stages),
        "status": "error",
        "verdict": "error",
        "reason": f"worker: {message}",
        "reference": spec.reference,
        "cached": False,
    }


def _prepare(root: Path) -> bool:
    """True to resume an interrupted run in `root`; a directory without a manifest is cleared."""
    if (root / "manifest.json").is_file():
        return True
    if root.exists():
        shutil.rmtree(root)
    return False


def run_trial(spec: TrialSpec) -> dict[str, Any]:
    """Run (or reuse) one trial and return its row; never raises for a failing candidate."""
    cached = cached_row(spec)
    if cached is not None:
        return cached
    from flightml.config import config_from_dict
    from flightml.pipeline import run_pipeline

    start = time.perf_counter()
    done: list[str] = []
    row: dict[str, Any] = {"trial": spec.key, "params": spec.params, "config": spec.config, "stages": list(spec.stages)}
    config = None
    keep = True
    try:
        config = config_from_dict(spec.config, f"trial {spec.key}")
        resume = _prepare(spec.root)
        run_pipeline(config, spec.root, stages=spec.stages, resume=resume, on_stage=lambda name, *_: done.append(name))
        row.update(status="ok", **metrics(spec.root, spec.stages))
    except Exception as exc:  # a failing candidate is a result, not a crash of the search
        failed = "config" if config is None else next((n for n in spec.stages if n not in done), "metrics")
        message = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        row.update(status="error", verdict="error", reason=f"{failed}: {message}")
        keep = not isinstance(exc, ToolMissing)  # installing the tool should not need a cache purge
    row["wall_s"] = round(time.perf_counter() - start, 3)
    if keep:
        spec.root.mkdir(parents=True, exist_ok=True)
        atomic_write_json(spec.root / TRIAL, row)
    return {**row, "reference": spec.reference, "cached": False}
