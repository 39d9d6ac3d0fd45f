"""Never wrong C: every size the generated C holds fits the C type it is emitted in.

Dimensions are checked as the lowering meets them (the graph input, then each layer's output): known,
positive, and a tensor product within int32 and within `max_elements` (configurable: compile.max_tensor_elements,
`flightml compile --max-elements`). Then every integer the C holds is checked against its type: the kernel
parameter struct fields (int32_t), constant array lengths, arena offsets and sizes and the #defines of
model.h (int32). Anything else is one InputError naming the node (or tensor) and the value.
"""

from __future__ import annotations

from collections.abc import Iterable

from flightml.compiler.ir import Graph
from flightml.compiler.ops import BY_KIND
from flightml.compiler.planner import Plan
from flightml.errors import InputError

INT32_MAX = 2**31 - 1
DEFAULT_MAX_ELEMENTS = 2**24  # 16 Mi int8 values: far beyond any MCU's RAM, well inside int32 index arithmetic


def check_shape(where: str, what: str, shape: Iterable[object], max_elements: int) -> tuple[int, ...]:
    """`shape` as ints, or InputError: '<where>: dimension i of <what> is D (...)'."""
    dims = list(shape)
    product = 1
    for i, d in enumerate(dims):
        if not isinstance(d, int) or isinstance(d, bool):
            raise InputError(f"{where}: dimension {i} of {what} is unknown ({d!r}); only the batch may be symbolic")
        if d < 1:
            raise InputError(f"{where}: dimension {i} of {what} is {d}; dimensions must be >= 1")
        product *= d
        if product > min(max_elements, INT32_MAX):
            raise InputError(
                f"{where}: dimension {i} of {what} is {d}: the tensor {dims} exceeds the maximum of "
                f"{min(max_elements, INT32_MAX)} elements (compile.max_tensor_elements)"
            )
    return tuple(dims)


def check_int32(where: str, what: str, value: int) -> None:
    if not -(2**31) <= int(value) <= INT32_MAX:
        raise InputError(f"{where}: {what} = {value} does not fit the C type int32_t")


def check_graph(graph: Graph, p: Plan, max_elements: int) -> None:
    """Every integer model.c and model.h will hold, against int32 (after planning, before writing)."""
    for layer in graph.layers:
        where = f"node '{layer.node}' ({layer.onnx_op})"
        for key, value in layer.params.items():
            check_int32(where, f"parameter {key}", value)
        for key, array in layer.consts.items():
            if array.size > max_elements:
                raise InputError(f"{where}: constant {key} has {array.size} values, more than {max_elements}")
    check_int32("model", "weight bytes", sum(int(v.nbytes) for v in graph.consts().values()))
    check_int32("model", "MACs", sum(BY_KIND[layer.kind].cost(layer) for layer in graph.layers))
    check_int32("model", "arena bytes", p.arena_bytes)
    for b in p.buffers:
        check_int32(f"tensor '{b.tensor}'", "arena offset + size", b.offset + b.size)
