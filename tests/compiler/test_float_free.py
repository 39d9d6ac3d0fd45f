"""No float in the inference objects in the integer modes (fixedpoint, ort-int, tflm), shown with `nm`:
model.c and fm_requant.c reference no float routine, and the inference linked from NAME_invoke for a
Cortex-M0 with the portable kernels and for a Cortex-M4 with the DSP kernels (both soft-float ABI: every
float operation would be a soft-float call) pulls in no __aeabi_f*/__aeabi_d*.
ort-exact requantizes in float32 by design (ONNX Runtime's rule), so its image holds them; the float
helpers live in model_float.c, outside the inference."""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from flightml.compiler import compile_model
from flightml.compiler.package import C_FLAGS
from flightml.verify.build import cc

INTEGER_MODES = ("fixedpoint", "ort-int", "tflm")
SOFT_FLOAT = re.compile(r"^__aeabi_(f|d|[ui]?[il]2[fd]|ul2[fd])\w*$|^(fma|nearbyint|lrint|rint|round|floor|exp)f?$")
M0 = ("-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft")
M4 = ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft")


@pytest.fixture(scope="module")
def packages(refnet, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("float_free")
    for mode in (*INTEGER_MODES, "ort-exact"):
        compile_model(refnet.int8, root / mode, "net", mode, "pytest")
    return {mode: root / mode for mode in (*INTEGER_MODES, "ort-exact")}


def _symbols(nm: str, path: Path, undefined: bool = False) -> set[str]:
    out = subprocess.run([nm, *(["-u"] if undefined else []), str(path)], capture_output=True, text=True, check=True)
    return {line.split()[-1] for line in out.stdout.splitlines() if line.strip()}


def _objects(gcc: str, flags: tuple[str, ...], c_dir: Path, files: list[Path], work: Path) -> list[Path]:
    work.mkdir(parents=True, exist_ok=True)
    objs = []
    for src in files:
        obj = work / f"{src.stem}.o"
        subprocess.run([gcc, *C_FLAGS, "-O2", *flags, f"-I{c_dir}", "-c", str(src), "-o", str(obj)], check=True)
        objs.append(obj)
    return objs


def _inference_sources(c_dir: Path) -> list[Path]:
    return [c_dir / "model.c", c_dir / "kernels" / "portable" / "fm_requant.c"]


def test_host_inference_objects_hold_no_float(packages: dict[str, Path], tmp_path: Path) -> None:
    """Host gcc: nm -u of model.o and fm_requant.o names no float routine; on x86-64 they even compile with
    -mgeneral-regs-only (gcc rejects any float there), and ort-exact's fm_requant.c does not."""
    general_regs = ("-mgeneral-regs-only",) if platform.machine() in ("x86_64", "AMD64") else ()
    for mode in INTEGER_MODES:
        for obj in _objects(cc(), general_regs, packages[mode], _inference_sources(packages[mode]), tmp_path / mode):
            assert not {s for s in _symbols("nm", obj, undefined=True) if SOFT_FLOAT.match(s)}, (mode, obj.name)
    if general_regs:
        requant = packages["ort-exact"] / "kernels" / "portable" / "fm_requant.c"
        with pytest.raises(subprocess.CalledProcessError):
            _objects(cc(), general_regs, packages["ort-exact"], [requant], tmp_path / "exact")


@pytest.mark.mcu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs arm-none-eabi-gcc")
@pytest.mark.parametrize(("cpu", "kernel_set"), [(M0, "portable"), (M4, "dsp")], ids=["cortex-m0", "cortex-m4"])
def test_cortex_m_inference_links_no_soft_float(
    packages: dict[str, Path], tmp_path: Path, cpu: tuple[str, ...], kernel_set: str
) -> None:
    """arm-none-eabi-gcc for a Cortex-M0 (portable kernels) or M4 (DSP kernels): the inference (model.c +
    the kernel set, linked from net_invoke with --gc-sections against libgcc) holds no __aeabi_f*/__aeabi_d*
    in the integer modes; ort-exact does (float32 requantization); model_float.o calls them in every mode."""
    found = {}
    for mode, c_dir in packages.items():
        kernels = sorted((c_dir / "kernels" / kernel_set).glob("*.c"))
        objs = _objects(
            "arm-none-eabi-gcc",
            (*cpu, "-ffunction-sections", "-fdata-sections"),
            c_dir,
            [c_dir / "model.c", *kernels, c_dir / "model_float.c"],
            tmp_path / mode,
        )
        *inference, helpers = objs
        elf = tmp_path / f"{mode}.elf"
        link = [
            "arm-none-eabi-gcc",
            *cpu,
            "-nostdlib",
            "-Wl,--gc-sections",
            "-Wl,-e,net_invoke",
            "-Wl,--unresolved-symbols=ignore-all",
            "-o",
            str(elf),
            *map(str, inference),
            "-lgcc",
        ]
        subprocess.run(link, check=True)
        assert "net_invoke" in _symbols("arm-none-eabi-nm", elf)
        found[mode] = {s for s in _symbols("arm-none-eabi-nm", elf) if SOFT_FLOAT.match(s)}
        assert {s for s in _symbols("arm-none-eabi-nm", helpers, undefined=True) if SOFT_FLOAT.match(s)}
        for obj in inference[:1] + [o for o in inference if o.stem == "fm_requant"]:
            calls = {s for s in _symbols("arm-none-eabi-nm", obj, undefined=True) if SOFT_FLOAT.match(s)}
            assert not calls or mode == "ort-exact", (mode, obj.name, calls)
    assert all(found[mode] == set() for mode in INTEGER_MODES), found
    assert {"__aeabi_fmul", "__aeabi_fadd"} <= found["ort-exact"]
