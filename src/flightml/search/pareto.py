"""Pareto fronts among passing candidates and the answer to "is there a cheaper network as accurate?"."""

from __future__ import annotations

from typing import Any

ACCURACY = "int8_accuracy"
TOLERANCE = 0.005  # 0.5 percentage points of int8 accuracy


def passing(rows: list[dict[str, Any]], cost: str) -> list[dict[str, Any]]:
    """Rows that pass the budget and have both the accuracy and `cost`."""
    return [r for r in rows if r.get("verdict") == "pass" and r.get(ACCURACY) is not None and r.get(cost) is not None]


def pareto_front(rows: list[dict[str, Any]], cost: str) -> list[dict[str, Any]]:
    """Passing rows no other passing row beats (higher int8 accuracy at no more `cost`), by rising cost."""
    front: list[dict[str, Any]] = []
    for row in sorted(passing(rows, cost), key=lambda r: (r[cost], -r[ACCURACY], r["trial"])):
        if not front or row[ACCURACY] > front[-1][ACCURACY]:
            front.append(row)
    return front


def answer(reference: dict[str, Any] | None, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The best passing candidate within TOLERANCE of the reference's int8 accuracy with less flash or energy."""
    if reference is None or reference.get(ACCURACY) is None:
        reason = (reference or {}).get("reason", "not run")
        return {"found": False, "trial": None, "text": f"The reference network has no int8 accuracy ({reason})."}
    floor = reference[ACCURACY] - TOLERANCE
    if not any(r.get("verdict") in ("pass", "fail") for r in [reference, *rows]):
        return {
            "found": False,
            "trial": None,
            "text": "No trial was checked against the budget (the pipeline has no budget stage yet).",
        }

    def cheaper(row: dict[str, Any], key: str) -> bool:
        return row.get(key) is not None and reference.get(key) is not None and row[key] < reference[key]

    found = [
        r
        for r in rows
        if r.get("verdict") == "pass"
        and r.get(ACCURACY) is not None
        and r[ACCURACY] >= floor
        and (cheaper(r, "flash_bytes") or cheaper(r, "energy_uj_per_inference"))
    ]
    if not found:
        return {
            "found": False,
            "trial": None,
            "text": f"No network in the space passes the budget within {TOLERANCE * 100:.1f} points of the "
            f"reference's int8 accuracy ({reference[ACCURACY]:.4f}) with less flash or energy.",
        }
    best = min(
        found,
        key=lambda r: (-r[ACCURACY], r.get("flash_bytes") or 0, r.get("energy_uj_per_inference") or 0, r["trial"]),
    )
    smallest = _cheapest(found, "flash_bytes")
    frugal = _cheapest(found, "energy_uj_per_inference")
    return {
        "found": True,
        "trial": best["trial"],
        "smallest_flash": smallest["trial"] if smallest else None,
        "lowest_energy": frugal["trial"] if frugal else None,
        "text": f"{len(found)} passing candidate(s) within {TOLERANCE * 100:.1f} points of the reference's int8 "
        f"accuracy ({reference[ACCURACY]:.4f}, {reference.get('flash_bytes')} B flash, {_uj(reference)}) use less "
        f"flash or energy. Most accurate: {_brief(best)}."
        + (f" Smallest flash: {_brief(smallest)}." if smallest else "")
        + (f" Lowest energy: {_brief(frugal)}." if frugal else ""),
    }


def _cheapest(rows: list[dict[str, Any]], cost: str) -> dict[str, Any] | None:
    have = [r for r in rows if r.get(cost) is not None]
    return min(have, key=lambda r: (r[cost], -r[ACCURACY], r["trial"])) if have else None


def _brief(row: dict[str, Any]) -> str:
    return f"{row['trial']} (int8 {row[ACCURACY]:.4f}, {row.get('flash_bytes')} B flash, {_uj(row)})"


def _uj(row: dict[str, Any]) -> str:
    value = row.get("energy_uj_per_inference")
    return "n/a" if value is None else f"{value:.1f} uJ"
