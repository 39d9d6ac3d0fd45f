"""Large inputs: a 10-million-row power trace and a 200 MB spectra CSV, read and analysed by today's
readers and by the readers of a baseline git revision, side by side in one run.

Each measurement runs in its own process (wall time, CPU time, which a machine shared with other jobs
inflates less, and peak resident memory from getrusage). The inputs
are generated here, in a temporary folder. The baseline readers (row by row in Python) take minutes
and gigabytes at full size, so by default they read a tenth of it (--baseline-fraction); the ratio
is taken on that same smaller input, read by both. Goals (issue 13): trace <= 20 s and <= 1 GB,
CSV <= 20 s and <= 2 GB. Usage:

    .venv/bin/python benchmarks/readers.py [--rows 10000000] [--csv-mb 200] [--baseline-rev df14e1a]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BANDS = 64
CHILD = r"""
import importlib.util, json, resource, sys, time
kind, source, path = sys.argv[1:4]
if source == "current":
    from flightml.power import traces
    from flightml.data import csvfile
else:
    spec = importlib.util.spec_from_file_location("baseline_reader", source)
    module = sys.modules["baseline_reader"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    traces = csvfile = module
start, cpu = time.perf_counter(), time.process_time()
if kind == "trace":
    from flightml.power.analyze import analyze
    doc = analyze(traces.read_trace(path), marker="marker")
    result = {"windows": len(doc["windows"]), "energy_uj": doc["energy_uj_per_inference"]}
else:
    table = csvfile.read_table(path, unit="auto", label_column="label", id_column="id")
    result = {"spectra": len(table.labels), "bands": int(table.wavelengths.size)}
seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({**result, "seconds": round(seconds, 2), "cpu_s": round(cpu_s, 2), "peak_rss_mb": round(rss_mb)}))
"""


def write_trace(path: Path, rows: int) -> None:
    """flightml's INA219 CSV at 100 kS/s: 5 mA idle, 25 mA for 2 ms of every 10 ms (marked)."""
    with open(path, "w") as handle:
        handle.write("# flightml ina219 trace\n# adc=12bit conversion_us=10 max_current_a=0.1 shunt_ohms=1.0\n")
        handle.write("t_s,current_ma,bus_v,power_mw,ovf,marker\n")
        rng = np.random.default_rng(0)
        for start in range(0, rows, 500_000):
            i = np.arange(start, min(rows, start + 500_000))
            marker = (i % 1000) < 200
            current = 5.0 + 20.0 * marker + rng.normal(0, 0.05, i.size)
            table = np.column_stack([i * 1e-5, current, np.full(i.size, 3.3), current * 3.3, np.zeros(i.size), marker])
            np.savetxt(handle, table, fmt=["%.5f", "%.4f", "%.3f", "%.4f", "%d", "%d"], delimiter=",")


def write_spectra(path: Path, megabytes: float) -> None:
    """A wide-form CSV: id, label and BANDS wavelength columns 0.45-2.45 um, about `megabytes` MB."""
    rows = int(megabytes * 1e6 / (BANDS * 7 + 16))
    grid = np.linspace(0.45, 2.45, BANDS)
    rng = np.random.default_rng(0)
    with open(path, "w") as handle:
        handle.write("id,label," + ",".join(f"{w:.4f}" for w in grid) + "\n")
        for start in range(0, rows, 20_000):
            n = min(rows, start + 20_000) - start
            values = 1.0 + 0.2 * (grid - 0.55) + rng.normal(0, 0.01, (n, BANDS))
            labels = np.array(["S", "C", "X", "V"])[rng.integers(0, 4, n)]
            body = np.char.add(np.char.add([f"obj{start + k}," for k in range(n)], labels), ",")
            text = np.char.add(body, [",".join(f"{v:.4f}" for v in row) for row in values])
            handle.write("\n".join(text) + "\n")


def measure(kind: str, source: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind, source, str(path)], capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"{kind} with {source} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def baseline_sources(rev: str, folder: Path) -> dict[str, Path]:
    files = {"trace": "src/flightml/power/traces.py", "csv": "src/flightml/data/csvfile.py"}
    sources = {}
    for kind, rel in files.items():
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{rel}"], capture_output=True, text=True)
        if text.returncode:
            raise SystemExit(f"git show {rev}:{rel} failed: {text.stderr.strip()}")
        sources[kind] = folder / f"baseline_{kind}.py"
        sources[kind].write_text(text.stdout)
    return sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="trace rows (default 10 million)")
    parser.add_argument("--csv-mb", type=float, default=200.0, help="spectra CSV size, MB (default 200)")
    parser.add_argument("--baseline-rev", default="df14e1a", help="git revision of the readers compared against")
    parser.add_argument("--baseline-fraction", type=float, default=0.1, help="input share the baseline reads")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="fm-readers-") as tmp:
        folder = Path(tmp)
        baseline = baseline_sources(args.baseline_rev, folder)
        inputs = {
            "trace": (write_trace, args.rows, f"{args.rows} rows"),
            "csv": (write_spectra, args.csv_mb, f"{args.csv_mb:g} MB"),
        }
        for kind, (write, size, label) in inputs.items():
            full, small = folder / f"{kind}_full.csv", folder / f"{kind}_small.csv"
            write(full, size)
            write(small, type(size)(size * args.baseline_fraction))
            small_label = f"{args.baseline_fraction:g} x {label}"
            results[f"{kind} {label}, current"] = measure(kind, "current", full)
            results[f"{kind} {small_label}, current"] = current = measure(kind, "current", small)
            results[f"{kind} {small_label}, {args.baseline_rev}"] = old = measure(kind, str(baseline[kind]), small)
            print(
                f"{kind}: {label} in {results[f'{kind} {label}, current']['seconds']} s "
                f"({results[f'{kind} {label}, current']['cpu_s']} s CPU), "
                f"{results[f'{kind} {label}, current']['peak_rss_mb']} MB peak; on {small_label}: "
                f"{old['seconds'] / current['seconds']:.1f}x faster, "
                f"{old['peak_rss_mb'] / current['peak_rss_mb']:.1f}x less memory than {args.baseline_rev}",
                flush=True,
            )
            full.unlink()
            small.unlink()
    for name, figures in results.items():
        print(f"  {name:45s} {json.dumps(figures)}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
