"""Run directories, atomic writes and the manifest.

Every artifact is written to a temporary file in the same directory and renamed into place, so a
crash or a bad input never leaves a half-written file. JSON is written with sorted keys, so the same
content gives the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flightml.errors import InputError

MANIFEST = "manifest.json"
SUMMARY = "summary.json"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same directory and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def to_json(obj: Any) -> str:
    """Canonical JSON: sorted keys, two-space indent, trailing newline."""
    return json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n"


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, to_json(obj))


@contextlib.contextmanager
def atomic_output_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it into place, else delete it.

    For writers that insist on a file name (torch.save, onnx.save, np.savez).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_output_dir(path: Path) -> Iterator[Path]:
    """Yield a temporary directory beside `path`; on success it replaces `path` whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json(path: Path, what: str = "JSON file") -> Any:
    """Load JSON, turning a missing or corrupt file into an InputError naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: {what} not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a valid {what} ({exc.__class__.__name__}: {exc})") from None


class RunDir:
    """A run directory: artifacts, `manifest.json` and `summary.json`.

    The manifest records, per stage, its outputs' sha256, wall time and the config; the summary is
    one JSON object that stages extend with `update_summary`.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def require(self, name: str, produced_by: str) -> Path:
        """The path of an artifact that must exist, or an InputError naming the stage to run."""
        target = self.path(name)
        if not target.exists():
            raise InputError(f"{target}: missing; run the '{produced_by}' stage first")
        return target

    @property
    def manifest_path(self) -> Path:
        return self.path(MANIFEST)

    def manifest(self) -> dict[str, Any]:
        if not self.manifest_path.exists():
            return {}
        return read_json(self.manifest_path, "run manifest")

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write_json(self.manifest_path, manifest)

    def summary(self) -> dict[str, Any]:
        target = self.path(SUMMARY)
        return read_json(target, "run summary") if target.exists() else {}

    def update_summary(self, values: dict[str, Any]) -> None:
        """Merge `values` into summary.json (nested dicts merged key by key)."""
        atomic_write_json(self.path(SUMMARY), deep_merge(self.summary(), values))


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
