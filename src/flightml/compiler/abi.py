"""The kernel ABI, declared once: every kernel of runtime/fm_kernels.h and the structs it takes (with the
requantization structs of runtime/fm_requant.h), field by field and argument by argument, in declaration
order. `tests/compiler/test_abi.py` checks this against the headers; emission binds calls from it.

Kernels of one op alone are declared in their op module instead (`KERNELS`, `STRUCTS`): the op registry
(`ops/__init__.py`) adds them here through `declare` when the ops are imported, and their C declarations
are rendered from there (`typedef`, `prototype`) into the generated fm_op_kernels.h, which fm_kernels.h
includes: no hand-written header names them.

An op's emit_c returns a `KernelCall` naming the kernel and giving its arguments by role; `bind` renders
the static structs and the argument list, and raises AbiError (a compiler bug, not bad input) when a
struct field or an argument is missing or extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ROLES = ("params", "requant", "input", "inputs", "const", "scratch", "output")
PARAMS, REQUANT, INPUT, INPUTS, CONST, SCRATCH, OUTPUT = ROLES
STRUCT_ROLES = (PARAMS, REQUANT)


class AbiError(RuntimeError):
    """An emitted call that does not match the declared ABI (an internal error of the compiler)."""


@dataclass(frozen=True)
class Field:
    """One struct field; `note` is its contract, rendered as the field's comment (op-declared structs)."""

    ctype: str
    name: str
    note: str = ""


@dataclass(frozen=True)
class Arg:
    """One kernel argument; `var` is the suffix of the static struct a pointer argument points to."""

    role: str
    ctype: str
    name: str
    var: str = ""


@dataclass(frozen=True)
class Kernel:
    """One kernel; `doc` is its contract, rendered as the prototype's comment (op-declared kernels)."""

    name: str
    args: tuple[Arg, ...]
    returns: str = "fm_status_t"
    doc: str = ""


def _i32(*names: str) -> tuple[Field, ...]:
    return tuple(Field("int32_t", n) for n in names)


_WINDOW = ("in_h", "in_w", "out_h", "out_w", "k_h", "k_w", "stride_h", "stride_w", "dil_h", "dil_w")
_PTRS = (Field("const int32_t *", "mult"), Field("const int8_t *", "shift"), Field("const float *", "scale"))

STRUCTS: dict[str, tuple[Field, ...]] = {
    "fm_requant_t": (*_PTRS, *_i32("per_channel", "out_zp", "act_min", "act_max")),
    "fm_add_requant_t": (*_PTRS, *_i32("a_zp", "b_zp", "out_zp", "raw_offset", "act_min", "act_max")),
    "fm_conv_params_t": _i32(
        *("in_c", "in_h", "in_w", "out_c", "out_h", "out_w", "k_h", "k_w", "stride_h", "stride_w"),
        *("dil_h", "dil_w", "pad_top", "pad_left", "groups", "in_offset", "w_offset"),
    ),
    "fm_pool_params_t": _i32("channels", *_WINDOW, "pad_top", "pad_left"),
    "fm_fc_params_t": _i32("rows", "in_features", "out_features", "in_offset", "w_offset"),
    "fm_add_params_t": _i32("size", "a_size", "b_size"),
    "fm_avgpool_params_t": (Field("fm_pool_params_t", "pool"), *_i32("in_offset", "count_include_pad")),
    "fm_avgpool_ort_t": (Field("const float *", "scales"), *_i32("out_zp_raw", "raw_shift", "act_min", "act_max")),
    "fm_concat_params_t": (
        *_i32("n_inputs", "outer"),
        Field("const int32_t *", "chunk"),
        Field("const int8_t *const *", "tables"),
    ),
    "fm_avgpool_div_params_t": (Field("fm_pool_params_t", "pool"), *_i32("act_min", "act_max")),
    "fm_softmax_params_t": _i32(
        "rows", "depth", "input_mult", "input_shift", "diff_min", "out_mult", "out_shift", "out_zp"
    ),
    "fm_transpose_params_t": _i32("d0", "d1", "d2", "d3", "s0", "s1", "s2", "s3"),
}


def _params(ctype: str, name: str = "p", var: str = "") -> Arg:
    return Arg(PARAMS, f"const {ctype} *", name, var or name)


def _requant(ctype: str, name: str = "rq") -> Arg:
    return Arg(REQUANT, f"const {ctype} *", name, name)


_RQ = _requant("fm_requant_t")
_IN = Arg(INPUT, "const int8_t *", "input")
_OUT = Arg(OUTPUT, "int8_t *", "output")
_WB = (Arg(CONST, "const int8_t *", "weights"), Arg(CONST, "const int32_t *", "bias"))
_CONV = (_params("fm_conv_params_t"), _RQ, _IN, *_WB, Arg(SCRATCH, "void *", "scratch"), _OUT)
_CONV_POOL = (*_CONV[:1], _params("fm_pool_params_t", "pool"), *_CONV[1:])


def _kernels(*kernels: Kernel) -> dict[str, Kernel]:
    return {k.name: k for k in kernels}


KERNELS: dict[str, Kernel] = _kernels(
    Kernel("fm_conv_s8", _CONV),
    Kernel("fm_conv_dw_s8", _CONV),
    Kernel("fm_conv_mm_s8", _CONV),
    Kernel("fm_conv_rows_s8", _CONV),
    Kernel("fm_conv_pair_s8", _CONV),
    Kernel("fm_conv_maxpool_pair_s8", _CONV_POOL),
    Kernel("fm_conv_maxpool_s8", _CONV_POOL),
    Kernel("fm_fc_s8", (_params("fm_fc_params_t"), *_CONV[1:])),
    Kernel("fm_maxpool_s8", (_params("fm_pool_params_t"), _IN, _OUT)),
    Kernel("fm_avgpool_s8", (_params("fm_avgpool_params_t"), _RQ, _IN, _OUT)),
    Kernel("fm_avgpool_ort_s8", (_params("fm_avgpool_params_t"), _requant("fm_avgpool_ort_t", "q"), _IN, _OUT)),
    Kernel("fm_concat_s8", (_params("fm_concat_params_t"), Arg(INPUTS, "const int8_t *const *", "inputs"), _OUT)),
    Kernel(
        "fm_add_s8",
        (
            _params("fm_add_params_t"),
            _requant("fm_add_requant_t"),
            Arg(INPUT, "const int8_t *", "a"),
            Arg(INPUT, "const int8_t *", "b"),
            Arg(SCRATCH, "void *", "scratch"),
            _OUT,
        ),
    ),
    Kernel("fm_avgpool_div_s8", (_params("fm_avgpool_div_params_t", "ap", "p"), _IN, _OUT)),
    Kernel("fm_softmax_s8", (_params("fm_softmax_params_t"), _IN, _OUT)),
    Kernel("fm_softmax_ort_s8", (_params("fm_softmax_params_t"), Arg(CONST, "const float *", "table"), _IN, _OUT)),
    Kernel("fm_transpose_s8", (_params("fm_transpose_params_t"), _IN, _OUT)),
)


def declare(kernels: Iterable[Kernel], structs: Mapping[str, tuple[Field, ...]]) -> None:
    """Add an op module's own kernels and structs; AbiError when a name is already declared."""
    for name in [*(k.name for k in kernels), *structs]:
        if name in KERNELS or name in STRUCTS:
            raise AbiError(f"{name} is declared twice")
    STRUCTS.update(structs)
    KERNELS.update(_kernels(*kernels))


def field_names(struct: str) -> list[str]:
    """The field names of a declared struct, in declaration order."""
    return [f.name for f in STRUCTS[struct]]


def fields_from(struct: str, params: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A struct's field values taken from `params[prefix + field]` (nested structs: the inner fields)."""
    out: dict[str, Any] = {}
    for f in STRUCTS[struct]:
        out[f.name] = fields_from(f.ctype, params, prefix) if f.ctype in STRUCTS else params[prefix + f.name]
    return out


def prototype(kernel: Kernel, prefix: str = "") -> str:
    """The C prototype of `kernel` (its name prefixed by `prefix`)."""
    args = ", ".join(_decl(a.ctype, a.name) for a in kernel.args)
    return f"{kernel.returns} {prefix}{kernel.name}({args});"


def typedef(name: str, fields: tuple[Field, ...]) -> str:
    """The C typedef of the struct `name`, one field a line with its note as comment."""
    lines = [f"    {_decl(f.ctype, f.name)};" + (f" /* {f.note} */" if f.note else "") for f in fields]
    return "\n".join(["typedef struct {", *lines, f"}} {name};"])


def _decl(ctype: str, name: str) -> str:
    return f"{ctype}{name}" if ctype.endswith("*") else f"{ctype} {name}"


@dataclass
class KernelCall:
    """One layer's call by role: struct field values per struct argument name (`structs`), activation
    inputs as indices into the layer's inputs or constant array names (`inputs`, one per INPUT argument,
    or all of them for an INPUTS argument), constant array names or "NULL" (`consts`). Scratch and output
    are bound by `bind` from the plan."""

    kernel: str
    structs: dict[str, dict[str, Any]] = field(default_factory=dict)
    inputs: list[int | str] = field(default_factory=list)
    consts: list[str] = field(default_factory=list)


@dataclass
class Bound:
    """A call ready for model.c: its static declarations (ctype, name, fields or raw initializer) and args."""

    function: str
    decls: list[dict[str, Any]]
    args: list[str]


def bind(call: KernelCall, cname: str, inputs: list[str], scratch: str | None, output: str) -> Bound:
    """Render `call` for the layer named `cname`: `inputs` are the C pointers of the layer's inputs,
    `scratch` its scratch pointer (None without), `output` its output pointer."""
    kernel = KERNELS.get(call.kernel)
    if kernel is None:
        raise AbiError(f"{cname}: kernel {call.kernel} is not declared in abi.KERNELS")
    decls: list[dict[str, Any]] = []
    args: list[str] = []
    acts, consts = list(call.inputs), list(call.consts)
    structs = dict(call.structs)
    for arg in kernel.args:
        where = f"{cname}: {kernel.name} argument {arg.name}"
        if arg.role in STRUCT_ROLES:
            if arg.name not in structs:
                raise AbiError(f"{where}: no struct given")
            struct = arg.ctype.removeprefix("const ").removesuffix(" *")
            decls.extend(_struct_decls(struct, cname, arg.var, structs.pop(arg.name), where))
            args.append(f"&{cname}_{arg.var}")
        elif arg.role == INPUT:
            if not acts:
                raise AbiError(f"{where}: no input given")
            args.append(_operand(acts.pop(0), inputs, where))
        elif arg.role == INPUTS:
            ptrs = [_operand(a, inputs, where) for a in acts]
            acts = []
            if any(p in ("input", "output") for p in ptrs):
                raise _io_operand()
            decls.append(_raw("int8_t *const", f"{cname}_{arg.name}[{len(ptrs)}]", ptrs))
            args.append(f"{cname}_{arg.name}")
        elif arg.role == CONST:
            if not consts:
                raise AbiError(f"{where}: no constant given")
            args.append(consts.pop(0))
        elif arg.role == SCRATCH:
            if scratch is None:
                raise AbiError(f"{where}: the plan gives this layer no scratch")
            args.append(scratch)
        else:
            args.append(output)
    if structs or acts or consts:
        raise AbiError(f"{cname}: {kernel.name} takes no more arguments, got {sorted(structs)} {acts} {consts}")
    if scratch is not None and not any(a.role == SCRATCH for a in kernel.args):
        raise AbiError(f"{cname}: {kernel.name} takes no scratch, the plan gives it some")
    return Bound(kernel.name, decls, args)


class IoOperandError(Exception):
    """The model input or output as an operand a static initializer would have to hold."""


def _io_operand() -> IoOperandError:
    return IoOperandError("the model input or output cannot be an operand of this op; insert a layer before it")


def _operand(value: int | str, inputs: list[str], where: str) -> str:
    if isinstance(value, str):
        return value
    if not 0 <= value < len(inputs):
        raise AbiError(f"{where}: input {value} of a layer with {len(inputs)} inputs")
    return inputs[value]


def _raw(ctype: str, name: str, items: list[str]) -> dict[str, Any]:
    return {"ctype": ctype, "name": name, "fields": [], "raw": "{ " + ", ".join(items) + " }"}


def _struct_decls(struct: str, cname: str, var: str, values: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """The static declarations of one struct argument: arrays its pointer-array fields point to, then it."""
    decls, fields = [], []
    for f, value in _checked(struct, values, where):
        if isinstance(value, list):  # a pointer array (fm_concat_params_t.tables): declared before the struct
            elem = f.ctype.removeprefix("const ").removesuffix(" *")
            decls.append(_raw(elem, f"{cname}_{f.name}[{len(value)}]", value))
            value = f"{cname}_{f.name}"
        elif isinstance(value, dict):
            value = "{ " + ", ".join(f".{k.name} = {v}" for k, v in _checked(f.ctype, value, where)) + " }"
        fields.append((f.name, value))
    decls.append({"ctype": struct, "name": f"{cname}_{var}", "fields": fields, "raw": None})
    return decls


def _checked(struct: str, values: dict[str, Any], where: str) -> list[tuple[Field, Any]]:
    declared = STRUCTS[struct]
    names = [f.name for f in declared]
    if sorted(values) != sorted(names):
        missing, extra = sorted(set(names) - set(values)), sorted(set(values) - set(names))
        raise AbiError(f"{where}: {struct} fields missing {missing}, extra {extra}")
    return [(f, values[f.name]) for f in declared]
