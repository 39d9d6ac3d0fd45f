"""Strategies: deterministic per seed; successive halving promotes the best third to more epochs."""

from __future__ import annotations

from pathlib import Path

from flightml.search.space import load_space
from flightml.search.strategies import EPOCHS, SuccessiveHalving, TPESearch, make_strategy, rung_sizes


def fake_score(values: dict) -> float:
    return values.get("model.hidden", 0) / 10 + values.get("model.conv_layers", 0) / 100


def test_random_and_tpe_repeat_for_a_seed(tiny_space: Path) -> None:
    space = load_space(tiny_space)
    for name in ("random", "tpe"):
        runs = []
        for _ in range(2):
            strategy = make_strategy(name, space, seed=3, trials=8)
            proposals = []
            for _ in range(8):
                values = strategy.ask()
                strategy.tell(values, fake_score(values))
                proposals.append(values)
            runs.append(proposals)
        assert runs[0] == runs[1]
    assert isinstance(make_strategy("tpe", space, 0, 8), TPESearch)


def test_rung_sizes_sum_to_trials() -> None:
    assert rung_sizes(24, 3, 3) == [16, 6, 2]
    assert rung_sizes(12, 3, 3) == [8, 3, 1]
    assert sum(rung_sizes(5, 3, 3)) == 5


def test_halving_promotes_the_best_with_more_epochs(tiny_space: Path) -> None:
    halving = SuccessiveHalving(load_space(tiny_space), seed=0, trials=12, epochs=9)
    assert halving.epochs == [1, 3, 9]
    first = [halving.ask() for _ in range(8)]
    assert all(v[EPOCHS] == 1 for v in first) and halving.ask() is None  # waits for the rung's scores
    for values in first:
        halving.tell(values, fake_score(values))
    second = [halving.ask() for _ in range(3)]
    best = sorted(first, key=fake_score, reverse=True)[:3]
    assert [{**v, EPOCHS: 1} for v in second] == best and all(v[EPOCHS] == 3 for v in second)
