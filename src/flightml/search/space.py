"""Search spaces (TOML): the values each searched config field may take, and the fixed base config.

A space file has two tables:
  [base.SECTION]   a partial flightml config applied to every trial (and to the reference network);
  [space.SECTION]  FIELD = [choices] for any config field, plus two network-family keys:
                   model.conv_layers (number of Conv1d layers) and model.channels (the choices of
                   each layer's output channels), which together set model.conv_channels.
The reference network is the base config with nothing searched. Errors are one line naming the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from flightml.artifacts import deep_merge
from flightml.config import CHANNELS_MAX, LAYERS_MAX, config_from_dict
from flightml.errors import InputError

LAYERS, CHANNELS = "model.conv_layers", "model.channels"
Suggest = Callable[[str, tuple[Any, ...]], Any]


@dataclass(frozen=True)
class SearchSpace:
    """`params` maps "section.field" to its choices; `base` is the nested partial config."""

    origin: str
    base: dict[str, Any]
    params: dict[str, tuple[Any, ...]]

    def sample(self, suggest: Suggest) -> dict[str, Any]:
        """One candidate: {"section.field": value}; conv layers expand to model.channels.0, .1, ..."""
        values: dict[str, Any] = {}
        for name, choices in self.params.items():
            if name == CHANNELS:
                continue
            values[name] = suggest(name, choices)
            if name == LAYERS:
                for layer in range(values[name]):
                    values[f"{CHANNELS}.{layer}"] = suggest(f"{CHANNELS}.{layer}", self.params[CHANNELS])
        return values

    def config_dict(self, values: dict[str, Any]) -> dict[str, Any]:
        """The nested config of a candidate: base, then the searched values."""
        nested: dict[str, Any] = {}
        layers = values.get(LAYERS)
        if layers is not None:
            nested["model"] = {"conv_channels": [values[f"{CHANNELS}.{i}"] for i in range(layers)]}
        for name, value in values.items():
            if name != LAYERS and not name.startswith(CHANNELS + "."):
                section, key = name.split(".", 1)
                nested.setdefault(section, {})[key] = value
        return deep_merge(self.base, nested)


def builtin_space_path(name: str) -> Path:
    """A space shipped in flightml/search/spaces/ ("default", "small")."""
    return Path(str(resources.files("flightml.search") / "spaces" / f"{name}.toml"))


def _choices(origin: str, name: str, value: Any) -> tuple[Any, ...]:
    if not isinstance(value, list) or not value:
        raise InputError(f"{origin}: space.{name}: expected a non-empty list of choices, got {value!r}")
    if len(set(map(repr, value))) != len(value):
        raise InputError(f"{origin}: space.{name}: choices repeat a value: {value!r}")
    return tuple(value)


def _check_choice(origin: str, base: dict[str, Any], name: str, value: Any) -> None:
    if name in (LAYERS, CHANNELS):
        top = LAYERS_MAX if name == LAYERS else CHANNELS_MAX
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise InputError(f"{origin}: space.{name}: expected integers in [1, {top}], got {value!r}")
        return
    section, key = name.split(".", 1)
    config_from_dict(deep_merge(base, {section: {key: value}}), f"{origin}: space")


def parse_space(raw: dict[str, Any], origin: str) -> SearchSpace:
    """A checked SearchSpace from parsed TOML."""
    for key in raw:
        if key not in ("base", "space"):
            raise InputError(f"{origin}: unknown table '{key}' (known: base, space)")
    base = raw.get("base", {})
    if not isinstance(base, dict):
        raise InputError(f"{origin}: base: expected a table of config sections")
    config_from_dict(base, f"{origin}: base")
    space = raw.get("space", {})
    if not isinstance(space, dict) or not space:
        raise InputError(f"{origin}: space: expected at least one [space.SECTION] table of choices")
    params: dict[str, tuple[Any, ...]] = {}
    for section, fields in space.items():
        if not isinstance(fields, dict):
            raise InputError(f"{origin}: space.{section}: expected a table of FIELD = [choices]")
        for key, value in fields.items():
            name = f"{section}.{key}"
            if name == "model.conv_channels":
                raise InputError(f"{origin}: space.{name}: search model.conv_layers and model.channels instead")
            params[name] = _choices(origin, name, value)
            for choice in params[name]:
                _check_choice(origin, base, name, choice)
    if (LAYERS in params) != (CHANNELS in params):
        raise InputError(f"{origin}: space.model: conv_layers and channels must be searched together")
    if LAYERS in params:  # keep the layer count before its channels
        params = {LAYERS: params.pop(LAYERS), **params}
    return SearchSpace(origin, base, params)


def load_space(spec: str | Path | None) -> SearchSpace:
    """Load a space file, or a built-in space by name ("default" when None)."""
    path = Path(spec or "default")
    if not path.is_file() and builtin_space_path(str(spec or "default")).is_file():
        path = builtin_space_path(str(spec or "default"))
    if not path.is_file():
        raise InputError(f"{path}: search space file not found")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    return parse_space(raw, str(path))
