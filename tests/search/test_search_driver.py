"""The driver's proposal step: repeats of running or finished trials are never run twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flightml.search.runner import Planner, SearchSettings, _propose
from flightml.search.space import load_space


class Scripted:
    """A strategy that proposes a fixed list and records what it is told."""

    def __init__(self, proposals: list[dict[str, Any]]) -> None:
        self.proposals = list(proposals)
        self.told: list[tuple[dict[str, Any], float]] = []

    def ask(self) -> dict[str, Any] | None:
        return self.proposals.pop(0) if self.proposals else None

    def tell(self, values: dict[str, Any], score: float) -> None:
        self.told.append((values, score))


def test_repeats_are_echoed_or_told_not_run(tmp_path: Path, tiny_space: Path, mission: Path) -> None:
    plan = Planner(SearchSettings(mission=mission, space=load_space(tiny_space), out=tmp_path, stages=("data",)))
    a, b, c = {"model.hidden": 4}, {"model.hidden": 8}, {"model.conv_layers": 1, "model.channels.0": 2}
    reference = plan.spec({}, reference=True)
    assert plan.spec(b).key == reference.key  # hidden 8 is the base: the reference network itself
    finished = plan.spec(c).key
    strategy = Scripted([a, a, b, c, {"model.hidden": 4}])
    seen = {finished: {"trial": finished, "status": "ok", "verdict": "pass", "int8_accuracy": 0.5}}
    batch, echoes = _propose(strategy, plan, 3, seen, {reference.key})
    assert [spec.params for spec in batch] == [a]
    assert [values for values, _ in echoes] == [a, b, {"model.hidden": 4}]
    assert strategy.told == [(c, 0.5)]
