"""Flatten, Reshape, Squeeze, Unsqueeze: views. No kernel and no copy; the output aliases the input's
bytes (row-major layout is unchanged). Input and output quantization must be equal.
"""

from __future__ import annotations

import numpy as np

from flightml.compiler.ops.common import NodeIn

KIND = "view"
ONNX_OPS = ("Flatten", "Reshape", "Squeeze", "Unsqueeze")


def _axes(n: NodeIn, rank: int) -> list[int]:
    axes = n.inputs[1] if len(n.inputs) > 1 and isinstance(n.inputs[1], np.ndarray) else n.attr("axes")
    if axes is None:
        return []
    return sorted(int(a) % rank for a in np.asarray(axes).ravel())


def view_shape(n: NodeIn) -> tuple[int, ...]:
    """The output shape of the view (batch 1), checked to hold the same number of elements."""
    x = n.act(0)
    if (x.scale, x.zp) != (n.out.scale, n.out.zp) or (n.act_min, n.act_max) != (-128, 127):
        raise n.fail("input and output quantization must be equal for a view op")
    shape = list(x.shape)
    op = n.node.op_type
    if op == "Flatten":
        axis = int(n.attr("axis", 1)) % max(len(shape), 1)
        out = [int(np.prod(shape[:axis], dtype=np.int64)), int(np.prod(shape[axis:], dtype=np.int64))]
    elif op == "Reshape":
        target = n.inputs[1] if len(n.inputs) > 1 else None
        if not isinstance(target, np.ndarray):
            raise n.fail("the target shape must be a constant initializer")
        out = [shape[i] if int(d) == 0 and not int(n.attr("allowzero", 0)) else int(d) for i, d in enumerate(target)]
        if out.count(-1) == 1:
            rest = int(np.prod([d for d in out if d != -1], dtype=np.int64))
            out[out.index(-1)] = x.size // max(rest, 1)
    elif op == "Squeeze":
        axes = _axes(n, len(shape)) or [i for i, d in enumerate(shape) if d == 1]
        out = [d for i, d in enumerate(shape) if i not in axes]
    else:
        axes = _axes(n, len(shape) + len(np.asarray(n.inputs[1] if len(n.inputs) > 1 else n.attr("axes", [])).ravel()))
        out = list(shape)
        for a in axes:
            out.insert(a, 1)
    if int(np.prod(out, dtype=np.int64)) != x.size or min(out, default=1) < 1:
        raise n.fail(f"cannot view shape {shape} as {out}")
    return tuple(int(d) for d in out)
