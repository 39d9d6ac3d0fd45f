"""The spectra artifact: train/test arrays, labels, band grid and class names in one .npz.

Contract: `x_*` float32 [n, 1, bands] (reflectance, relative), `y_*` int64 [n] in [0, classes),
`wavelengths` float64 [bands] (micrometres, or a unit-free 0..1 grid for synthetic data),
`class_names` the label of each class index; `x_unlabelled` float32 [m, 1, bands] real spectra
without labels for train.adapt_unlabelled (None when not asked for).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from flightml.artifacts import atomic_write_bytes
from flightml.errors import InputError


@dataclass
class Spectra:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    wavelengths: np.ndarray
    class_names: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    x_unlabelled: np.ndarray | None = None

    @property
    def bands(self) -> int:
        return int(self.x_train.shape[-1])

    @property
    def classes(self) -> int:
        return len(self.class_names)

    def validate(self, origin: str) -> None:
        """Check shapes, dtypes, label range and finiteness; raise InputError naming `origin`."""
        for name in ("x_train", "x_test", "x_unlabelled"):
            x = getattr(self, name)
            if x is None:
                continue
            if x.ndim != 3 or x.shape[1] != 1 or x.dtype != np.float32 or x.shape[2] != self.bands:
                raise InputError(f"{origin}: {name} must be float32 [n, 1, bands], got {x.dtype} {x.shape}")
            if not np.all(np.isfinite(x)):
                row = int(np.argwhere(~np.isfinite(x))[0][0])
                raise InputError(f"{origin}: {name} row {row} has NaN or infinite reflectance")
        for name in ("y_train", "y_test"):
            y = getattr(self, name)
            if y.ndim != 1 or (y.size and (y.min() < 0 or y.max() >= self.classes)):
                raise InputError(f"{origin}: {name} must hold labels in [0, {self.classes})")


_ARRAYS = ("x_train", "y_train", "x_test", "y_test", "wavelengths")


def save_spectra(path: Path, spectra: Spectra) -> None:
    """Write a byte-reproducible .npz (fixed member order and zip timestamps)."""
    members: dict[str, np.ndarray] = {name: getattr(spectra, name) for name in _ARRAYS}
    if spectra.x_unlabelled is not None:
        members["x_unlabelled"] = spectra.x_unlabelled
    members["class_names"] = np.array(spectra.class_names, dtype=np.str_)
    members["meta_json"] = np.array(_meta_json(spectra.meta), dtype=np.str_)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in members.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            payload = io.BytesIO()
            np.lib.format.write_array(payload, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(info, payload.getvalue())
    atomic_write_bytes(path, buffer.getvalue())


def _meta_json(meta: dict[str, Any]) -> str:
    import json

    return json.dumps(meta, sort_keys=True)


def load_spectra(path: Path) -> Spectra:
    import json

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: spectra file not found")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in _ARRAYS}
            unlabelled = archive["x_unlabelled"] if "x_unlabelled" in archive.files else None
            class_names = [str(c) for c in archive["class_names"]]
            meta = json.loads(str(archive["meta_json"].reshape(-1)[0]))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a flightml spectra file ({exc})") from None
    spectra = Spectra(class_names=class_names, meta=meta, x_unlabelled=unlabelled, **arrays)
    spectra.validate(str(path))
    return spectra
