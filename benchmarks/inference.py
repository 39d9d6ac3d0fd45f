"""Single-sample latency and batch throughput: the generated C (both requant modes, called from Python
through ctypes on a shared library built from the same sources as the host harness), ONNX Runtime int8
and ONNX Runtime fp32, on the same test spectra, measured side by side in one run.

"(invoke)" is one ctypes call of NAME_invoke on preallocated numpy buffers (what summary.json's
latency_us reports); "(invoke_int8)" adds CompiledModel's per-call checks and allocations. Engines are
measured in interleaved rounds (best round kept), so machine load hits them alike.

Usage: .venv/bin/python benchmarks/inference.py [--run RUN] [--calls N] [--batch B]
Without --run, the reference network is built first (data, 2 training epochs, export, quantize).
Goal (issue 3): a single sample through the C build faster than through ONNX Runtime int8.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from flightml.compiler import compile_model
from flightml.config import load_config
from flightml.data import load_spectra
from flightml.ort_session import ort_session
from flightml.pipeline import run_pipeline
from flightml.verify.compiled import CompiledModel


def median_us(fn: Callable[[], object], calls: int) -> float:
    """Median wall time of one call, microseconds."""
    times = []
    for _ in range(calls):
        t0 = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - t0)
    return statistics.median(times) / 1000.0


def timed_s(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(
    engines: dict[str, tuple[Callable[[], object], Callable[[], object]]], calls: int, n: int, rounds: int = 7
) -> dict[str, tuple[float, float]]:
    """Per engine (single call, batch call of n samples): best-of-rounds median latency (us) and batch
    throughput (samples/s). Rounds interleave the engines, so machine load hits them alike."""
    lat: dict[str, list[float]] = {k: [] for k in engines}
    tput: dict[str, list[float]] = {k: [] for k in engines}
    for single, _ in engines.values():
        for _ in range(200):  # warm-up
            single()
    for _ in range(rounds):
        for name, (single, batch) in engines.items():
            lat[name].append(median_us(single, max(calls // rounds, 10)))
            tput[name].append(n / timed_s(batch))
    return {k: (min(lat[k]), max(tput[k])) for k in engines}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="run directory with model_fp32.onnx, model_int8.onnx, spectra.npz")
    parser.add_argument("--calls", type=int, default=3000, help="timed single-sample calls per engine")
    parser.add_argument("--batch", type=int, default=256, help="batch size of the throughput measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run
        if run is None:
            run = Path(tmp) / "run"
            config = load_config(None, {"train.epochs": 2})
            run_pipeline(config, run, stages=["data", "train", "export", "quantize"])
        spectra = load_spectra(run / "spectra.npz")
        x = spectra.x_test[: args.batch]
        one = x[:1]
        engines: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {}
        for mode in ("fixedpoint", "ort-exact"):
            c_dir = Path(tmp) / f"c_{mode}"
            compile_model(run / "model_int8.onnx", c_dir, "spectrumnet", mode, "benchmarks/inference.py")
            model = CompiledModel(c_dir)
            xq = model.quantize(x)
            one_q, out = np.ascontiguousarray(xq[0]), np.empty(model.output_shape, dtype=np.int8)
            call = (model.invoke, one_q.ctypes.data, out.ctypes.data)
            engines[f"C {mode} (invoke)"] = (lambda c=call: c[0](c[1], c[2]), lambda m=model, q=xq: m.invoke_int8(q))
            engines[f"C {mode} (invoke_int8)"] = (
                lambda m=model, q=xq[:1]: m.invoke_int8(q),
                lambda m=model, q=xq: m.invoke_int8(q),
            )
        for label, name in (("ORT int8", "model_int8.onnx"), ("ORT fp32", "model_fp32.onnx")):
            sess = ort_session(run / name, exact=False)  # timed as a user runs it
            inp = sess.get_inputs()[0].name
            engines[label] = (lambda s=sess, i=inp: s.run(None, {i: one}), lambda s=sess, i=inp: s.run(None, {i: x}))
        results = measure(engines, args.calls, len(x))
    rows = [(label, lat, tput) for label, (lat, tput) in results.items()]
    ref_latency = next(r[1] for r in rows if r[0] == "ORT int8")
    ref_tput = next(r[2] for r in rows if r[0] == "ORT int8")
    print(f"{'engine':<26} {'latency us':>11} {'vs ORT int8':>12} {'batch samples/s':>16} {'vs ORT int8':>12}")
    for label, lat, tput in rows:
        print(f"{label:<26} {lat:11.2f} {ref_latency / lat:11.2f}x {tput:16.0f} {tput / ref_tput:11.2f}x")
    best_c = min(lat for label, lat, _ in rows if label.startswith("C "))
    met = best_c < ref_latency
    print(
        f"goal: C single sample faster than ORT int8 ({best_c:.2f} us vs {ref_latency:.2f} us): "
        f"{'met' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
