"""package.json: the manifest of a generated package, equal to what the C declares, deterministic, and
all the tools outside the compiler need (they work with the generated C deleted); one status space."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from flightml.artifacts import read_json
from flightml.compiler import compile_model
from flightml.compiler.package import FILE, read_package
from flightml.errors import InputError
from flightml.faults.cbuild import fault_model_c
from flightml.faults.model import load_compiled
from flightml.mcu.model_api import read_model_api

SRC = Path(__file__).resolve().parents[2] / "src" / "flightml"
GENERATED_C = ("model.c", "model.h", "model_float.c")


@pytest.fixture(scope="module")
def package_dir(refnet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package") / "c"
    compile_model(refnet.int8, out, "spectrumnet", "fixedpoint", "pytest")
    return out


def test_manifest_equals_what_the_c_declares(package_dir: Path) -> None:
    """Sizes, constants (order, bytes, dtype), arena offsets and the API of package.json are those of
    model.h/model.c; plan.json's weight_bytes is NAME_WEIGHT_BYTES (weights + biases: 33,800)."""
    package, plan = read_package(package_dir), read_json(package_dir / "plan.json")
    header, model_c = (package_dir / "model.h").read_text(), (package_dir / "model.c").read_text()
    defines = {k: int(v) for k, v in re.findall(r"^#define SPECTRUMNET_(\w+) \((-?\d+)\)", header, re.M)}
    sizes = package["sizes"]
    assert defines["WEIGHT_BYTES"] == sizes["weights_and_biases"] == plan["weight_bytes"] == 33800
    assert sizes["weights"] + sizes["biases"] == 33800
    assert defines["CONST_BYTES"] == sizes["const"] == plan["const_bytes"] == 33800 + sizes["requant"] + sizes["luts"]
    assert defines["ARENA_BYTES"] == sizes["arena"] == plan["arena_bytes"] and sizes["code"] is None
    widths = {"int8_t": 1, "int32_t": 4, "float": 4}
    arrays = [(n, widths[t] * int(k)) for t, n, k in re.findall(r"static const (\w+) (\w+)\[(\d+)\] = \{", model_c)]
    assert [(c["name"], c["bytes"]) for c in package["constants"]] == arrays
    assert {c["kind"]: c["fault_class"] for c in package["constants"]} == {
        "weights": "weights",
        "biases": "biases",
        "requant": "requant",
    }
    assert all(c["source"]["node"] and c["dtype"] in ("int8", "int32") for c in package["constants"])
    for t in package["tensors"]:
        assert f"#define {t['macro']} {t['offset']}u /* tensor {t['tensor']} " in model_c
        assert t["first_layer"] <= t["last_layer"] and t["bytes"] > 0
    api = package["api"]
    assert f"fm_status_t {api['invoke']}(const int8_t *input, int8_t *output);" in header
    for io in ("input", "output"):
        assert defines[api[io]["macros"]["size"].removeprefix("SPECTRUMNET_")] == api[io]["size"]
        assert defines[api[io]["macros"]["zero_point"].removeprefix("SPECTRUMNET_")] == api[io]["zero_point"]
    for fn, decl in api["functions"].items():
        assert f" {fn}(" in header and f" {fn}(" in (package_dir / decl["file"]).read_text()
    assert [layer["kernel"] for layer in package["layers"]] == [layer["kernel"] for layer in plan["layers"]]


def test_manifest_is_byte_identical_from_any_folder(refnet, package_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "deeper"
    (tmp_path / "m").mkdir()
    shutil.copy(refnet.int8, tmp_path / "m" / refnet.int8.name)
    compile_model(tmp_path / "m" / refnet.int8.name, other, "spectrumnet", "fixedpoint", "pytest")
    a, b = (package_dir / FILE).read_bytes(), (other / FILE).read_bytes()
    assert a == b
    assert str(tmp_path).encode() not in b and str(package_dir.parent).encode() not in a


def test_tools_work_with_the_generated_c_deleted(package_dir: Path, tmp_path: Path) -> None:
    """mcu (model_api), faults (load_compiled, the fault build's model.c) and verify read package.json,
    never the generated C: with model.c/model.h/model_float.c gone they give the same answers."""
    bare = tmp_path / "bare"
    shutil.copytree(package_dir, bare)
    for name in GENERATED_C:
        (bare / name).unlink()
    assert read_model_api(bare) == read_model_api(package_dir)
    compiled, full = load_compiled(bare), load_compiled(package_dir)
    assert compiled.name == full.name and [r.name for r in compiled.image.regions] == [
        r.name for r in full.image.regions
    ]
    hooked = fault_model_c(compiled)
    assert "static int8_t l0_conv_weights[" in hooked and hooked.count("fm_fault_arena_hook(") == 1 + 5
    (bare / FILE).unlink()
    with pytest.raises(InputError, match=r"package\.json"):
        read_model_api(bare)


def test_bad_manifest_is_one_line_naming_the_field(package_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(package_dir, bad)
    text = (bad / FILE).read_text().replace('"fault_class": "weights"', '"fault_class": "everything"', 1)
    (bad / FILE).write_text(text)
    with pytest.raises(InputError, match=r"package\.json: missing or bad field .*constants"):
        read_package(bad)


def _parses_generated_c(node: ast.Call) -> bool:
    """A read_text/read_bytes/open(...) whose receiver or arguments name a generated C file (not an append)."""
    func = node.func
    reads = isinstance(func, ast.Attribute) and func.attr in ("read_text", "read_bytes")
    opens = (
        isinstance(func, ast.Name)
        and func.id == "open"
        and not any(isinstance(a, ast.Constant) and a.value in ("a", "w") for a in node.args[1:])
    )
    if not (reads or opens):
        return False
    scope = [func.value] if reads else node.args[:1]
    return any(isinstance(n, ast.Constant) and n.value in GENERATED_C for s in scope for n in ast.walk(s))


def test_no_module_outside_the_compiler_reads_generated_c() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.is_relative_to(SRC / "compiler"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [
            f"{path.relative_to(SRC)}:{n.lineno}"
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and _parses_generated_c(n)
        ]
    assert offenders == []
    assert _parses_generated_c(ast.parse('(c_dir / "model.h").read_text()').body[0].value)  # the check bites


def test_one_status_space(package_dir: Path) -> None:
    """Every kernel and NAME_invoke return fm_status_t; the integrity codes are values of it; model.h
    includes fm_status.h and declares the region table integrity.c reads."""
    kernels = (package_dir / "fm_kernels.h").read_text() + (package_dir / "fm_op_kernels.h").read_text()
    prototypes = re.findall(r"^(\w+) (fm_\w+_s8)\(", kernels, re.M)
    assert prototypes and {ret for ret, _ in prototypes} == {"fm_status_t"}
    for c_file in (package_dir / "kernels").rglob("*.c"):
        assert not re.search(r"^int fm_\w+_s8\(", c_file.read_text(), re.M), c_file
    status = (package_dir / "fm_status.h").read_text()
    assert all(re.search(rf"\b{code} = \d+", status) for code in ("FM_ERR_CRC", "FM_ERR_VOTE", "FM_VOTE_CORRECTED"))
    header = (package_dir / "model.h").read_text()
    assert '#include "fm_status.h"' in header
    assert "extern const void *const spectrumnet_const_region_ptr[];" in header
