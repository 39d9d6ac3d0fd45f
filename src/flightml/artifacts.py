"""Run directories, atomic writes, output-folder checks and the manifest.

Every artifact is written to a temporary file in the same directory and renamed into place, so a
crash or a bad input never leaves a half-written file; it gets the user's umask (not mkstemp's
0600). JSON is written with sorted keys, so the same content gives the same bytes. A folder
flightml writes whole carries MARKER; `check_output_dir` refuses to replace any other folder.
"""

from __future__ import annotations

import contextlib
import fcntl
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
MARKER = ".flightml-output"
LOCK = ".flightml.lock"
TMP_PREFIX = ".fm-tmp."
SYSTEM_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _default_mode(path: Path, directory: bool) -> None:
    """Give a mkstemp/mkdtemp path the mode a plain open()/mkdir() would have had."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_writable_path(path: Path, what: str, *, directory: bool) -> Path:
    """`path` resolved, or InputError: under /proc, /sys or /dev, a file where a folder is expected
    (or the reverse), or an ancestor that is a file or not writable."""
    path = Path(path)
    resolved = path.resolve()
    if any(_inside(resolved, tree) for tree in SYSTEM_TREES):
        raise InputError(f"{path}: {what} cannot be under /proc, /sys or /dev")
    if directory and resolved.exists() and not resolved.is_dir():
        raise InputError(f"{path}: {what} exists and is not a folder")
    if not directory and resolved.is_dir():
        raise InputError(f"{path}: {what} is a folder; expected a file name")
    ancestor = resolved.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"{path}: {what} cannot be created ({ancestor} is not a folder)")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(f"{path}: {what} cannot be created ({ancestor} is not writable)")
    return resolved


def check_output_dir(path: Path, inputs: tuple[Path, ...] = ()) -> None:
    """Refuse (one line) an output folder flightml may not replace whole.

    Allowed: a new path, an empty folder, or a folder holding MARKER (written by flightml), as long as it
    contains neither the current directory nor any of `inputs`.
    """
    resolved = check_writable_path(path, "output folder", directory=True)
    if _inside(Path.cwd().resolve(), resolved):
        raise InputError(f"{path}: output folder contains the current directory; choose a new folder")
    for item in inputs:
        if _inside(Path(item).resolve(), resolved):
            raise InputError(f"{path}: output folder contains the input {item}; choose a new folder")
    if resolved.is_dir() and any(resolved.iterdir()) and not (resolved / MARKER).is_file():
        raise InputError(
            f"{path}: output folder is not empty and was not written by flightml (no {MARKER}); choose a new folder"
        )


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same directory and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TMP_PREFIX}{path.name}.", suffix=".tmp")
    try:
        _default_mode(Path(tmp), directory=False)
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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TMP_PREFIX}{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        _default_mode(Path(tmp), directory=False)
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_output_dir(path: Path) -> Iterator[Path]:
    """Yield a temporary directory beside `path`; once the caller is done, it replaces `path` whole.

    The old folder is renamed aside before the new one is renamed in, so `path` is at every moment
    either the complete old folder or the complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f"{TMP_PREFIX}{path.name}."))
    _default_mode(tmp, directory=True)
    try:
        yield tmp
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f"{TMP_PREFIX}{path.name}.old."))
            os.replace(path, old / path.name)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporaries a killed flightml process left in `folder` (not recursive); returns them."""
    stale = sorted(Path(folder).glob(f"{TMP_PREFIX}*"))
    for item in stale:
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item, ignore_errors=True)
        else:
            item.unlink(missing_ok=True)
    return stale


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
    one JSON object that stages extend with `update_summary`. A command writing the run holds
    `lock()`; `keep_on_failure(names)` puts artifacts back as they were when a stage fails.
    """

    _held: dict[Path, list[int]] = {}  # noqa: RUF012 -- [fd, depth] of the locks this process holds

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold RUN/.flightml.lock (flock, released if the process dies); a second writer gets one line."""
        key = self.root.resolve()
        if key not in RunDir._held:
            fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise InputError(
                    f"{self.root}: another flightml command is writing this run; retry when it ends"
                ) from None
            RunDir._held[key] = [fd, 0]
        RunDir._held[key][1] += 1
        try:
            yield
        finally:
            RunDir._held[key][1] -= 1
            if not RunDir._held[key][1]:
                os.close(RunDir._held.pop(key)[0])

    @contextlib.contextmanager
    def keep_on_failure(self, names: tuple[str, ...]) -> Iterator[None]:
        """Copy the artifacts `names` and summary.json aside; if the block fails, put them back (and remove
        those that did not exist), so a failed stage leaves the run exactly as it was."""
        saved = Path(tempfile.mkdtemp(dir=self.root, prefix=f"{TMP_PREFIX}backup."))
        names = (*names, SUMMARY)
        try:
            for name in names:
                _copy_any(self.path(name), saved / name)
            yield
        except BaseException:
            for name in names:
                _remove_any(self.path(name))
                if (saved / name).exists():
                    os.replace(saved / name, self.path(name))
            raise
        finally:
            shutil.rmtree(saved, ignore_errors=True)

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


def _copy_any(src: Path, dst: Path) -> None:
    if src.is_dir() and not src.is_symlink():
        shutil.copytree(src, dst, symlinks=True)
    elif src.is_file():
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def _remove_any(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
