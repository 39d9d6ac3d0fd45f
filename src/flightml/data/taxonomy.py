"""Asteroid classes, complexes and the label policy shared by every real-data source.

Complexes follow DeMeo et al. (2009): S = S, Sa, Sq, Sr, Sv; C = B, C, Cb, Cg, Cgh, Ch;
X = X, Xc, Xe, Xk, Xn; V = V; the other end members (A, D, K, L, O, Q, R, T) are 'other'.
The Bus (2002) SMASSII-only classes Sk and Sl count as S, Ld as an end member.
"""

from __future__ import annotations

BUSDEMEO_CLASSES = (
    "A", "B", "C", "Cb", "Cg", "Cgh", "Ch", "D", "K", "L", "O", "Q", "R",
    "S", "Sa", "Sq", "Sr", "Sv", "T", "V", "X", "Xc", "Xe", "Xk", "Xn",
)  # fmt: skip
BUS_ONLY_CLASSES = ("Ld", "Sk", "Sl")
COMPLEXES = ("S", "C", "X", "V")
OTHER = "other"

_COMPLEX_OF = {
    **dict.fromkeys(("S", "Sa", "Sq", "Sr", "Sv", "Sk", "Sl"), "S"),
    **dict.fromkeys(("B", "C", "Cb", "Cg", "Cgh", "Ch"), "C"),
    **dict.fromkeys(("X", "Xc", "Xe", "Xk", "Xn"), "X"),
    "V": "V",
    **dict.fromkeys(("A", "D", "K", "L", "O", "Q", "R", "T", "Ld"), OTHER),
}
CANONICAL_ORDER = tuple(dict.fromkeys((*COMPLEXES, OTHER, *BUSDEMEO_CLASSES, *BUS_ONLY_CLASSES)))


def complex_of(name: str) -> str:
    """The complex (S, C, X, V or 'other') of a Bus or Bus-DeMeo class; KeyError if unknown."""
    return _COMPLEX_OF[name]


def is_end_member(name: str) -> bool:
    return _COMPLEX_OF.get(name) == OTHER


def map_label(raw: str, labels: str, end_members: str) -> str | None:
    """The training label of a raw class name, or None when the policy drops it.

    `labels` 'complex': S/C/X/V (and 'other' for end members when `end_members` is 'other');
    a raw label may be a class or a complex name. `labels` 'class': the class itself; end members
    other than V are dropped when `end_members` is 'drop'. KeyError for an unknown name.
    """
    name = raw.strip()
    if labels == "complex":
        target = name if name in (*COMPLEXES, OTHER) else _COMPLEX_OF[name]
        return None if target == OTHER and end_members == "drop" else target
    if name not in _COMPLEX_OF:
        raise KeyError(name)
    return None if is_end_member(name) and end_members == "drop" else name


def known_labels(labels: str) -> list[str]:
    """Every raw label `map_label` accepts, for error messages."""
    names = list(_COMPLEX_OF)
    return list(dict.fromkeys([*COMPLEXES, OTHER, *names])) if labels == "complex" else names


def ordered(names: set[str]) -> list[str]:
    """Class names in the canonical order (complexes, then Bus-DeMeo, then Bus-only classes)."""
    return [name for name in CANONICAL_ORDER if name in names]
