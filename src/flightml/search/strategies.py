"""Search strategies: propose candidates (ask) and learn from their scores (tell).

random   uniform over the space, seeded;
tpe      Optuna's Tree-structured Parzen Estimator (needs optuna: pip install flightml[search]);
halving  successive halving on training epochs: many candidates briefly, the best third longer.
Each is deterministic for a seed and the same sequence of scores.
"""

from __future__ import annotations

import json
import math
from typing import Any, Protocol

import numpy as np

from flightml.config import TrainConfig
from flightml.errors import ToolMissing
from flightml.search.space import SearchSpace

STRATEGIES = ("tpe", "random", "halving")
EPOCHS = "train.epochs"


class Strategy(Protocol):
    def ask(self) -> dict[str, Any] | None:
        """The next candidate's values, or None when none can be proposed until more scores arrive."""

    def tell(self, values: dict[str, Any], score: float) -> None:
        """The score of a candidate returned by ask (higher is better)."""


class RandomSearch:
    def __init__(self, space: SearchSpace, seed: int) -> None:
        self.space = space
        self.rng = np.random.default_rng(seed)

    def ask(self) -> dict[str, Any]:
        return self.space.sample(lambda _name, choices: choices[int(self.rng.integers(len(choices)))])

    def tell(self, values: dict[str, Any], score: float) -> None:
        pass


class TPESearch:
    """Optuna TPE; the first `startup` candidates are random (Optuna's n_startup_trials)."""

    def __init__(self, space: SearchSpace, seed: int, startup: int) -> None:
        try:
            import optuna
        except ImportError:
            raise ToolMissing("--strategy tpe needs optuna: pip install 'flightml[search]'") from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, constant_liar=True)
        self.study = optuna.create_study(direction="maximize", sampler=sampler)
        self.space = space
        self.pending: dict[str, Any] = {}

    def ask(self) -> dict[str, Any]:
        trial = self.study.ask()
        values = self.space.sample(lambda name, choices: trial.suggest_categorical(name, list(choices)))
        self.pending[json.dumps(values, sort_keys=True)] = trial
        return values

    def tell(self, values: dict[str, Any], score: float) -> None:
        self.study.tell(self.pending.pop(json.dumps(values, sort_keys=True)), score)


def rung_sizes(trials: int, eta: int, rungs: int) -> list[int]:
    """Candidates per rung, shrinking by `eta`, summing to `trials` (rung 0 takes the rounding)."""
    weights = [eta ** (rungs - 1 - r) for r in range(rungs)]
    sizes = [max(1, round(trials * w / sum(weights))) for w in weights]
    sizes[0] = max(1, trials - sum(sizes[1:]))
    return sizes


class SuccessiveHalving:
    """Rung r trains for epochs / eta^(rungs-1-r); the best 1/eta of a rung move on to the next."""

    def __init__(self, space: SearchSpace, seed: int, trials: int, epochs: int, eta: int = 3, rungs: int = 3) -> None:
        self.random = RandomSearch(space, seed)
        self.epochs = [max(1, round(epochs / eta ** (rungs - 1 - r))) for r in range(rungs)]
        self.sizes = rung_sizes(trials, eta, rungs)
        self.rung = 0
        self.asked = 0
        self.scores: list[tuple[float, dict[str, Any]]] = []
        self.promoted: list[dict[str, Any]] = []

    def ask(self) -> dict[str, Any] | None:
        if self.asked == self.sizes[self.rung]:
            if len(self.scores) < self.asked or self.rung + 1 == len(self.sizes):
                return None
            best = sorted(self.scores, key=lambda item: -item[0])[: self.sizes[self.rung + 1]]
            self.rung += 1
            self.promoted = [{**values, EPOCHS: self.epochs[self.rung]} for _, values in best]
            self.sizes[self.rung] = len(self.promoted)
            self.asked, self.scores = 0, []
        self.asked += 1
        if self.rung == 0:
            return {**self.random.ask(), EPOCHS: self.epochs[0]}
        return self.promoted[self.asked - 1]

    def tell(self, values: dict[str, Any], score: float) -> None:
        self.scores.append((score, values))


def make_strategy(name: str, space: SearchSpace, seed: int, trials: int) -> Strategy:
    """The named strategy for a search of `trials` candidates."""
    if name == "tpe":
        return TPESearch(space, seed, startup=max(4, min(10, math.ceil(trials / 3))))
    if name == "halving":
        epochs = space.base.get("train", {}).get("epochs", TrainConfig().epochs)
        return SuccessiveHalving(space, seed, trials, epochs)
    return RandomSearch(space, seed)
