"""Small checked readers for TOML tables: every error names the file and the dotted field."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from flightml.errors import InputError

NUMBER_MAX = 1e9  # no mission or profile figure is larger; keeps products far from overflow


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """Parse a TOML file, or an InputError naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: {what} not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None


def _field(where: str, key: str) -> str:
    """'file: table.key', or 'file: key' for a key at the top of the file."""
    return f"{where}.{key}" if ": " in where else f"{where}: {key}"


def check_keys(where: str, table: Any, known: tuple[str, ...], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """`table` must be a table with only `known` keys and every `required` key."""
    if not isinstance(table, dict):
        raise InputError(f"{where}: expected a table, got {table!r}")
    for key in table:
        if key not in known:
            raise InputError(f"{_field(where, key)}: unknown key (known: {', '.join(known)})")
    for key in required:
        if key not in table:
            raise InputError(f"{_field(where, key)}: missing (required)")
    return table


def number(
    where: str,
    value: Any,
    *,
    minimum: float | None = None,
    positive: bool = False,
    unit: str = "",
    maximum: float = NUMBER_MAX,
) -> float:
    """A real finite number (int or float, not bool) <= maximum, optionally >= minimum or > 0."""
    suffix = f" in {unit}" if unit else ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: expected a number{suffix}, got {value!r}")
    try:
        value = float(value)
    except OverflowError:
        value = float("inf")
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(f"{where}: expected a finite number{suffix}, got {value!r}")
    if positive and value <= 0:
        raise InputError(f"{where}: must be > 0{suffix}, got {value!r}")
    if minimum is not None and value < minimum:
        raise InputError(f"{where}: must be >= {minimum}{suffix}, got {value!r}")
    if value > maximum:
        raise InputError(f"{where}: must be <= {maximum:g}{suffix}, got {value!r}")
    return value


def integer(where: str, value: Any, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{where}: expected an integer, got {value!r}")
    if value < minimum:
        raise InputError(f"{where}: must be >= {minimum}, got {value!r}")
    return value


def string(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: expected a non-empty string, got {value!r}")
    return value
