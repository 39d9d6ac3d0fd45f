"""The stage registry and runner.

A stage is a function `(RunDir, Config) -> None` that reads artifacts from the run directory and
writes artifacts into it. The runner records each stage in manifest.json (input and output sha256,
the hash of the config sections it depends on, wall time) and, when resuming, skips a stage whose
inputs, config and outputs are unchanged. A stage runs under the run's lock and, if it fails, the
run's artifacts and manifest are left exactly as they were (RunDir.keep_on_failure).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import platform
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flightml import __version__
from flightml.artifacts import (
    LOCK,
    SUMMARY,
    RunDir,
    check_writable_path,
    deep_merge,
    read_json,
    remove_stale_temporaries,
    sha256_file,
)
from flightml.config import Config, config_from_dict
from flightml.errors import InputError

StageFn = Callable[[RunDir, Config], None]


@dataclass(frozen=True)
class Stage:
    """`target` is "module:function", imported when the stage runs (keeps the CLI start fast)."""

    name: str
    target: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    config_sections: tuple[str, ...]

    def function(self) -> StageFn:
        module, func = self.target.split(":")
        return getattr(importlib.import_module(module), func)


STAGES: tuple[Stage, ...] = (
    Stage("data", "flightml.data.stage:data_stage", (), ("spectra.npz",), ("data", "instrument")),
    Stage("train", "flightml.train.stage:train_stage", ("spectra.npz",), ("model.pt", "training_history.json"),
          ("data", "model", "train")),
    Stage("export", "flightml.export.stage:export_stage", ("spectra.npz", "model.pt"),
          ("model_fp32.onnx", "export.json"), ("model",)),
    Stage("quantize", "flightml.quantize.stage:quantize_stage", ("spectra.npz", "model.pt", "model_fp32.onnx"),
          ("model_int8.onnx",), ("quant", "train")),
    Stage("evaluate", "flightml.evaluate:evaluate_stage", ("spectra.npz", "model_fp32.onnx", "model_int8.onnx"),
          ("evaluation.json",), ("evaluate",)),
    Stage("quant_analysis", "flightml.quantize.analysis:quant_analysis_stage",
          ("spectra.npz", "model_fp32.onnx", "model_int8.onnx"), ("quant_report.json",), ("quant",)),
    Stage("baseline", "flightml.data.baseline:baseline_stage", ("spectra.npz", "evaluation.json"), ("baseline.json",),
          ("data",)),
    Stage("compile", "flightml.compiler.stage:compile_stage", ("model_int8.onnx",), ("c",),
          ("compile", "faults.scrub_chunk_bytes")),
    Stage("verify_host", "flightml.verify.host:verify_host_stage", ("spectra.npz", "model_int8.onnx", "c"),
          ("verify_host.json",), ("compile",)),
    Stage("verify_mcu", "flightml.mcu.stage:verify_mcu_stage", ("spectra.npz", "c"), ("verify_mcu.json",),
          ("compile", "verify")),
    Stage("budget", "flightml.power.stage:budget_stage", ("verify_mcu.json",), ("budget.json",),
          ("mission", "verify")),
    Stage("faults", "flightml.faults.stage:faults_stage", ("spectra.npz", "c"), ("faults.json",),
          ("compile", "faults")),
)
# The report reads every artifact, so any stage's new output makes it stale.
STAGES += (
    Stage("report", "flightml.report.render:report_stage", tuple(o for st in STAGES for o in st.outputs),
          ("report.html", "report.md"), ("evaluate",)),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


def get_stage(name: str) -> Stage:
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise InputError(f"unknown stage '{name}' (stages: {', '.join(STAGE_NAMES)})")


def _hash_path(path: Path) -> str | None:
    if path.is_file():
        return sha256_file(path)
    if path.is_dir():
        digest = hashlib.sha256()
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(child.relative_to(path)).encode() + b"\0" + sha256_file(child).encode())
        return digest.hexdigest()
    return None


def _config_hash(config: Config, sections: Sequence[str]) -> str:
    """Hash of the config sections (or single `section.field`s) a stage reads, including the content of a
    mission file it names."""
    data = config.to_dict()
    subset = {}
    for name in sections:
        section, _, field = name.partition(".")
        subset[name] = data[section][field] if field else data[section]
    if "mission" in sections and config.mission.file and Path(config.mission.file).is_file():
        subset["mission_file_sha256"] = sha256_file(Path(config.mission.file))
    return hashlib.sha256(json.dumps(subset, sort_keys=True).encode()).hexdigest()


def tool_versions() -> dict[str, str]:
    versions = {"flightml": __version__, "python": platform.python_version()}
    for module in ("numpy", "torch", "onnx", "onnxruntime"):
        try:
            versions[module] = importlib.import_module(module).__version__
        except ImportError:
            versions[module] = "not installed"
    return versions


class Run:
    """A run directory with its configuration; `summary` and `report` read its artifacts."""

    def __init__(self, root: Path, config: Config) -> None:
        self.dir = RunDir(root)
        self.config = config

    @property
    def root(self) -> Path:
        return self.dir.root

    @property
    def summary(self) -> dict[str, Any]:
        return self.dir.summary()

    @property
    def report_path(self) -> Path:
        return self.dir.path("report.html")

    def run_stage(self, stage: Stage, resume: bool = False, function: StageFn | None = None) -> str:
        """Run one stage (or skip it when resuming and nothing changed); returns 'ran' or 'skipped'.

        `function` replaces the stage's own (a command with options the config does not hold)."""
        with self.dir.lock():
            return self._run_stage(stage, resume, function or stage.function())

    def _run_stage(self, stage: Stage, resume: bool, function: StageFn) -> str:
        manifest = self.dir.manifest()
        manifest.setdefault("flightml_version", __version__)
        manifest["config"] = self.config.to_dict()
        manifest["versions"] = tool_versions()
        inputs = {name: _hash_path(self.dir.path(name)) for name in stage.inputs}
        config_hash = _config_hash(self.config, stage.config_sections)
        previous = manifest.get("stages", {}).get(stage.name)
        if resume and previous and previous["inputs"] == inputs and previous["config_hash"] == config_hash:
            outputs = {name: _hash_path(self.dir.path(name)) for name in stage.outputs}
            if outputs == previous["outputs"] and all(outputs.values()):
                return "skipped"
        start = time.perf_counter()
        with self.dir.keep_on_failure(stage.outputs):
            function(self.dir, self.config)
        wall = time.perf_counter() - start
        manifest = self.dir.manifest() or manifest
        manifest["config"] = self.config.to_dict()
        manifest["versions"] = tool_versions()
        manifest.setdefault("stages", {})[stage.name] = {
            "inputs": inputs,
            "outputs": {name: _hash_path(self.dir.path(name)) for name in stage.outputs},
            "config_hash": config_hash,
            "wall_s": round(wall, 3),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        manifest["command"] = " ".join(["flightml", *sys.argv[1:]]) if sys.argv else "flightml"
        manifest["seeds"] = {"data": self.config.data.seed, "train": self.config.train.seed}
        self.dir.write_manifest(manifest)
        return "ran"


def open_run(root: Path, config: Config | None = None) -> Run:
    """An existing run; its config comes from the manifest unless `config` is given."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: run directory not found")
    if config is None:
        manifest = RunDir(root).manifest()
        if "config" not in manifest:
            raise InputError(f"{root}: not a flightml run (no manifest.json with a config)")
        config = config_from_dict(manifest["config"], f"{root}/manifest.json")
    return Run(root, config)


def run_command_stage(root: Path, name: str, function: Callable[[RunDir], Any], **config_overrides: Any) -> Any:
    """Run a command's own version of stage `name` on RUN: locked, artifacts put back on failure, and
    recorded in the manifest when RUN has one, with the run's config updated by `config_overrides` (the
    command's options that the config holds, so the manifest says what produced the artifact and a later
    `run --resume` with another config redoes it); returns its result."""
    result: list[Any] = []
    if not RunDir(root).manifest_path.is_file():
        with RunDir(root).lock():
            return function(RunDir(root))
    run = _open_overridden(root, config_overrides)
    run.run_stage(get_stage(name), function=lambda run_dir, _: result.append(function(run_dir)))
    return result[0]


def rerun_stage(root: Path, name: str, **config_overrides: Any) -> None:
    """Run pipeline stage `name` itself on RUN (which has a manifest) with the run's config updated by
    `config_overrides`; recorded in the manifest."""
    _open_overridden(root, config_overrides).run_stage(get_stage(name))


def _open_overridden(root: Path, config_overrides: dict[str, Any]) -> Run:
    run = open_run(root)
    if config_overrides:
        origin = f"{root}/manifest.json with the command's options"
        run.config = config_from_dict(deep_merge(run.config.to_dict(), config_overrides), origin)
    return run


def check_run_inputs(config: Config, stages: Sequence[str] | None = None) -> None:
    """Files a later stage reads, checked before the first stage runs: the mission file."""
    if config.mission.file and (stages is None or "budget" in stages):
        from flightml.power.mission import load_mission

        load_mission(config.mission.file)


def prepare_run_dir(root: Path, resume: bool) -> Path | None:
    """Create `root` or accept it (empty, or a run when resuming); refuse a folder holding another run
    (unless resuming) or unrelated files. Returns the topmost folder it created, if any."""
    check_writable_path(root, "run folder", directory=True)
    if not root.exists():
        top = next(p for p in (*reversed(root.absolute().parents), root.absolute()) if not p.exists())
        root.mkdir(parents=True)
        return top
    if (root / "manifest.json").exists():
        if not resume:
            raise InputError(f"{root}: already holds a flightml run; choose another --out or pass --resume")
        return None
    if any(p.name != LOCK for p in root.iterdir()):
        raise InputError(f"{root}: output directory is not empty and holds no flightml run")
    return None


def default_run_dir(base: Path = Path("runs")) -> Path:
    return base / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def point_latest(root: Path) -> None:
    """Make root.parent/latest a relative symlink to `root` (replaced atomically)."""
    link = root.parent / "latest"
    tmp = root.parent / ".latest.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(root.name)
    tmp.replace(link)


def run_pipeline(
    config: Config | None = None,
    out: Path | str | None = None,
    *,
    stages: Sequence[str] | None = None,
    resume: bool = False,
    on_stage: Callable[[str, str, float], None] | None = None,
) -> Run:
    """Run the named stages (default: all) into `out` (default: runs/<timestamp>, linked as runs/latest)."""
    config = config or Config()
    check_run_inputs(config, stages)
    root = Path(out) if out is not None else default_run_dir()
    created = prepare_run_dir(root, resume)
    run = Run(root, config)
    try:
        with run.dir.lock():
            if resume:
                remove_stale_temporaries(root)
            for stage in STAGES:
                if stages is not None and stage.name not in stages:
                    continue
                start = time.perf_counter()
                status = run.run_stage(stage, resume=resume)
                if on_stage:
                    on_stage(stage.name, status, time.perf_counter() - start)
    except BaseException:
        if created and not run.dir.manifest_path.exists():
            shutil.rmtree(created, ignore_errors=True)  # nothing was produced: leave no empty run folder
        raise
    finally:
        if out is None and root.exists():
            point_latest(root)
    return run


def summary_of(root: Path) -> dict[str, Any]:
    return read_json(Path(root) / SUMMARY, "run summary")
