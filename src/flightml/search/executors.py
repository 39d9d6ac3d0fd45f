"""Where trials run: Ray tasks (local or a cluster) or, without Ray, a local process pool.

Both take a batch of TrialSpecs and yield (index, row) as trials finish. Workers run torch and
ONNX Runtime on one thread each, so N workers use N cores.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Any, Protocol

from flightml.search.trial import TrialSpec, crashed_row, run_trial

RAY_HINT = "Ray is not installed; running trials in a local process pool (for Ray: pip install 'flightml[search]')"
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


class Executor(Protocol):
    name: str
    workers: int

    def run(self, specs: Sequence[TrialSpec]) -> Iterator[tuple[int, dict[str, Any]]]:
        """Run the specs concurrently; yield (index into specs, row) as each finishes."""

    def close(self) -> None: ...


def single_threaded() -> None:
    """Worker initialiser: one BLAS/OpenMP/torch thread."""
    for name in THREAD_ENV:
        os.environ[name] = "1"
    import torch

    torch.set_num_threads(1)


def _quiet_worker() -> None:
    """Pool worker initialiser: single-threaded, and the stages' own progress bars kept off the terminal."""
    single_threaded()
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the worker


def _run_trial_single(spec: TrialSpec) -> dict[str, Any]:
    single_threaded()
    return run_trial(spec)


class LocalPool:
    """A spawn-context process pool of `workers` processes."""

    name = "local process pool"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_quiet_worker)

    def run(self, specs: Sequence[TrialSpec]) -> Iterator[tuple[int, dict[str, Any]]]:
        futures = {self.pool.submit(run_trial, spec): i for i, spec in enumerate(specs)}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                index = futures[future]
                try:
                    row = future.result()
                except Exception as exc:  # the worker process died
                    row = crashed_row(specs[index], exc)
                yield index, row

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


class RayPool:
    """Ray tasks of one CPU each: a local Ray started with `workers` CPUs, or the cluster at `address`."""

    def __init__(self, workers: int | None, address: str | None) -> None:
        import ray

        self.ray = ray
        self.started = not ray.is_initialized()
        if self.started:
            # "local" starts a private Ray even when another one runs on this machine
            kwargs: dict[str, Any] = {"address": address} if address else {"address": "local", "num_cpus": workers}
            ray.init(
                **kwargs,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
                configure_logging=True,
            )
        self.workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.name = f"Ray at {address}" if address else f"Ray (local, {self.workers} workers)"
        self.task = ray.remote(num_cpus=1, max_retries=0)(_run_trial_single)

    def run(self, specs: Sequence[TrialSpec]) -> Iterator[tuple[int, dict[str, Any]]]:
        refs = {self.task.remote(spec): i for i, spec in enumerate(specs)}
        pending = list(refs)
        while pending:
            finished, pending = self.ray.wait(pending, num_returns=1)
            index = refs[finished[0]]
            try:
                row = self.ray.get(finished[0])
            except self.ray.exceptions.RayError as exc:  # the worker or its node died
                row = crashed_row(specs[index], exc)
            yield index, row

    def close(self) -> None:
        if self.started:
            self.ray.shutdown()


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def make_executor(workers: int | None, address: str | None, use_ray: bool = True) -> Executor:
    """Ray when installed (or required by `address`), else a local pool; says once which."""
    if use_ray and ray_available():
        return RayPool(workers, address)
    if address:
        from flightml.errors import ToolMissing

        raise ToolMissing("--ray-address needs Ray: pip install 'flightml[search]'")
    if use_ray:
        print(f"flightml: {RAY_HINT}", file=sys.stderr)
    return LocalPool(workers or os.cpu_count() or 1)
