"""The board files of a generated package compile with -std=c99 -Wall -Wextra -Werror -Wconversion:
the FreeRTOS task against the stub header (tests/mcu/freertos_stub), the bare-metal loop, the
Makefile (DSP set, Cortex-M4) and the CMakeLists.txt (portable set, host compiler)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from flightml.artifacts import RunDir
from flightml.errors import InputError
from flightml.mcu.package import BOARD_FILES, add_board_files

pytestmark = pytest.mark.mcu
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-Wconversion"]
STUB = Path(__file__).parent / "freertos_stub"


@pytest.fixture(scope="module")
def package(ref_run: RunDir, tmp_path_factory: pytest.TempPathFactory) -> Path:
    c_dir = tmp_path_factory.mktemp("pkg") / "c"
    shutil.copytree(ref_run.path("c", "fixedpoint"), c_dir)
    return c_dir


def test_board_files_are_written(package: Path) -> None:
    assert all((package / rel).is_file() for rel in BOARD_FILES.values())
    task = (package / "board" / "infer_task.c").read_text()
    for api in (
        "xTaskCreateStatic",
        "vTaskDelayUntil",
        "fm_infer_deadline_misses",
        "fm_infer_deadline_miss_hook",
        "spectrumnet_invoke",
    ):
        assert api in task


@pytest.mark.parametrize("cc", ["gcc", "arm-none-eabi-gcc"])
@pytest.mark.parametrize("source", ["board/infer_task.c", "board/main_baremetal.c"])
def test_board_sources_compile_strict(package: Path, tmp_path: Path, cc: str, source: str) -> None:
    cpu = ["-mcpu=cortex-m4", "-mthumb"] if cc.startswith("arm") else []
    cmd = [cc, *STRICT, *cpu, f"-I{package}", f"-I{STUB}", "-c", str(package / source), "-o", str(tmp_path / "x.o")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_makefile_builds_the_dsp_library(package: Path) -> None:
    flags = "CFLAGS=" + " ".join([*STRICT, "-O2"])
    proc = subprocess.run(
        [
            "make",
            "-C",
            str(package),
            "CC=arm-none-eabi-gcc",
            "AR=arm-none-eabi-ar",
            "KERNELS=dsp",
            "CPU=-mcpu=cortex-m4 -mthumb",
            flags,
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (package / "libspectrumnet.a").is_file()


def test_cmake_builds_the_portable_library(package: Path, tmp_path: Path) -> None:
    if shutil.which("cmake") is None:
        pytest.skip("cmake not installed")
    configure = subprocess.run(
        [
            "cmake",
            "-S",
            str(package),
            "-B",
            str(tmp_path),
            "-DFLIGHTML_KERNELS=portable",
            "-DCMAKE_C_FLAGS=" + " ".join(STRICT[1:]),
        ],
        capture_output=True,
        text=True,
    )
    assert configure.returncode == 0, configure.stderr
    build = subprocess.run(["cmake", "--build", str(tmp_path)], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr


def test_bad_directory_and_name(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"model\.h"):
        add_board_files(tmp_path, "net")
    (tmp_path / "model.h").write_text("")
    with pytest.raises(InputError, match="identifier"):
        add_board_files(tmp_path, "9net")
