"""`flightml search --export TRIAL`: a chosen candidate as a normal run directory with every stage."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flightml.artifacts import read_json
from flightml.errors import InputError
from flightml.search.runner import RESULTS
from flightml.search.trial import TRIAL


def find_trial(search_dir: Path, trial: str) -> dict[str, Any]:
    """The row of `trial` (a key or a unique prefix) in SEARCH_DIR/results.json or its trials/ cache."""
    doc = read_json(Path(search_dir) / RESULTS, "search results")
    rows = [row for row in [doc.get("reference"), *doc.get("rows", [])] if row]
    matches = {row["trial"]: row for row in rows if row["trial"].startswith(trial)}
    if len(matches) != 1:
        found = "no trial" if not matches else f"{len(matches)} trials"
        raise InputError(f"{search_dir}/{RESULTS}: {found} matching '{trial}'")
    return next(iter(matches.values()))


def export_trial(search_dir: Path, trial: str, out: Path) -> Path:
    """Copy the cached trial (when present) into `out` and run every pipeline stage there (resuming)."""
    from flightml.config import config_from_dict
    from flightml.pipeline import run_pipeline

    row = find_trial(search_dir, trial)
    config = config_from_dict(row["config"], f"{search_dir}/{RESULTS}: trial {row['trial']}")
    out = Path(out)
    if out.exists():
        raise InputError(f"{out}: already exists; choose a new --out for the exported run")
    cached = Path(search_dir) / "trials" / row["trial"]
    if (cached / "manifest.json").is_file():
        shutil.copytree(cached, out, ignore=shutil.ignore_patterns(TRIAL))
    run_pipeline(config, out, resume=out.exists())
    return out
