"""flightml: a small neural network from a notebook to flight-ready, integer-only C99, with evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pathlib import Path

    from flightml.config import Config
    from flightml.pipeline import Run


def run(config: Config | None = None, out: Path | str | None = None, **kwargs: Any) -> Run:
    """Run every stage (the Python twin of `flightml run`); returns the finished Run."""
    from flightml.pipeline import run_pipeline

    return run_pipeline(config=config, out=out, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "CompiledModel":
        from flightml.verify.compiled import CompiledModel

        return CompiledModel
    raise AttributeError(name)
