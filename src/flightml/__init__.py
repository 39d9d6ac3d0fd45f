"""flightml: a small neural network from a notebook to flight-ready, integer-only C99, with evidence."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# oneDNN (torch's CPU convolutions) picks its kernels by CPU, and AVX-512 and AVX2 kernels round floats
# differently, so training gave other weights on an AVX-512 host than on an AVX2-only one (int8
# accuracy 0.980 against 0.979). Capped at AVX2, every x86 host with AVX2 trains the same model byte
# for byte (checked: this AVX-512 host reproduces the model trained on an AVX2-only AMD EPYC). oneDNN
# reads this once, at its first use, so it is set here, before flightml runs any torch code.
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")

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
