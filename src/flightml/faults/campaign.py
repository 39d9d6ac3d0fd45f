"""Monte Carlo bit-flip campaigns on a compiled model; the content of faults.json.

Flip sites are drawn uniformly over the bits of the chosen memory (`where`): the constant image
(weights, biases, requant constants: `Image`) and/or the activations while they sit in the arena
(the model input, every layer output). Every draw comes from one numpy Generator seeded by `seed`,
so a campaign is reproducible bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from flightml.config import FaultsConfig
from flightml.errors import InputError
from flightml.faults.image import WHERE, Image
from flightml.faults.inject import Propagator, Trial

Arena = list[tuple[str, int, int]]

_DEFAULTS = FaultsConfig()  # the [faults] defaults, declared once there


@dataclass(frozen=True)
class Settings:
    flips: tuple[int, ...] = tuple(_DEFAULTS.flips)
    trials: int = _DEFAULTS.trials
    where: str = _DEFAULTS.where
    seed: int = _DEFAULTS.seed
    sweep_elements: int = _DEFAULTS.sweep_elements
    worst: int = 10

    def check(self) -> None:
        if self.where not in WHERE:
            raise InputError(f"--where: expected one of {', '.join(WHERE)}, got {self.where!r}")
        if not self.flips or min(self.flips) < 1 or max(self.flips) > 4096:
            raise InputError(f"--flips: expected counts in [1, 4096], got {list(self.flips)}")
        if self.trials < 1 or self.sweep_elements < 0:
            raise InputError(f"--trials: expected >= 1, got {self.trials} (sweep elements {self.sweep_elements})")


class Sampler:
    """Uniform draws of flip sites over the bits of `where`."""

    def __init__(self, image: Image, prop: Propagator, where: str) -> None:
        self.const = image.regions_of(where) if where != "arena" else []
        self.arena = prop.tensors() if where in ("arena", "all") else []
        sizes = [image.regions[i].nbytes for i in self.const] + [prop.clean[t][0].size for t in self.arena]
        self.bounds = np.cumsum(sizes)

    def draw(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, Arena]:
        """n flips -> (constant flips int [k, 3]: region, byte, bit; arena flips (tensor, element, bit))."""
        pos = rng.integers(0, int(self.bounds[-1]), n)
        bits = rng.integers(0, 8, n)
        site = np.searchsorted(self.bounds, pos, side="right")
        start = np.concatenate([[0], self.bounds[:-1]])[site]
        const, arena = [], []
        for s, p, b in zip(site.tolist(), (pos - start).tolist(), bits.tolist(), strict=True):
            if s < len(self.const):
                const.append((self.const[s], p, b))
            else:
                arena.append((self.arena[s - len(self.const)], p, b))
        return np.array(const, dtype=np.int64).reshape(-1, 3), arena


def make_trial(image: Image, const: np.ndarray, arena: Arena) -> Trial:
    return Trial(image.apply(const), image.changed_elements(const), list(arena))


def _rate(values: np.ndarray) -> float:
    return round(float(np.mean(values)), 6) if values.size else float("nan")


def accuracy_vs_flips(prop: Propagator, image: Image, y: np.ndarray, s: Settings, rng: np.random.Generator
                      ) -> tuple[list[dict[str, Any]], list[tuple[int, np.ndarray, Arena]]]:
    """Rows per flip count, and every trial drawn as (flips, const flips, arena flips)."""
    sampler = Sampler(image, prop, s.where)
    clean_crc = image.crc32()
    rows, drawn = [], []
    for n in s.flips:
        specs = [sampler.draw(n, rng) for _ in range(s.trials)]
        trials = [make_trial(image, c, a) for c, a in specs]
        classes = prop.classes(trials)
        acc = (classes == y[None, :]).mean(axis=1)
        change = (classes != prop.clean_classes[None, :]).mean(axis=1)
        changed_image = [i for i, t in enumerate(trials) if any(not np.array_equal(v, image.regions[
            image.by_name[k]].data) for k, v in t.consts.items())]
        detected = [image.crc32(trials[i].consts) != clean_crc for i in changed_image]
        rows.append({
            "flips": n, "trials": s.trials, "accuracy_mean": _rate(acc),
            "accuracy_p5": round(float(np.percentile(acc, 5)), 6), "accuracy_min": round(float(acc.min()), 6),
            "class_change_rate": _rate(change), "trials_with_class_change": _rate(change > 0),
            "trials_with_constant_faults": len(changed_image),
            "selftest_detection_rate": _rate(np.array(detected, dtype=float)) if detected else None,
        })
        drawn += [(n, c, a) for c, a in specs]
    return rows, drawn


def sensitivity(prop: Propagator, image: Image, y: np.ndarray, s: Settings, rng: np.random.Generator
                ) -> dict[str, Any]:
    """Single flips at `sweep_elements` random elements per (array, bit) and per (activation tensor,
    bit): class-change rate per cell, per layer and per bit, and the worst flips (the worst bit of
    each of the `worst` most sensitive elements)."""
    specs, cells = [], []
    for ri, r in enumerate(image.regions):
        size = r.data.dtype.itemsize
        for bit in range(r.element_bits):
            for e in rng.choice(r.data.size, min(s.sweep_elements, r.data.size), replace=False).tolist():
                specs.append((np.array([[ri, e * size + bit // 8, bit % 8]]), []))
                cells.append(("const", ri, bit))
    tensors = prop.tensors()
    for ti, t in enumerate(tensors):
        for bit in range(8):
            for e in rng.choice(prop.clean[t][0].size, min(s.sweep_elements, prop.clean[t][0].size),
                                replace=False).tolist():
                specs.append((np.zeros((0, 3), dtype=np.int64), [(t, e, bit)]))
                cells.append(("arena", ti, bit))
    classes = prop.classes([make_trial(image, c, a) for c, a in specs])
    change = (classes != prop.clean_classes[None, :]).mean(axis=1)
    acc = (classes == y[None, :]).mean(axis=1)
    grid: dict[tuple[str, int, int], list[float]] = {}
    for cell, rate in zip(cells, change.tolist(), strict=True):
        grid.setdefault(cell, []).append(rate)
    mean = {k: float(np.mean(v)) for k, v in grid.items()}
    const_rows = [{"array": r.name, "layer": r.layer, "class": r.fault_class, "elements": int(r.data.size),
                   "rate_by_bit": [round(mean[("const", ri, b)], 6) if ("const", ri, b) in mean else None
                                   for b in range(r.element_bits)]} for ri, r in enumerate(image.regions)]
    arena_rows = [{"tensor": t, "elements": int(prop.clean[t][0].size),
                   "rate_by_bit": [round(mean.get(("arena", ti, b), float("nan")), 6) for b in range(8)]}
                  for ti, t in enumerate(tensors)]
    worst: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for i in np.argsort(-change, kind="stable").tolist():
        const, arena = specs[i]
        where = image.describe(*const[0].tolist()) if const.size else {
            "tensor": arena[0][0], "element": arena[0][1], "bit": arena[0][2], "class": "arena"}
        key = (str(where.get("array", where.get("tensor"))), int(where["element"]))
        if key in seen or len(worst) == s.worst:
            continue
        seen.add(key)
        worst.append({**where, "class_change_rate": round(float(change[i]), 6), "accuracy": round(float(acc[i]), 6)})
    return {"arrays": const_rows, "arena": arena_rows, "per_layer": per_layer(image, const_rows),
            "per_bit": per_bit(const_rows), "worst_single_flips": worst, "trials": len(specs)}


def per_layer(image: Image, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Expected class-change rate of one uniformly random bit flip in each layer's constants."""
    out = []
    for layer in sorted({r["layer"] for r in rows}):
        mine = [r for r in rows if r["layer"] == layer]
        weights = [r["elements"] for r in mine for v in r["rate_by_bit"] if v is not None]
        rates = [v for r in mine for v in r["rate_by_bit"] if v is not None]
        out.append({"layer": layer, "bytes": sum(image.regions[image.by_name[r["array"]]].nbytes for r in mine),
                    "class_change_rate": round(float(np.average(rates, weights=weights)), 6)})
    return out


def per_bit(rows: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Class-change rate per bit position for each fault class (element-weighted over arrays)."""
    out: dict[str, list[float]] = {}
    for cls in sorted({r["class"] for r in rows}):
        mine = [r for r in rows if r["class"] == cls]
        nbits = max(len(r["rate_by_bit"]) for r in mine)
        out[cls] = [round(float(np.average([r["rate_by_bit"][b] for r in mine if b < len(r["rate_by_bit"])],
                                           weights=[r["elements"] for r in mine if b < len(r["rate_by_bit"])])), 6)
                    for b in range(nbits)]
    return out
