"""Instructions per MAC of each kernel path on the layer shapes of the MLPerf Tiny models (Cortex-M4,
DSP kernels; Cortex-M3 and Cortex-M0 code, portable kernels), one single-layer model per shape.

Each shape is a float ONNX model (tests/ops/qmodels.py) quantized per channel by ONNX Runtime (the
fully connected shapes per tensor, as TFLite quantizes them; `--only _fc` runs those alone), compiled
in the requantization mode --mode (fixedpoint unless told), and run under QEMU with the
instruction-counting plugin on 2 random inputs (median); the row is the measured layer's own count
(per-layer counters), so model set-up is not included. Every run is also checked bit-exact against the host build.

Usage: .venv/bin/python benchmarks/kernel_shapes.py [--portable] [--only NAME] [--mode MODE]
Goal (issue 16): no layer shape above 3 instructions per MAC on cortex-m4.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from flightml.compiler import compile_model, qparams
from flightml.mcu.verify import verify_mcu_targets
from flightml.verify.compiled import CompiledModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "ops"))
import qmodels

GOAL = 3.0
FC = ("ad_fc", "kws_fc", "ic_fc", "vww_fc")  # fully connected shapes: quantized per tensor (TFLite's)


def shapes() -> list[tuple[str, str, qmodels.Spec, int]]:
    """(kind, model and layer, float spec, index of the measured layer)."""
    conv, p1, s2 = qmodels.conv, {"pads": [1, 1, 1, 1]}, {"strides": [2, 2]}
    p01 = {"pads": [0, 0, 1, 1]}  # VWW's stride-2 depthwise layers (TFLite SAME on even planes)
    return [
        ("pointwise 1x1", "KWS DS-CNN 64->64 on 25x5", conv("kws_pw", (64, 25, 5), 64, (1, 1)), 0),
        ("pointwise 1x1", "VWW MobileNet 32->64 on 12x12", conv("vww_pw", (32, 12, 12), 64, (1, 1)), 0),
        ("pointwise 1x1", "VWW MobileNet 128->128 on 6x6", conv("vww_pw2", (128, 6, 6), 128, (1, 1)), 0),
        ("pointwise 1x1", "VWW MobileNet 8->16 on 48x48", conv("vww_pw8", (8, 48, 48), 16, (1, 1)), 0),
        ("pointwise 1x1 s2", "IC ResNet-8 shortcut 16->32", conv("ic_sc", (16, 32, 32), 32, (1, 1), **s2), 0),
        ("conv 3x3", "IC ResNet-8 16->16 on 32x32", conv("ic_c1", (16, 32, 32), 16, (3, 3), **p1), 0),
        ("conv 3x3 s2", "IC ResNet-8 32->64 on 16x16", conv("ic_c2", (32, 16, 16), 64, (3, 3), **s2, **p1), 0),
        ("conv 3x3", "IC ResNet-8 64->64 on 8x8", conv("ic_c3", (64, 8, 8), 64, (3, 3), **p1), 0),
        ("conv 3x3", "IC ResNet-8 first 3->16 on 32x32", conv("ic_c0", (3, 32, 32), 16, (3, 3), **p1), 0),
        ("conv 3x3 s2", "VWW MobileNet first 3->8 on 96x96", conv("vww_c0", (3, 96, 96), 8, (3, 3), **s2, **p1), 0),
        (
            "conv 10x4 s2",
            "KWS DS-CNN first 1->64 on 49x10",
            conv("kws_c0", (1, 49, 10), 64, (10, 4), auto_pad="SAME_UPPER", **s2),
            0,
        ),
        ("depthwise 3x3", "KWS DS-CNN 64 ch on 25x5", conv("kws_dw", (64, 25, 5), 64, (3, 3), group=64, **p1), 0),
        ("depthwise 3x3", "VWW MobileNet 32 ch on 24x24", conv("vww_dw", (32, 24, 24), 32, (3, 3), group=32, **p1), 0),
        ("depthwise 3x3", "VWW MobileNet 128 ch on 6x6", conv("vww_dw6", (128, 6, 6), 128, (3, 3), group=128, **p1), 0),
        ("depthwise 3x3", "VWW MobileNet 256 ch on 3x3", conv("vww_dw3", (256, 3, 3), 256, (3, 3), group=256, **p1), 0),
        (
            "depthwise 3x3 s2",
            "VWW MobileNet 128 ch on 6x6",
            conv("vww_dw6s2", (128, 6, 6), 128, (3, 3), group=128, **s2, **p01),
            0,
        ),
        (
            "depthwise 3x3 s2",
            "VWW MobileNet 64 ch on 12x12",
            conv("vww_dw12s2", (64, 12, 12), 64, (3, 3), group=64, **s2, **p01),
            0,
        ),
        (
            "depthwise 3x3 s2",
            "VWW MobileNet 32 ch on 24x24",
            conv("vww_dw2", (32, 24, 24), 32, (3, 3), group=32, **s2, **p01),
            0,
        ),
        ("fully connected", "AD autoencoder 640->128", qmodels.gemm("ad_fc640", 640, 128), 0),
        ("fully connected", "AD autoencoder 128->128", qmodels.gemm("ad_fc128", 128, 128), 0),
        ("fully connected", "AD autoencoder 128->8", qmodels.gemm("ad_fc_to8", 128, 8), 0),
        ("fully connected", "AD autoencoder 8->128", qmodels.gemm("ad_fc8", 8, 128), 0),
        ("fully connected", "KWS DS-CNN last 64->12", qmodels.gemm("kws_fc", 64, 12), 0),
        ("fully connected", "IC ResNet-8 last 64->10", qmodels.gemm("ic_fc", 64, 10), 0),
        ("fully connected", "VWW MobileNet last 256->2", qmodels.gemm("vww_fc", 256, 2), 0),
        ("residual Add", "IC ResNet-8 16 x 32x32", qmodels.residual("ic_add", (16, 32, 32)), 2),
        ("global average pool", "KWS DS-CNN 64 x 25x5", qmodels.pool("kws_gap", "GlobalAveragePool", (64, 25, 5)), 1),
    ]


def measure(
    spec: qmodels.Spec, layer: int, targets: list[str], tmp: Path, mode: str
) -> dict[str, tuple[int, int, bool] | str]:
    """Per target: (instructions, MACs or, for layers without, elements, bit-exact) of layer `layer` of
    `spec` compiled in `mode`, or why it was not measured (the target's status and reason)."""
    spec.per_channel = not spec.name.startswith(FC)  # flightml's default; fully connected per tensor, as TFLite
    c_dir = tmp / spec.name / "c"
    compile_model(qmodels.quantize(spec, tmp / spec.name), c_dir, "net", mode, "kernel_shapes")
    model = CompiledModel(c_dir)
    x = np.random.default_rng(0).integers(-128, 128, (2, *model.input_shape)).astype(np.int8)
    settings = {"timeout_s": 600.0, "clock_mhz": 80.0, "flash_wait_states": 0, "wcet_margin": 1.0}
    results = verify_mcu_targets(c_dir, x, model.invoke_int8(x), targets, **settings)["targets"]
    out: dict[str, tuple[int, int, bool] | str] = {}
    for target, result in results.items():
        if not result["per_layer"]:
            out[target] = f"{result['status']}: {result['reason'][:60]}"
            continue
        row = result["per_layer"][layer]
        elements = max(int(np.prod(model.input_shape)), int(np.prod(model.output_shape)))
        out[target] = (row["instructions"], row["macs"] or elements, result["bitexact"] == 1.0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--portable",
        action="store_true",
        help="also the portable kernels: cortex-m3, cortex-m0-mps2 (Cortex-M0 code; the micro:bit RAM is too small)",
    )
    parser.add_argument("--only", help="only shapes whose spec name contains this")
    parser.add_argument("--mode", default="fixedpoint", choices=qparams.MODES, help="requantization mode")
    args = parser.parse_args()
    targets = ["cortex-m4", *(["cortex-m3", "cortex-m0-mps2"] if args.portable else [])]
    print("| kind | layer | " + " | ".join(f"{t} instructions | per MAC" for t in targets) + " | bit-exact |")
    print("(Add and pooling: per element instead of per MAC)", file=sys.stderr)
    print("|---|---|" + "---|---|" * len(targets) + "---|")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="fm-shapes-") as tmp:
        for kind, what, spec, layer in shapes():
            if args.only and args.only not in spec.name:
                continue
            cells, exact = [], True
            for target, got in measure(spec, layer, targets, Path(tmp), args.mode).items():
                if isinstance(got, str):
                    cells += [got, "-"]
                    continue
                insns, work, ok = got
                cells += [f"{insns:,}", f"{insns / work:.2f}"]
                exact &= ok
                if target == "cortex-m4" and ("conv" in kind or "wise" in kind or kind == "fully connected"):
                    worst = max(worst, insns / work)
            print(f"| {kind} | {what} | " + " | ".join(cells) + f" | {'yes' if exact else 'NO'} |", flush=True)
    worst_text = f"{worst:.2f} instructions per MAC (goal <= {GOAL})"
    print(f"\nworst convolution or fully connected shape on cortex-m4: {worst_text}")


if __name__ == "__main__":
    main()
