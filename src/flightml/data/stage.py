"""The `data` stage: config -> spectra.npz.

Train and test come from `data.train_source` and `data.test_source` (each defaulting to
`data.source`). One source for both: synthetic sources draw independent train and test sets, observed
ones (smass2, csv) are split by object, stratified by class. Two sources: each is used whole. Observed
spectra are resampled to the band grid by the coverage policy (flightml.data.resample) and
normalised to 1 at `data.reference_um`; labels follow the label policy (flightml.data.taxonomy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flightml.artifacts import RunDir
from flightml.config import Config, DataConfig
from flightml.data import busdemeo, csvfile, reference, smass2
from flightml.data.resample import normalise_at, resample_rows
from flightml.data.spectra import Spectra, save_spectra
from flightml.data.table import SpectrumTable
from flightml.data.taxonomy import known_labels, map_label, ordered
from flightml.errors import InputError

SPECTRA = "spectra.npz"
_LISTED = 20


@dataclass
class _Part:
    """Spectra of one source on the grid: `x` [n, bands], raw-label strings `names`, dropped rows."""

    x: np.ndarray
    names: list[str]
    objects: list[str]
    rows: list[str]
    dropped: list[str] = field(default_factory=list)

    def take(self, index: np.ndarray) -> _Part:
        """The spectra at `index` (without the dropped list)."""
        pick = [int(i) for i in index]
        return _Part(
            self.x[index], [self.names[i] for i in pick], [self.objects[i] for i in pick], [self.rows[i] for i in pick]
        )


def build_spectra(config: Config) -> Spectra:
    """The spectra the configuration asks for."""
    data = config.data
    train_name, test_name = data.train_source or data.source, data.test_source or data.source
    if train_name == "reference":
        spectra = reference.generate(data.n_train, data.n_test, data.bands, data.noise, data.seed)
    else:
        spectra = _build_observed(data, train_name, test_name)
    spectra.validate(f"data source '{train_name}' -> '{test_name}'")
    return spectra


def _source_label(name: str, path: str) -> str:
    return f"csv:{path}" if name == "csv" else name


def _build_observed(data: DataConfig, train_name: str, test_name: str) -> Spectra:
    train_csv, test_csv = data.csv_path or data.test_csv_path, data.test_csv_path or data.csv_path
    train_label, test_label = _source_label(train_name, train_csv), _source_label(test_name, test_csv)
    tables = {
        label: _load_table(data, name, path)
        for label, name, path in ((train_label, train_name, train_csv), (test_label, test_name, test_csv))
        if name != "busdemeo"
    }
    grid = _grid(
        data,
        [tables[label].coverage if label in tables else busdemeo.RANGE_UM for label in (train_label, test_label)],
        [train_label, test_label],
    )
    model = None
    if "busdemeo" in (train_name, test_name):
        model = busdemeo.build_model(
            grid,
            labels=data.labels,
            end_members=data.end_members,
            undefined_sigma=data.undefined_sigma,
            include_xn=data.include_xn,
            noise=data.noise,
            slope_sd=data.slope_sd,
            depth_sd=data.depth_sd,
            corr_um=data.corr_um,
            max_gap_um=data.max_gap_um,
            reference_um=data.reference_um,
        )
    if train_label == test_label and model is None:
        part = _observed(data, tables[train_label], grid)
        train, test = _split(part, data.test_fraction, data.split_seed, train_label)
    else:
        train = _part(data, train_label, tables, model, grid, data.n_train, 1)
        test = _part(data, test_label, tables, model, grid, data.n_test, 2)
    class_names = ordered(set(train.names))
    for index, name in enumerate(test.names):
        if name not in class_names:
            raise InputError(
                f"{test.rows[index]}: class '{name}' is not among the training classes ({', '.join(class_names)})"
            )
    dropped: dict[str, int] = {}
    for label, part in ((train_label, train), (test_label, test)):
        dropped[label] = dropped.get(label, 0) + len(part.dropped)
    meta = {
        "source": train_label if train_label == test_label else f"{train_label} -> {test_label}",
        "train_source": train_label,
        "test_source": test_label,
        "unit": "um",
        "labels": data.labels,
        "end_members": data.end_members,
        "reference_um": data.reference_um,
        "max_gap_um": data.max_gap_um,
        "coverage_policy": data.coverage_policy,
        "seed": data.seed,
        "split_seed": data.split_seed,
        "test_fraction": data.test_fraction,
        "citations": _citations(train_name, test_name),
        "dropped": dropped,
        "dropped_rows": (train.dropped + test.dropped)[:_LISTED],
    }
    return Spectra(
        x_train=train.x[:, None, :].astype(np.float32),
        y_train=np.array([class_names.index(n) for n in train.names], dtype=np.int64),
        x_test=test.x[:, None, :].astype(np.float32),
        y_test=np.array([class_names.index(n) for n in test.names], dtype=np.int64),
        wavelengths=grid,
        class_names=class_names,
        meta=meta,
    )


def _citations(*names: str) -> list[str]:
    cites = {"busdemeo": busdemeo.CITATION, "smass2": smass2.CITATION}
    return [cites[name] for name in dict.fromkeys(names) if name in cites]


def _load_table(data: DataConfig, name: str, path: str) -> SpectrumTable:
    if name == "smass2":
        return smass2.load()
    return csvfile.read_table(path, unit=data.unit, label_column=data.label_column, id_column=data.id_column)


def _grid(data: DataConfig, coverages: list[tuple[float, float]], labels: list[str]) -> np.ndarray:
    """The band grid in µm: the configured range, else the range every source covers."""
    if data.wavelength_min > 0:
        lo, hi = data.wavelength_min, data.wavelength_max
        for (c_lo, c_hi), label in zip(coverages, labels, strict=True):
            if hi <= c_lo or lo >= c_hi:
                raise InputError(
                    f"{label}: the band grid {lo:g}-{hi:g} um (data.wavelength_min/max) does not overlap the data "
                    f"({c_lo:g}-{c_hi:g} um)"
                )
    else:
        lo, hi = max(c[0] for c in coverages), min(c[1] for c in coverages)
        if lo >= hi:
            ranges = ", ".join(f"{n} {a:g}-{b:g} um" for n, (a, b) in zip(labels, coverages, strict=True))
            raise InputError(f"the sources share no wavelength range: {ranges}")
    return np.linspace(lo, hi, data.bands)


def _observed(data: DataConfig, table: SpectrumTable, grid: np.ndarray) -> _Part:
    """Map labels (dropping by the end-member policy), resample and normalise a table's spectra."""
    keep, names, dropped = [], [], list(table.dropped)
    for index, raw in enumerate(table.labels):
        try:
            name = map_label(raw, data.labels, data.end_members)
        except KeyError:
            raise InputError(
                f"{table.rows[index]}: unknown class name {raw!r} (known: {', '.join(known_labels(data.labels))})"
            ) from None
        if name is None:
            dropped.append(f"{table.rows[index]}: end member {raw} (data.end_members = drop)")
        else:
            keep.append(index)
            names.append(name)
    labelled = table.subset(np.array(keep, dtype=np.int64))
    resampled = resample_rows(
        labelled.wavelengths, labelled.values, grid, data.max_gap_um, data.coverage_policy == "strict", labelled.rows
    )
    dropped += [f"{row}: does not cover the band grid {grid[0]:g}-{grid[-1]:g} um" for row in resampled.dropped]
    if resampled.kept.size == 0:
        raise InputError(
            f"{table.name}: no spectrum left after the label and coverage policies ({len(dropped)} dropped; "
            f"first: {dropped[0] if dropped else 'none'})"
        )
    kept = resampled.kept
    return _Part(
        x=normalise_at(grid, resampled.values, data.reference_um, table.name),
        names=[names[i] for i in kept],
        objects=[labelled.objects[i] for i in kept],
        rows=[labelled.rows[i] for i in kept],
        dropped=dropped,
    )


def _part(
    data: DataConfig,
    label: str,
    tables: dict[str, SpectrumTable],
    model: busdemeo.BusDeMeoModel | None,
    grid: np.ndarray,
    n: int,
    stream: int,
) -> _Part:
    if label in tables:
        whole = _observed(data, tables[label], grid)
        shuffled = whole.take(np.random.default_rng([data.split_seed, stream]).permutation(len(whole.names)))
        shuffled.dropped = whole.dropped
        return shuffled
    assert model is not None
    x, y = model.draw(n, np.random.default_rng([data.seed, stream]))
    return _Part(x, [model.class_names[i] for i in y], [], [f"busdemeo spectrum {i}" for i in range(n)])


def _split(part: _Part, fraction: float, seed: int, label: str) -> tuple[_Part, _Part]:
    """Stratified split by object: each class keeps >= 1 object on each side; both sides shuffled.

    The shuffle makes any prefix of the training set (e.g. quantization calibration) representative.
    """
    rng = np.random.default_rng(seed)
    by_class: dict[str, list[str]] = {}
    for obj, name in dict(zip(part.objects, part.names, strict=True)).items():
        by_class.setdefault(name, []).append(obj)
    test_objects: set[str] = set()
    for name in ordered(set(by_class)):
        objects = by_class[name]
        if len(objects) < 2:
            raise InputError(
                f"{label}: class '{name}' has {len(objects)} object(s); a stratified train/test split needs at least 2 "
                '(drop it with data.end_members = "drop", use data.labels = "complex", or add spectra)'
            )
        n_test = min(max(round(fraction * len(objects)), 1), len(objects) - 1)
        test_objects.update(objects[i] for i in rng.permutation(len(objects))[:n_test])
    is_test = np.array([obj in test_objects for obj in part.objects])
    train, test = (part.take(rng.permutation(np.flatnonzero(mask))) for mask in (~is_test, is_test))
    train.dropped = part.dropped
    return train, test


def data_stage(run: RunDir, config: Config) -> None:
    save_spectra(run.path(SPECTRA), build_spectra(config))
