"""`flightml search`: find the most accurate networks that fit a mission's budget; export one as a run."""

from __future__ import annotations

import argparse
from pathlib import Path

from flightml.errors import InputError

DEFAULT_OUT = Path("runs/search")


def register(subparsers: argparse._SubParsersAction) -> None:
    from flightml.search.strategies import STRATEGIES

    parser = subparsers.add_parser(
        "search", help="search network and quantization settings under a mission budget (Ray or a local pool)"
    )
    parser.add_argument("--mission", type=Path, help="mission TOML (see `flightml init mission`)")
    parser.add_argument("--space", help="search space TOML, or a built-in space name: default, small")
    parser.add_argument("--trials", type=int, default=24, help="candidates to evaluate (default 24)")
    parser.add_argument("--strategy", choices=STRATEGIES, default="tpe", help="search strategy (default tpe)")
    parser.add_argument("--workers", type=int, help="concurrent trials (default: all local cores / cluster CPUs)")
    parser.add_argument("--ray-address", help="address of a running Ray cluster, e.g. 10.0.0.5:6379")
    parser.add_argument("--local", action="store_true", help="use a local process pool even when Ray is installed")
    parser.add_argument("--seed", type=int, default=0, help="strategy seed (default 0)")
    parser.add_argument("--out", type=Path, help=f"search directory (default {DEFAULT_OUT}); with --export: the run")
    parser.add_argument("--export", metavar="TRIAL", help="export TRIAL (key or prefix) as a run directory --out")
    parser.add_argument("--from", dest="source", type=Path, help=f"search directory to export from ({DEFAULT_OUT})")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.export:
        return _export(args)
    from flightml.search.runner import SearchSettings, search
    from flightml.search.space import load_space

    if args.mission is None:
        raise InputError("flightml search: --mission FILE is required (or --export TRIAL)")
    if args.trials < 1 or (args.workers is not None and args.workers < 1):
        raise InputError("flightml search: --trials and --workers must be at least 1")
    out = Path(args.out or DEFAULT_OUT)
    _check_search_dir(out)
    settings = SearchSettings(
        mission=args.mission,
        space=load_space(args.space),
        out=out,
        trials=args.trials,
        strategy=args.strategy,
        seed=args.seed,
        workers=args.workers,
        address=args.ray_address,
        use_ray=not args.local,
    )
    doc = search(settings)
    print(f"search: {doc['trials_run']} trials in {doc['wall_s']:.0f} s on {doc['executor']}")
    print(doc["answer"]["text"])
    print(f"report: {out / 'search_report.html'}")
    return 0


def _check_search_dir(out: Path) -> None:
    """A search writes into a new or empty folder, or one a search wrote (results.json or trials/)."""
    from flightml.artifacts import check_writable_path
    from flightml.search.runner import RESULTS

    check_writable_path(out, "search folder", directory=True)
    if out.is_dir() and any(out.iterdir()) and not ((out / RESULTS).is_file() or (out / "trials").is_dir()):
        raise InputError(f"{out}: search folder is not empty and holds no flightml search; choose a new --out")


def _export(args: argparse.Namespace) -> int:
    from flightml.search.export import export_trial

    if args.out is None:
        raise InputError("flightml search --export: --out RUN is required")
    run = export_trial(args.source or DEFAULT_OUT, args.export, args.out)
    print(f"run: {run}")
    print(f"report: {run / 'report.html'}")
    return 0
