"""The search driver: ask the strategy for a batch, run it (cached trials are not re-run), tell the scores.

Batches are `workers` candidates wide (the reference network joins the first one), so a search is
deterministic for its seed and worker count. results.json is rewritten after every batch, so an
interrupted search keeps what it found; re-running the same command resumes from the trial cache.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flightml.artifacts import atomic_write_json
from flightml.config import config_from_dict
from flightml.errors import InputError
from flightml.power.mission import load_mission
from flightml.power.profiles import TARGETS
from flightml.search.executors import Executor, make_executor
from flightml.search.pareto import answer, pareto_front
from flightml.search.space import SearchSpace
from flightml.search.strategies import make_strategy
from flightml.search.trial import TrialSpec, cached_row, trial_key

RESULTS = "results.json"
SCHEMA = "flightml.search/1"
# The stages that produce a results row; the others (baseline, quant_analysis, faults, report) run at --export.
TRIAL_STAGES = ("data", "train", "export", "quantize", "evaluate", "compile", "verify_host", "verify_mcu", "budget")
MAX_DUPLICATES = 200


@dataclass
class SearchSettings:
    mission: Path
    space: SearchSpace
    out: Path
    trials: int = 24
    strategy: str = "tpe"
    seed: int = 0
    workers: int | None = None
    address: str | None = None
    use_ray: bool = True
    progress: bool = True
    stages: tuple[str, ...] | None = None


def trial_stages() -> tuple[str, ...]:
    """The TRIAL_STAGES this pipeline registers, in pipeline order."""
    from flightml.pipeline import STAGES

    return tuple(stage.name for stage in STAGES if stage.name in TRIAL_STAGES)


def score(row: dict[str, Any]) -> float:
    """What strategies maximise: int8 accuracy, less 1 when the budget fails; -1 for an error."""
    accuracy = row.get("int8_accuracy")
    if row.get("status") != "ok" or accuracy is None:
        return -1.0
    return accuracy - (1.0 if row.get("verdict") == "fail" else 0.0)


class Planner:
    """Turns candidate values into TrialSpecs for one mission and space."""

    def __init__(self, settings: SearchSettings) -> None:
        mission = load_mission(settings.mission)
        self.mission_path = Path(settings.mission).resolve()
        self.mission_bytes = self.mission_path.read_bytes()
        self.mission = mission
        self.targets = TARGETS[mission.profile.core]
        self.space = settings.space
        self.trials_dir = str(Path(settings.out).resolve() / "trials")
        self.stages = settings.stages or trial_stages()

    def config(self, values: dict[str, Any]) -> dict[str, Any]:
        nested = self.space.config_dict(values)
        nested.setdefault("mission", {})["file"] = str(self.mission_path)
        wanted = [t for t in nested.get("verify", {}).get("targets", ["cortex-m4"]) if t in self.targets]
        nested.setdefault("verify", {})["targets"] = wanted or [self.targets[-1]]
        try:
            return config_from_dict(nested, "trial").to_dict()
        except InputError:
            return nested  # the trial records the error as its reason

    def spec(self, values: dict[str, Any], reference: bool = False) -> TrialSpec:
        config = self.config(values)
        key = trial_key(config, self.mission_bytes)
        return TrialSpec(key, config, values, self.trials_dir, self.stages, reference)


def _propose(
    strategy: Any, planner: Planner, room: int, seen: dict[str, dict[str, Any]], running: set[str]
) -> tuple[list[TrialSpec], list[tuple[dict[str, Any], str]]]:
    """Up to `room` new candidates, and the repeats of keys already `running` (told once those finish).

    A repeat of a finished trial is told its score at once; neither kind runs again.
    """
    batch: list[TrialSpec] = []
    echoes: list[tuple[dict[str, Any], str]] = []
    duplicates = 0
    while len(batch) < room and duplicates < MAX_DUPLICATES:
        values = strategy.ask()
        if values is None:
            break
        spec = planner.spec(values)
        if spec.key in seen:
            strategy.tell(values, score(seen[spec.key]))
            duplicates += 1
        elif spec.key in running or any(spec.key == other.key for other in batch):
            echoes.append((values, spec.key))
            duplicates += 1
        else:
            batch.append(spec)
    return batch, echoes


def _run_batch(executor: Executor, specs: list[TrialSpec], on_row: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any] | None] = [cached_row(spec) for spec in specs]
    for row in rows:
        if row is not None:
            on_row(row)
    todo = [i for i, row in enumerate(rows) if row is None]
    for index, row in executor.run([specs[i] for i in todo]):
        rows[todo[index]] = {**row, "reference": specs[todo[index]].reference}
        on_row(rows[todo[index]])
    return [row for row in rows if row is not None]


def search(settings: SearchSettings) -> dict[str, Any]:
    """Run a search into settings.out; returns the results document (also written to results.json)."""
    from tqdm import tqdm

    planner = Planner(settings)
    strategy = make_strategy(settings.strategy, settings.space, settings.seed, settings.trials)
    out = Path(settings.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    executor = make_executor(settings.workers, settings.address, settings.use_ray)
    reference = planner.spec({}, reference=True)
    seen: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    bar = tqdm(total=settings.trials + 1, desc="search", unit="trial", disable=not settings.progress)

    def on_row(row: dict[str, Any]) -> None:
        bar.update()
        best = max((score(r) for r in [*rows, row] if not r.get("reference")), default=None)
        if best is not None and best >= 0:
            bar.set_postfix(best_int8=f"{best:.4f}")

    try:
        proposed = 0
        extra = [reference]  # the reference network runs with the first batch
        while proposed < settings.trials:
            running = {spec.key for spec in extra}
            room = min(executor.workers, settings.trials - proposed)
            specs, echoes = _propose(strategy, planner, room, seen, running)
            if not specs and not echoes:
                break
            proposed += len(specs)
            batch = _run_batch(executor, [*extra, *specs], on_row)
            extra = []
            seen.update((row["trial"], row) for row in batch)
            for spec in specs:
                strategy.tell(spec.params, score(seen[spec.key]))
            for values, key in echoes:
                strategy.tell(values, score(seen[key]))
            rows.extend(batch)
            doc = _document(settings, planner, executor, rows, time.perf_counter() - start)
            atomic_write_json(out / RESULTS, doc)
    finally:
        bar.close()
        executor.close()
    doc = _document(settings, planner, executor, rows, time.perf_counter() - start)
    atomic_write_json(out / RESULTS, doc)
    from flightml.search.report import write_report

    write_report(out, doc)
    return doc


def _document(
    settings: SearchSettings, planner: Planner, executor: Executor, rows: list[dict[str, Any]], wall_s: float
) -> dict[str, Any]:
    reference = next((row for row in rows if row.get("reference")), None)
    candidates = [row for row in rows if not row.get("reference")]
    return {
        "schema": SCHEMA,
        "mission": {
            "file": str(planner.mission_path),
            "name": planner.mission.name,
            "profile": planner.mission.profile.name,
        },
        "space": {
            "file": settings.space.origin,
            "params": {k: list(v) for k, v in settings.space.params.items()},
            "base": settings.space.base,
        },
        "strategy": settings.strategy,
        "seed": settings.seed,
        "trials_requested": settings.trials,
        "trials_run": len(candidates),
        "workers": executor.workers,
        "executor": executor.name,
        "stages": list(planner.stages),
        "wall_s": round(wall_s, 2),
        "reference": reference,
        "rows": candidates,
        "pareto": {
            cost: [row["trial"] for row in pareto_front(rows, cost)]
            for cost in ("flash_bytes", "energy_uj_per_inference")
        },
        "answer": answer(reference, candidates),
    }
