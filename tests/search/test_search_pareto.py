"""Pareto fronts among passing candidates and the answer against the reference."""

from __future__ import annotations

from typing import Any

from flightml.search.pareto import answer, pareto_front


def row(trial: str, acc: float, flash: int, energy: float, verdict: str = "pass") -> dict[str, Any]:
    return {
        "trial": trial,
        "int8_accuracy": acc,
        "flash_bytes": flash,
        "energy_uj_per_inference": energy,
        "verdict": verdict,
    }


ROWS = [
    row("a", 0.80, 1000, 50.0),
    row("b", 0.85, 2000, 40.0),
    row("c", 0.84, 3000, 60.0),  # dominated by b on both
    row("d", 0.90, 5000, 90.0),
    row("e", 0.95, 500, 10.0, verdict="fail"),  # would dominate everything but fails the budget
    row("f", 0.85, 2000, 45.0),  # ties b on flash and accuracy: b kept (by name), f not
    {"trial": "g", "verdict": "error", "reason": "compile: unsupported op"},
]


def test_front_vs_flash() -> None:
    assert [r["trial"] for r in pareto_front(ROWS, "flash_bytes")] == ["a", "b", "d"]


def test_front_vs_energy() -> None:
    # by rising energy: b (40, 0.85) beats a (50, 0.80); d (90, 0.90) is the next improvement
    assert [r["trial"] for r in pareto_front(ROWS, "energy_uj_per_inference")] == ["b", "d"]


def test_answer_finds_cheaper_within_half_a_point() -> None:
    result = answer(row("ref", 0.853, 4000, 80.0), ROWS)
    assert result["found"] and result["trial"] == "b"  # 0.85 >= 0.853 - 0.005 with less flash; d costs more
    by_energy = answer(row("ref", 0.853, 1500, 42.0), ROWS)
    assert by_energy["found"] and by_energy["trial"] == "b"  # more flash than the reference but less energy
    assert answer(row("ref", 0.86, 4000, 80.0), ROWS)["trial"] is None  # b is 1 point short; d is not cheaper


def test_answer_none_in_space() -> None:
    reference = row("ref", 0.99, 100, 1.0)
    result = answer(reference, ROWS)
    assert not result["found"] and "No network in the space" in result["text"]


def test_answer_without_budget_stage() -> None:
    unchecked = [{**r, "verdict": "unchecked"} for r in ROWS[:2]]
    result = answer({**ROWS[0], "verdict": "unchecked"}, unchecked)
    assert not result["found"] and "budget" in result["text"]
