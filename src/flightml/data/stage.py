"""The `data` stage: config -> spectra.npz.

Train and test come from `data.train_source` and `data.test_source` (each defaulting to
`data.source`). One source for both: synthetic sources draw independent train and test sets, observed
ones (smass2, csv) are split by object, stratified by class. Two sources: each is used whole. Observed
spectra are resampled to the band grid by the coverage policy (flightml.data.resample) and
normalised to 1 at `data.reference_um`; labels follow the label policy (flightml.data.taxonomy).
With an instrument (`[instrument] file`), the band grid is its band centres: spectra are sampled
on its integration grid and integrated over the band responses, synthetic ones then observed with
its noise and systematics (flightml.data.instrument). Test spectra of classes the model cannot
predict are left out and counted; differing label sets are warned about once (flightml.data.scores).
`train.adapt_unlabelled` adds a CSV's spectra, through the same grid or instrument and without their
labels, as `x_unlabelled` (for self-training in the train stage).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np

from flightml.artifacts import RunDir
from flightml.config import Config, DataConfig, InstrumentConfig, parse_class_weights
from flightml.data import busdemeo, csvfile, reference, smass2
from flightml.data.instrument import Instrument, load_instrument
from flightml.data.resample import Resampled, normalise_at, resample_rows
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


@dataclass(frozen=True)
class _Optics:
    """How spectra reach the band grid `grid` (um): sampled at `sampling`, then integrated by `instrument`.

    Without an instrument `sampling` is `grid` (linear interpolation onto the band grid).
    """

    grid: np.ndarray
    sampling: np.ndarray
    instrument: Instrument | None = None
    scale: float = 1.0
    noise_scale: float = 1.0

    def observed(self, data: DataConfig, wavelengths: np.ndarray, values: np.ndarray, rows: list[str]) -> Resampled:
        """Measured spectra on the grid by the coverage policy; at the band centres they are used as is."""
        at_centres = wavelengths.size == self.grid.size and np.allclose(wavelengths, self.grid, rtol=0, atol=1e-6)
        target = self.grid if self.instrument is None or at_centres else self.sampling
        resampled = resample_rows(wavelengths, values, target, data.max_gap_um, data.coverage_policy == "strict", rows)
        if self.instrument is not None:
            instrument = self.instrument
            resampled.values = (
                instrument.fill_bad(resampled.values) if at_centres else instrument.integrate(resampled.values)
            )
        return resampled

    def synthetic(
        self, model: busdemeo.BusDeMeoModel, n: int, rng: np.random.Generator, train: bool, reference_um: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """`n` busdemeo spectra through the instrument (when `train`: systematics times `scale`, noise times
        `noise_scale`)."""
        x, y = model.draw(n, rng)
        if self.instrument is None:
            return x, y
        observed = self.instrument.observe(
            self.instrument.integrate(x),
            rng,
            reference_um,
            self.scale if train else 1.0,
            self.noise_scale if train else 1.0,
        )
        return normalise_at(self.grid, observed, reference_um, "busdemeo"), y


def build_spectra(config: Config) -> Spectra:
    """The spectra the configuration asks for."""
    data = config.data
    train_name, test_name = data.train_source or data.source, data.test_source or data.source
    if train_name == "reference":
        spectra = reference.generate(data.n_train, data.n_test, data.bands, data.noise, data.seed)
    else:
        instrument = load_instrument(config.instrument.file) if config.instrument.file else None
        spectra = _build_observed(
            data, train_name, test_name, instrument, config.instrument, config.train.adapt_unlabelled
        )
    spectra.validate(f"data source '{train_name}' -> '{test_name}'")
    return spectra


def _source_label(name: str, path: str) -> str:
    return f"csv:{path}" if name == "csv" else name


def _build_observed(
    data: DataConfig,
    train_name: str,
    test_name: str,
    instrument: Instrument | None,
    scales: InstrumentConfig,
    unlabelled: str,
) -> Spectra:
    train_csv, test_csv = data.csv_path or data.test_csv_path, data.test_csv_path or data.csv_path
    train_label, test_label = _source_label(train_name, train_csv), _source_label(test_name, test_csv)
    tables = {
        label: _load_table(data, name, path)
        for label, name, path in ((train_label, train_name, train_csv), (test_label, test_name, test_csv))
        if name != "busdemeo"
    }
    if instrument is None:
        grid = _grid(
            data,
            [tables[label].coverage if label in tables else busdemeo.RANGE_UM for label in (train_label, test_label)],
            [train_label, test_label],
        )
        optics = _Optics(grid, grid)
    else:
        optics = _Optics(
            instrument.centres, instrument.sampling()[0], instrument, scales.systematics_scale, scales.noise_scale
        )
    grid = optics.grid
    model = None
    if "busdemeo" in (train_name, test_name):
        model = busdemeo.build_model(
            optics.sampling,
            labels=data.labels,
            end_members=data.end_members,
            undefined_sigma=data.undefined_sigma,
            include_xn=data.include_xn,
            noise=data.noise if instrument is None else 0.0,
            slope_sd=data.slope_sd,
            depth_sd=data.depth_sd,
            slope_mean=data.slope_mean,
            sigma_scale=data.sigma_scale,
            corr_um=data.corr_um,
            max_gap_um=data.max_gap_um,
            reference_um=data.reference_um,
            class_weights=parse_class_weights(data.class_weights) if data.class_weights else None,
        )
    if train_label == test_label and model is None:
        part = _observed(data, tables[train_label], optics)
        train, test = _split(part, data.test_fraction, data.split_seed, train_label)
    else:
        train = _part(data, train_label, tables, model, optics, data.n_train, 1)
        test = _part(data, test_label, tables, model, optics, data.n_test, 2)
    class_names = ordered(set(train.names))
    test, labels = _match_labels(test, class_names)
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
        **labels,
    }
    if instrument is not None:
        meta["instrument"] = instrument.to_meta()
        meta["systematics_scale"] = scales.systematics_scale
        meta["noise_scale"] = scales.noise_scale
    x_unlabelled = None
    if unlabelled:
        x_unlabelled, meta["unlabelled"] = _unlabelled(data, unlabelled, optics)
    return Spectra(
        x_train=train.x[:, None, :].astype(np.float32),
        y_train=np.array([class_names.index(n) for n in train.names], dtype=np.int64),
        x_test=test.x[:, None, :].astype(np.float32),
        y_test=np.array([class_names.index(n) for n in test.names], dtype=np.int64),
        wavelengths=grid,
        class_names=class_names,
        meta=meta,
        x_unlabelled=x_unlabelled,
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


def _match_labels(test: _Part, class_names: list[str]) -> tuple[_Part, dict[str, dict[str, int] | list[str]]]:
    """Test spectra of classes the model cannot predict left out (counted), and the warning when labels differ.

    Returns the kept test part and meta entries: `unpredictable_test` (class -> spectra left out) and
    `unlabelled_classes` (classes the model can predict that no test spectrum has).
    """
    keep = [i for i, name in enumerate(test.names) if name in class_names]
    unpredictable: dict[str, int] = {}
    left_out = []
    for row, name in zip(test.rows, test.names, strict=True):
        if name not in class_names:
            unpredictable[name] = unpredictable.get(name, 0) + 1
            left_out.append(f"{row}: class '{name}' is not a training class")
    kept = test
    if left_out:
        kept = test.take(np.array(keep, dtype=np.int64))
        kept.dropped = test.dropped + left_out
    if not keep:
        raise InputError(f"no test spectrum has a training class ({', '.join(class_names)})")
    unlabelled = [name for name in class_names if name not in set(kept.names)]
    notes = []
    if unlabelled:
        notes.append(f"no test spectrum is labelled {', '.join(unlabelled)}, which the model can predict")
    if unpredictable:
        listed = ", ".join(f"{name} {n}" for name, n in unpredictable.items())
        notes.append(f"test spectra of classes the model cannot predict are left out and scored as errors ({listed})")
    if notes:
        print(
            f"flightml: warning: the test labels differ from the model's classes: {'; '.join(notes)}; the evaluation "
            "reports accuracy counting such predictions as errors and as abstentions",
            file=sys.stderr,
        )
    return kept, {"unpredictable_test": unpredictable, "unlabelled_classes": unlabelled}


def _observed(data: DataConfig, table: SpectrumTable, optics: _Optics) -> _Part:
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
    resampled = optics.observed(data, labelled.wavelengths, labelled.values, labelled.rows)
    lo, hi = optics.sampling[0], optics.sampling[-1]
    dropped += [f"{row}: does not cover the band grid {lo:g}-{hi:g} um" for row in resampled.dropped]
    if resampled.kept.size == 0:
        raise InputError(
            f"{table.name}: no spectrum left after the label and coverage policies ({len(dropped)} dropped; "
            f"first: {dropped[0] if dropped else 'none'})"
        )
    kept = resampled.kept
    return _Part(
        x=normalise_at(optics.grid, resampled.values, data.reference_um, table.name),
        names=[names[i] for i in kept],
        objects=[labelled.objects[i] for i in kept],
        rows=[labelled.rows[i] for i in kept],
        dropped=dropped,
    )


def _unlabelled(data: DataConfig, path: str, optics: _Optics) -> tuple[np.ndarray, dict[str, object]]:
    """The spectra of CSV `path` on the grid by the coverage policy, labels unread: x [m, 1, bands] and meta."""
    table = csvfile.read_table(path, unit=data.unit, label_column=data.label_column, id_column=data.id_column)
    resampled = optics.observed(data, table.wavelengths, table.values, table.rows)
    if resampled.kept.size == 0:
        raise InputError(f"{table.name}: train.adapt_unlabelled: no spectrum covers the band grid")
    x = normalise_at(optics.grid, resampled.values, data.reference_um, table.name)
    return x[:, None, :].astype(np.float32), {"source": f"csv:{path}", "spectra": int(resampled.kept.size),
                                             "dropped": len(resampled.dropped)}  # fmt: skip


def _part(
    data: DataConfig,
    label: str,
    tables: dict[str, SpectrumTable],
    model: busdemeo.BusDeMeoModel | None,
    optics: _Optics,
    n: int,
    stream: int,
) -> _Part:
    if label in tables:
        whole = _observed(data, tables[label], optics)
        shuffled = whole.take(np.random.default_rng([data.split_seed, stream]).permutation(len(whole.names)))
        shuffled.dropped = whole.dropped
        return shuffled
    assert model is not None
    x, y = optics.synthetic(model, n, np.random.default_rng([data.seed, stream]), stream == 1, data.reference_um)
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
