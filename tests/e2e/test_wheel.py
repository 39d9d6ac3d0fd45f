"""The built wheel works outside the checkout: `pip wheel . --no-deps` on a copy of the sources,
installed into a fresh venv (flightml from the wheel only; its dependencies from this venv through a
.pth, so torch is not reinstalled), then `flightml compile` and an MCU build run from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with flightml installed from a wheel built from a copy of the sources."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run(
        [*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(work / "dist")], check=True
    )
    (wheel,) = (work / "dist").glob("flightml-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", str(wheel)], check=True)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The dependencies (not flightml: the checkout's editable install is a .pth there, not processed here).
    Path(site, "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(venv / "bin" / "flightml"), *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_flightml_comes_from_the_wheel(wheel_env: Path) -> None:
    out = subprocess.run(
        [str(wheel_env / "bin" / "python"), "-c", "import flightml; print(flightml.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    ).stdout
    assert out.startswith(str(wheel_env)), out


def test_compile_from_the_wheel_writes_the_whole_package(wheel_env: Path, small_run: Path, tmp_path: Path) -> None:
    result = run(wheel_env, "compile", str(small_run / "model_int8.onnx"), "--out", "pkg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pkg = tmp_path / "pkg"
    for rel in (
        "model.c",
        "model.h",
        "integrity.c",
        "integrity.h",
        "Makefile",
        "CMakeLists.txt",
        "board/main_baremetal.c",
        "board/infer_task.c",
        ".flightml-output",
    ):
        assert (pkg / rel).is_file(), rel
    umask = os.umask(0o022)
    os.umask(umask)
    assert (pkg / "model.c").stat().st_mode & 0o777 == 0o666 & ~umask
    assert pkg.stat().st_mode & 0o777 == 0o777 & ~umask


@pytest.mark.mcu
def test_mcu_build_from_the_wheel(wheel_env: Path, small_run: Path, tmp_path: Path) -> None:
    from flightml.mcu.toolchain import missing_tools

    if missing_tools():
        pytest.skip(f"needs {', '.join(missing_tools())}")
    assert run(wheel_env, "compile", str(small_run / "model_int8.onnx"), "--out", "pkg", cwd=tmp_path).returncode == 0
    x = np.load(small_run / "spectra.npz")["x_test"][:8]
    np.save(tmp_path / "x.npy", x)
    result = run(wheel_env, "verify", "pkg", "--inputs", "x.npy", "--target", "cortex-m4", cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert '"bitexact": 1.0' in result.stdout, result.stdout
