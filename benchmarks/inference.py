"""Single-sample latency and batch throughput: the generated C (both requant modes, called from Python
through ctypes on a shared library built from the same sources as the host harness), ONNX Runtime int8
and ONNX Runtime fp32, on the same test spectra, measured side by side in one run.

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

import onnxruntime as ort

from flightml.compiler import compile_model
from flightml.config import load_config
from flightml.data import load_spectra
from flightml.pipeline import run_pipeline
from flightml.verify.compiled import CompiledModel


def median_us(fn: Callable[[], object], calls: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - t0)
    return statistics.median(times) / 1000.0


def throughput(fn: Callable[[], object], n: int, repeats: int = 5) -> float:
    """Samples per second of the best of `repeats` runs of fn (which processes n samples)."""
    best = min(_timed(fn) for _ in range(repeats))
    return n / best


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


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
        rows: list[tuple[str, float, float]] = []
        for mode in ("fixedpoint", "ort-exact"):
            c_dir = Path(tmp) / f"c_{mode}"
            compile_model(run / "model_int8.onnx", c_dir, "spectrumnet", mode, "benchmarks/inference.py")
            model = CompiledModel(c_dir)
            xq = model.quantize(x)
            rows.append(
                (
                    f"C {mode}",
                    model.latency_us(xq[:1], calls=args.calls, warmup=300),
                    throughput(lambda m=model, q=xq: m.invoke_int8(q), len(x)),
                )
            )
        for label, name in (("ORT int8", "model_int8.onnx"), ("ORT fp32", "model_fp32.onnx")):
            sess = session(run / name)
            inp = sess.get_inputs()[0].name
            rows.append(
                (
                    label,
                    median_us(lambda s=sess, i=inp: s.run(None, {i: one}), args.calls, 300),
                    throughput(lambda s=sess, i=inp: s.run(None, {i: x}), len(x)),
                )
            )
    ref_latency = next(r[1] for r in rows if r[0] == "ORT int8")
    ref_tput = next(r[2] for r in rows if r[0] == "ORT int8")
    print(f"{'engine':<16} {'latency us':>11} {'vs ORT int8':>12} {'batch samples/s':>16} {'vs ORT int8':>12}")
    for label, lat, tput in rows:
        print(f"{label:<16} {lat:11.2f} {ref_latency / lat:11.2f}x {tput:16.0f} {tput / ref_tput:11.2f}x")
    best_c = min(lat for label, lat, _ in rows if label.startswith("C "))
    met = best_c < ref_latency
    print(
        f"goal: C single sample faster than ORT int8 ({best_c:.2f} us vs {ref_latency:.2f} us): "
        f"{'met' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
