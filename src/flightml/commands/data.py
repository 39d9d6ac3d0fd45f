"""`flightml data`: list the data sources (`info`) or build a run's spectra (`build`)."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from flightml.errors import InputError

SOURCES = ("reference", "busdemeo", "smass2")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="list the data sources or build a run's spectra")
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    info = actions.add_parser("info", help="sources, sizes, classes and citations")
    info.set_defaults(handler=handle_info)
    build = actions.add_parser("build", help="run the data stage (and the template baseline) into RUN")
    build.add_argument(
        "--out", type=Path, required=True, metavar="RUN", help="run directory: new, empty or a flightml run"
    )
    build.add_argument("--config", type=Path, help="TOML configuration (default: the reference study)")
    add_data_source_args(build)
    build.set_defaults(handler=handle_build)


def add_data_source_args(parser: argparse.ArgumentParser) -> None:
    """Add --source, --train-source and --test-source (each reference|busdemeo|smass2|csv:FILE), --instrument."""
    for flag, what in (("--source", "train and test"), ("--train-source", "training"), ("--test-source", "test")):
        parser.add_argument(flag, metavar="SOURCE", help=f"{what} data: reference, busdemeo, smass2 or csv:FILE")
    parser.add_argument(
        "--instrument",
        metavar="FILE",
        help="instrument TOML (instrument.file), or a shipped example: smass2-grid, spectrophotometer-16, camera-8",
    )


def _parse_source(flag: str, value: str) -> tuple[str, str]:
    name, _, path = value.partition(":")
    if name == "csv" and not path:
        raise InputError(f"{flag} csv needs a file: {flag} csv:FILE")
    if name != "csv" and (path or name not in SOURCES):
        raise InputError(f"{flag}: unknown source {value!r} (reference, busdemeo, smass2 or csv:FILE)")
    return name, path


def data_overrides(args: argparse.Namespace) -> dict[str, object]:
    """Dotted config overrides ("data.source", "data.csv_path", ...) from the source flags."""
    overrides: dict[str, object] = {}
    for attr, flag, key, path_key in (
        ("source", "--source", "data.source", "data.csv_path"),
        ("train_source", "--train-source", "data.train_source", "data.csv_path"),
        ("test_source", "--test-source", "data.test_source", "data.test_csv_path"),
    ):
        value = getattr(args, attr, None)
        if value:
            name, path = _parse_source(flag, value)
            overrides[key] = name
            if path:
                overrides[path_key] = path
    if getattr(args, "instrument", None):
        overrides["instrument.file"] = args.instrument
    return overrides


def handle_info(args: argparse.Namespace) -> int:
    import numpy as np

    from flightml.data import busdemeo, smass2
    from flightml.data.instrument import SHIPPED, load_instrument
    from flightml.data.taxonomy import complex_of

    templates = busdemeo.load_templates()
    table = smass2.load()
    complexes = Counter(complex_of(label) for label in table.labels)
    undefined = [c for c, s in templates.sigmas.items() if np.isnan(s).any()]
    lines = [
        "reference  the reference study's synthetic generator: 4 complexes S, C, X, V on a unit-free band grid",
        "",
        f"busdemeo   synthetic spectra from the Bus-DeMeo class means and sigmas "
        f"({len(templates.means)} classes x {templates.wavelengths.size} wavelengths, "
        f"{templates.wavelengths[0]:g}-{templates.wavelengths[-1]:g} um)",
        f"           classes: {' '.join(templates.means)}",
        f"           undefined sigma: {' '.join(undefined)}; Xn left out unless data.include_xn",
        f"           file: {busdemeo.FILE.name} ({busdemeo.FILE.stat().st_size} bytes)",
        f"           cite: {busdemeo.CITATION}",
        "",
        f"smass2     SMASSII visible spline fits: {len(table.labels)} spectra with a Bus class "
        f"({len(table.dropped)} without), {table.wavelengths.size} wavelengths "
        f"{table.wavelengths[0]:g}-{table.wavelengths[-1]:g} um",
        "           classes: " + " ".join(f"{c} {n}" for c, n in Counter(table.labels).most_common()),
        "           complexes: " + " ".join(f"{c} {n}" for c, n in complexes.most_common()),
        f"           file: {smass2.FILE.name} ({smass2.FILE.stat().st_size} bytes)",
        f"           cite: {smass2.CITATION}",
        "",
        "csv:FILE   your spectra: wide form (wavelength-named columns + label column) or long form "
        "(id, wavelength, reflectance, label); see data.* in `flightml config --default`",
        "",
        "instruments (--instrument NAME or FILE): "
        + ", ".join(f"{p.stem} ({load_instrument(p.stem).bands} bands)" for p in sorted(SHIPPED.glob("*.toml"))),
        "",
        f"provenance and licences: {busdemeo.FILE.parent / 'PROVENANCE.md'}",
    ]
    print("\n".join(lines))
    return 0


def handle_build(args: argparse.Namespace) -> int:
    from flightml.artifacts import read_json
    from flightml.config import load_config
    from flightml.data.baseline import BASELINE
    from flightml.data.spectra import load_spectra
    from flightml.data.stage import SPECTRA
    from flightml.pipeline import run_pipeline

    config = load_config(args.config, data_overrides(args))
    run = run_pipeline(config, args.out, stages=("data", "baseline"), resume=True).dir
    spectra = load_spectra(run.path(SPECTRA))
    counts = Counter(spectra.class_names[i] for i in spectra.y_train)
    tests = Counter(spectra.class_names[i] for i in spectra.y_test)
    print(f"{run.path(SPECTRA)}: source {spectra.meta.get('source')}, {spectra.bands} bands")
    print("  train: " + ", ".join(f"{c} {counts[c]}" for c in spectra.class_names))
    print("  test:  " + ", ".join(f"{c} {tests[c]}" for c in spectra.class_names))
    for source, n in spectra.meta.get("dropped", {}).items():
        if n:
            print(f"  dropped from {source}: {n} spectra (see meta dropped_rows)")
    accuracy = run.summary().get("baseline_accuracy")
    shown = "not applicable" if accuracy is None else f"{accuracy:.4f}"
    print(f"{run.path(BASELINE)}: nearest-template baseline accuracy {shown}")
    labels = read_json(run.path(BASELINE)).get("labels")
    if labels and (labels["unlabelled_classes"] or labels["unpredictable_test_spectra"]):
        errors, abstaining, rate = (
            "n/a" if labels[k] is None else f"{labels[k]:.4f}"
            for k in ("accuracy_as_errors", "accuracy_abstaining", "abstention_rate")
        )
        print(
            f"  labels differ: accuracy {errors} counting them as errors, {abstaining} as abstentions "
            f"(abstention rate {rate})"
        )
    return 0
