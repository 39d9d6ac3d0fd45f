"""abi.py against the headers it declares (fm_kernels.h, fm_requant.h, and fm_op_kernels.h rendered from the
op modules), and bind's refusals."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from flightml.compiler import abi, emit
from flightml.compiler.abi import AbiError, KernelCall
from flightml.compiler.ops import MODULES
from flightml.compiler.package import C_FLAGS
from flightml.verify.build import cc

RUNTIME = Path(abi.__file__).parent / "runtime"
HEADERS = ("fm_kernels.h", "fm_requant.h")


def _ctype(text: str) -> str:
    """A C type in one spelling: words space-separated, '*' after a space, none after '*'."""
    out = ""
    for tok in re.findall(r"\w+|\*", text):
        if tok == "*":
            out += "*" if out.endswith("*") else " *"
        else:
            out += tok if not out or out.endswith("*") else " " + tok
    return out


def _decl(text: str) -> tuple[str, str]:
    m = re.fullmatch(r"(.*?)(\w+)", text.strip(), re.DOTALL)
    assert m, text
    return _ctype(m.group(1)), m.group(2)


def parse(text: str) -> tuple[dict[str, list[tuple[str, str]]], dict[str, tuple[str, list[tuple[str, str]]]]]:
    """(structs: name -> [(ctype, field)], functions: name -> (return type, [(ctype, arg)])) of a header."""
    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.DOTALL)
    structs = {}
    for body, name in re.findall(r"typedef\s+struct\s*\{([^}]*)\}\s*(\w+)\s*;", text):
        fields = []
        for line in filter(str.strip, body.split(";")):
            first, *more = line.split(",")
            ctype, fname = _decl(first)
            fields.append((ctype, fname))
            fields += [(ctype, n.strip()) for n in more]
        structs[name] = fields
    functions = {
        name: (_ctype(ret), [_decl(a) for a in args.split(",")])
        for ret, name, args in re.findall(r"^(\w+)\s+(\w+)\s*\(([^)]*)\)\s*;", text, re.MULTILINE)
    }
    return structs, functions


def mismatches(kernels_h: str, requant_h: str) -> list[str]:
    """Every difference between abi.py and the two header texts (empty when they agree)."""
    structs, kernels = parse(kernels_h)
    errors = [f"{k}: in fm_kernels.h, not in abi" for k in sorted({*kernels, *structs} - {*abi.KERNELS, *abi.STRUCTS})]
    structs |= parse(requant_h)[0]
    for name, kernel in abi.KERNELS.items():
        declared = (_ctype(kernel.returns), [(_ctype(a.ctype), a.name) for a in kernel.args])
        if kernels.get(name) != declared:
            errors.append(f"{name}: header {kernels.get(name)} != abi {declared}")
    for name, fields in abi.STRUCTS.items():
        declared_fields = [(_ctype(f.ctype), f.name) for f in fields]
        if structs.get(name) != declared_fields:
            errors.append(f"{name}: header {structs.get(name)} != abi {declared_fields}")
    return errors


def _headers() -> tuple[str, str]:
    """fm_kernels.h as a package holds it (the hand-written header, then the rendered one), fm_requant.h."""
    kernels_h, requant_h = ((RUNTIME / h).read_text(encoding="utf-8") for h in HEADERS)
    return kernels_h + emit.op_kernels_header(), requant_h


def test_abi_equals_the_headers() -> None:
    kernels_h, requant_h = _headers()
    assert mismatches(kernels_h, requant_h) == []
    assert len(parse(kernels_h)[1]) == len(abi.KERNELS) >= 17  # the op modules' own kernels included


def test_op_kernels_are_rendered_not_hand_written() -> None:
    """fm_op_kernels.h declares exactly the op modules' KERNELS and STRUCTS, fm_kernels.h none of them."""
    own = {k.name for m in MODULES for k in getattr(m, "KERNELS", ())}
    own |= {s for m in MODULES for s in getattr(m, "STRUCTS", {})}
    assert "fm_lut_s8" in own and "fm_lut_params_t" in own
    structs, functions = parse(emit.op_kernels_header())
    assert {*structs, *functions} == own
    structs, functions = parse((RUNTIME / "fm_kernels.h").read_text(encoding="utf-8"))
    assert not own & {*structs, *functions}


def test_the_rendered_header_compiles(tmp_path: Path) -> None:
    """fm_op_kernels.h, through fm_kernels.h, under the package's C flags; every abi prototype declared again
    after it (a declaration that does not match the headers' is an error)."""
    (tmp_path / emit.OP_KERNELS_H).write_text(emit.op_kernels_header(), encoding="utf-8")
    again = [abi.prototype(k) for k in abi.KERNELS.values()]
    (tmp_path / "t.c").write_text("\n".join(['#include "fm_kernels.h"', *again, ""]), encoding="utf-8")
    cmd = [cc(), *C_FLAGS, "-pedantic", "-fsyntax-only", f"-I{tmp_path}", f"-I{RUNTIME}", str(tmp_path / "t.c")]
    subprocess.run(cmd, check=True)


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [
        ("int32_t in_c, in_h, in_w;", "int32_t in_c, in_w, in_h;", "fm_conv_params_t"),
        ("int32_t size;", "int64_t size;", "fm_add_params_t"),
        ("const int8_t *b,", "const int8_t *b, const int8_t *c,", "fm_add_s8"),
        ("fm_status_t fm_transpose_s8(", "int fm_transpose_s8(", "fm_transpose_s8"),
        ("#endif /* FM_KERNELS_H */", "fm_status_t fm_new_s8(const int8_t *input);\n#endif", "fm_new_s8"),
        ("#endif /* FM_KERNELS_H */", "typedef struct { int32_t n; } fm_new_t;\n#endif", "fm_new_t"),
    ],
)
def test_a_header_change_is_a_mismatch(old: str, new: str, what: str) -> None:
    kernels_h, requant_h = _headers()
    assert old in kernels_h
    errors = mismatches(kernels_h.replace(old, new, 1), requant_h)
    assert len(errors) == 1 and errors[0].startswith(what), errors


def test_a_requant_header_change_is_a_mismatch() -> None:
    kernels_h, requant_h = _headers()
    changed = requant_h.replace("int32_t raw_offset;", "int32_t raw_offset, extra;", 1)
    assert changed != requant_h
    assert [e.split(":")[0] for e in mismatches(kernels_h, changed)] == ["fm_add_requant_t"]


def test_prototype_is_the_header_declaration() -> None:
    _, functions = parse(abi.prototype(abi.KERNELS["fm_conv_maxpool_s8"], "ref_"))
    kernel = abi.KERNELS["fm_conv_maxpool_s8"]
    assert functions == {"ref_fm_conv_maxpool_s8": ("fm_status_t", [(_ctype(a.ctype), a.name) for a in kernel.args])}


def _transpose() -> dict[str, int]:
    return dict.fromkeys(abi.field_names("fm_transpose_params_t"), 1)


def test_bind_renders_by_role() -> None:
    bound = abi.bind(KernelCall("fm_transpose_s8", {"p": _transpose()}, [0]), "L1", ["X"], None, "Y")
    assert bound.args == ["&L1_p", "X", "Y"]
    assert [f for f, _ in bound.decls[0]["fields"]] == ["d0", "d1", "d2", "d3", "s0", "s1", "s2", "s3"]


@pytest.mark.parametrize(
    ("call", "scratch", "message"),
    [
        (KernelCall("fm_nope_s8", {}, [0]), None, "not declared"),
        (KernelCall("fm_transpose_s8", {}, [0]), None, "no struct given"),
        (KernelCall("fm_transpose_s8", {"p": {**_transpose(), "d4": 1}}, [0]), None, "extra ['d4']"),
        (KernelCall("fm_transpose_s8", {"p": {k: 1 for k in ("d0", "d1")}}, [0]), None, "missing ['d2'"),
        (KernelCall("fm_transpose_s8", {"p": _transpose()}, []), None, "no input given"),
        (KernelCall("fm_transpose_s8", {"p": _transpose()}, [0, 1]), None, "takes no more arguments"),
        (KernelCall("fm_transpose_s8", {"p": _transpose()}, [0], ["L1_w"]), None, "takes no more arguments"),
        (KernelCall("fm_transpose_s8", {"p": _transpose()}, [0]), "S", "takes no scratch"),
        (KernelCall("fm_transpose_s8", {"p": _transpose()}, [3]), None, "input 3 of a layer with 2"),
    ],
)
def test_bind_refuses_what_the_abi_does_not_declare(call: KernelCall, scratch: str | None, message: str) -> None:
    with pytest.raises(AbiError, match=re.escape(message)):
        abi.bind(call, "L1", ["X", "Z"], scratch, "Y")


def test_bind_refuses_a_conv_without_scratch() -> None:
    conv = dict.fromkeys(abi.field_names("fm_conv_params_t"), 1)
    rq = dict.fromkeys(abi.field_names("fm_requant_t"), 0)
    call = KernelCall("fm_conv_s8", {"p": conv, "rq": rq}, [0], ["L1_weights", "NULL"])
    assert abi.bind(call, "L1", ["X"], "S", "Y").args == ["&L1_p", "&L1_rq", "X", "L1_weights", "NULL", "S", "Y"]
    with pytest.raises(AbiError, match="no scratch"):
        abi.bind(call, "L1", ["X"], None, "Y")


def test_the_model_input_is_no_operand_of_a_pointer_array() -> None:
    params = {"n_inputs": 2, "outer": 1, "chunk": "L1_chunk", "tables": ["NULL", "NULL"]}
    with pytest.raises(abi.IoOperandError):
        abi.bind(KernelCall("fm_concat_s8", {"p": params}, [0, 1]), "L1", ["input", "X"], None, "Y")


def test_declare_refuses_a_name_declared_twice() -> None:
    with pytest.raises(AbiError, match="fm_transpose_s8 is declared twice"):
        abi.declare([abi.KERNELS["fm_transpose_s8"]], {})
    with pytest.raises(AbiError, match="fm_requant_t is declared twice"):
        abi.declare([], {"fm_requant_t": ()})
