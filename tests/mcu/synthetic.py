"""A hand-written C package with the reference network's shapes (random weights), in the compiler's
output contract, plus its numpy integer reference: lets the MCU tests run without the compiler."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from flightml.compiler import emit

RUNTIME = Path(__file__).resolve().parents[2] / "src" / "flightml" / "compiler" / "runtime"
NAME = "synth"
IN_OFF, OUT_ZP = 3, -5

_MODEL_C = """\
/* synthetic test model (tests/mcu/synthetic.py) */
#include "model.h"
#include "fm_kernels.h"

%(arrays)s
static union {
    int64_t align; /* kernel scratch is 8-byte aligned */
    int8_t bytes[%(arena)d];
} synth_arena;

fm_status_t synth_invoke(const int8_t *input, int8_t *output) {
    int8_t *a = synth_arena.bytes;
    int8_t *scratch = a + 1088; /* kernel scratch: 1,280 B, the most any layer needs */
    fm_status_t rc;
    int i;
    for (i = 0; i < 64; ++i) a[i] = input[i];
    rc = fm_conv_s8(&c1_p, &c1_rq, a, c1_weights, c1_bias, scratch, a + 64);
    if (rc) return rc;
    rc = fm_conv_maxpool_s8(&c2_p, &pool_p, &c2_rq, a + 64, c2_weights, c2_bias, scratch, a + 576);
    if (rc) return rc;
    rc = fm_fc_s8(&f1_p, &f1_rq, a + 576, f1_weights, f1_bias, scratch, a);
    if (rc) return rc;
    return fm_fc_s8(&f2_p, &f2_rq, a, f2_weights, f2_bias, scratch, output);
}
"""

_MODEL_H = """\
#ifndef SYNTH_MODEL_H
#define SYNTH_MODEL_H
#include <stdint.h>
#include "fm_status.h"
#define SYNTH_INPUT_SIZE 64
#define SYNTH_OUTPUT_SIZE 4
#define SYNTH_ARENA_BYTES %(arena)d
#define SYNTH_WEIGHT_BYTES %(weights)d
fm_status_t synth_invoke(const int8_t *input, int8_t *output);
#endif
"""


def _c_array(ctype: str, name: str, values: np.ndarray) -> str:
    body = ", ".join(str(int(v)) for v in values.ravel())
    return f"static const {ctype} {name}[{values.size}] = {{{body}}};"


def params(seed: int = 0, w_offset: int = 0) -> dict[str, np.ndarray | int]:
    rng = np.random.default_rng(seed)
    shapes = {"c1": (8, 1, 3), "c2": (16, 8, 3), "f1": (64, 512), "f2": (4, 64)}
    out: dict[str, np.ndarray | int] = {"w_offset": w_offset}
    for key, shape in shapes.items():
        out[f"{key}_w"] = rng.integers(-128, 128, shape, dtype=np.int64)
        out[f"{key}_b"] = rng.integers(-3000, 3000, shape[0], dtype=np.int64)
        out[f"{key}_mult"] = rng.integers(1 << 30, 1 << 31, shape[0], dtype=np.int64)
        out[f"{key}_shift"] = rng.integers(-9, -5, shape[0], dtype=np.int64)
    return out


def write_package(c_dir: Path, seed: int = 0, w_offset: int = 0) -> Path:
    """Write the synthetic package to `c_dir` (runtime headers and the rendered fm_op_kernels.h, both kernel
    sets, fixedpoint requant)."""
    p = params(seed, w_offset)
    c_dir.mkdir(parents=True, exist_ok=True)
    for header in RUNTIME.glob("*.h"):
        shutil.copy(header, c_dir / header.name)
    (c_dir / emit.OP_KERNELS_H).write_text(emit.op_kernels_header(), encoding="utf-8")
    sets = {"portable": RUNTIME / "kernels" / "portable", "dsp": RUNTIME / "kernels" / "dsp"}
    for kset, src in sets.items():
        if any(src.glob("*.c")):  # each set is complete: kernels + fm_requant.c of the mode
            shutil.copytree(src, c_dir / "kernels" / kset, dirs_exist_ok=True)
            shutil.copy(RUNTIME / "requant" / "fixedpoint.c", c_dir / "kernels" / kset / "fm_requant.c")
    arrays, consts = [], []
    conv = "{%d,1,%d, %d,1,%d, 1,3, 1,1, 1,1, 0,1, 1, %d, %d}"
    for key, ctype in (("w", "int8_t"), ("b", "int32_t"), ("mult", "int32_t"), ("shift", "int8_t")):
        for layer in ("c1", "c2", "f1", "f2"):
            cname = {"w": "weights", "b": "bias"}.get(key, key)  # the compiler's naming
            values = np.asarray(p[f"{layer}_{key}"])
            arrays.append(_c_array(ctype, f"{layer}_{cname}", values))
            kind = {"w": "weights", "b": "biases"}.get(key, "requant")
            size = values.size * (1 if ctype == "int8_t" else 4)
            consts.append({"name": f"{layer}_{cname}", "bytes": size, "kind": kind, "fault_class": kind})
    for layer in ("c1", "c2", "f1", "f2"):
        lo = -5 if layer != "f2" else -128
        rq = f"{{{layer}_mult, {layer}_shift, 0, 1, {OUT_ZP}, {lo}, 127}}"
        arrays.append(f"static const fm_requant_t {layer}_rq = {rq};")
    arrays.append("static const fm_conv_params_t c1_p = " + conv % (1, 64, 8, 64, IN_OFF, w_offset) + ";")
    arrays.append("static const fm_conv_params_t c2_p = " + conv % (8, 64, 16, 64, -OUT_ZP, w_offset) + ";")
    arrays.append("static const fm_pool_params_t pool_p = {16, 1, 64, 1, 32, 1, 2, 1, 2, 1, 1, 0, 0};")
    arrays.append(f"static const fm_fc_params_t f1_p = {{1, 512, 64, {-OUT_ZP}, {w_offset}}};")
    arrays.append(f"static const fm_fc_params_t f2_p = {{1, 64, 4, {-OUT_ZP}, {w_offset}}};")
    weights = sum(np.asarray(p[f"{k}_w"]).size + 4 * np.asarray(p[f"{k}_b"]).size for k in ("c1", "c2", "f1", "f2"))
    (c_dir / "model.c").write_text(_MODEL_C % {"arrays": "\n".join(arrays), "arena": 1088 + 1280})
    (c_dir / "model.h").write_text(_MODEL_H % {"arena": 1088 + 1280, "weights": weights})
    layers = [
        ("conv1", "fm_conv_s8", 1536),
        ("conv2_pool", "fm_conv_maxpool_s8", 24576),
        ("fc1", "fm_fc_s8", 32768),
        ("fc2", "fm_fc_s8", 256),
    ]
    plan = {"layers": [{"node": n, "kernel": k, "macs": m} for n, k, m in layers]}
    (c_dir / "plan.json").write_text(json.dumps(plan))
    by_kind = {k: sum(c["bytes"] for c in consts if c["kind"] == k) for k in ("weights", "biases", "requant")}
    sizes = {**by_kind, "luts": 0, "const": sum(by_kind.values()), "weights_and_biases": weights, "arena": 1088 + 1280}
    api = {"input": {"size": 64}, "output": {"size": 4}}
    package = {"format": 1, "name": NAME, "mode": "fixedpoint", "api": api, "sizes": sizes, "constants": consts}
    (c_dir / "package.json").write_text(json.dumps({**package, **plan}))
    return c_dir


def _rq(acc: np.ndarray, mult: np.ndarray, shift: np.ndarray, lo: int) -> np.ndarray:
    total = (31 - shift).astype(object)
    v = acc.astype(object) * mult.astype(object) + (1 << (total - 1))
    out = np.array(
        [int(a) >> int(t) for a, t in zip(v.ravel(), np.broadcast_to(total, v.shape).ravel(), strict=True)],
        dtype=np.int64,
    ).reshape(acc.shape)
    return np.clip(out + OUT_ZP, lo, 127)


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, in_off: int, w_off: int) -> np.ndarray:
    xp = np.pad(x + in_off, ((0, 0), (1, 1)))
    cols = np.stack([xp[:, k : k + x.shape[1]] for k in range(3)], axis=-1)  # [ic, pos, k]
    return np.einsum("ipk,oik->op", cols, w + w_off) + b[:, None]


def reference(x: np.ndarray, seed: int = 0, w_offset: int = 0) -> np.ndarray:
    """Integer reference outputs [n, 4] for int8 inputs [n, 64]."""
    p = {k: np.asarray(v) for k, v in params(seed, w_offset).items()}
    outs = []
    for row in x.astype(np.int64):
        h = _rq(
            _conv(row[None, :], p["c1_w"], p["c1_b"], IN_OFF, w_offset),
            p["c1_mult"][:, None],
            p["c1_shift"][:, None],
            -5,
        )
        h = _rq(_conv(h, p["c2_w"], p["c2_b"], -OUT_ZP, w_offset), p["c2_mult"][:, None], p["c2_shift"][:, None], -5)
        h = h.reshape(16, 32, 2).max(axis=-1).ravel()
        h = _rq((p["f1_w"] + w_offset) @ (h - OUT_ZP) + p["f1_b"], p["f1_mult"], p["f1_shift"], -5)
        outs.append(_rq((p["f2_w"] + w_offset) @ (h - OUT_ZP) + p["f2_b"], p["f2_mult"], p["f2_shift"], -128))
    return np.array(outs, dtype=np.int8)
