"""The bad-input catalogue (issue 13): every bad input a user met, each a command run in a workspace
holding a copy of a small trained run, a user's folder and the case's files. Each must exit with its
code, print one error line naming the file, field, row or node, no traceback, and leave every file of
the workspace (and the output path) exactly as it was.

Other tests here: what flightml must still do with good input next to the bad (swap a package it
wrote, an external-data model from any folder, the run lock, --resume's clean-up, budget's manifest).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest

from flightml.cli import main

Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]  # "{ws}" is the workspace
    needles: tuple[str, ...]  # each must be in the error line
    setup: Setup | None = None
    cwd: str = "."
    code: int = 2


def write(rel: str, text: str) -> Setup:
    def setup(ws: Path) -> None:
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(text)

    return setup


def both(*setups: Setup) -> Setup:
    def setup(ws: Path) -> None:
        for step in setups:
            step(ws)

    return setup


def model_copy(rel: str, edit: Callable[[onnx.ModelProto], None] | None = None) -> Setup:
    """ws/rel: the run's int8 model, edited by `edit`."""

    def setup(ws: Path) -> None:
        model = onnx.load(str(ws / "run" / "model_int8.onnx"))
        if edit:
            edit(model)
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        onnx.save(model, str(ws / rel))

    return setup


def opset(version: int) -> Callable[[onnx.ModelProto], None]:
    def edit(model: onnx.ModelProto) -> None:
        for entry in model.opset_import:
            if entry.domain in ("", "ai.onnx"):
                entry.version = version

    return edit


def external(location: Callable[[Path], str], extra: Setup | None = None) -> Setup:
    """ws/ext/model.onnx whose largest initializer lives in external data at `location(ws)`; the
    referenced bytes exist (a copy of the real weights) so only the location is wrong."""

    def setup(ws: Path) -> None:
        model = onnx.load(str(ws / "run" / "model_int8.onnx"))
        tensor = max(model.graph.initializer, key=lambda t: len(t.raw_data))
        (ws / "secret.bin").write_bytes(tensor.raw_data)
        onnx.external_data_helper.set_external_data(tensor, location=location(ws), length=len(tensor.raw_data))
        tensor.ClearField("raw_data")
        tensor.data_location = onnx.TensorProto.EXTERNAL
        (ws / "ext").mkdir()
        if extra:
            extra(ws)
        onnx.save(model, str(ws / "ext" / "model.onnx"))

    return setup


def symlink_out(ws: Path) -> None:
    (ws / "ext" / "weights.bin").symlink_to(ws / "secret.bin")


def trace(header: str, rows: list[str], meta: str = "adc=12bit conversion_us=532 max_current_a=0.1") -> Setup:
    return write("trace.csv", f"# flightml ina219 trace\n# {meta}\n{header}\n" + "".join(r + "\n" for r in rows))


GOOD_ROWS = [f"{i * 0.001:.3f},{25.0 if i % 10 < 3 else 5.0},3.3,0,0,{int(i % 10 < 3)}" for i in range(100)]
INA_HEADER = "t_s,current_ma,bus_v,power_mw,ovf,marker"


def npy(rel: str, array: Callable[[Path], np.ndarray]) -> Setup:
    def setup(ws: Path) -> None:
        np.save(ws / rel, array(ws))

    return setup


def x_test(ws: Path) -> np.ndarray:
    return np.load(ws / "run" / "spectra.npz")["x_test"][:10]


def with_nan(ws: Path) -> np.ndarray:
    x = x_test(ws).copy()
    x[3, 0, 5] = np.nan
    return x


def torch_tensor_as_model(ws: Path) -> None:
    import torch

    torch.save(torch.zeros(3), ws / "run" / "model.pt")


def mission(period: str) -> Setup:
    def setup(ws: Path) -> None:
        from flightml.power.mission import example_path

        text = example_path().read_text().replace("period_s = 10.0", f"period_s = {period}")
        (ws / "mission.toml").write_text(text.replace('profile = "stm32l476"', 'profile = "stm32l476"'))

    return setup


def unsupported_op(ws: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parents[1] / "ops"))
    import qmodels as qm
    from onnx import helper

    spec = qm.conv("unsup", (2, 8), 2, (3,), relu=False, pads=[1, 1])
    spec.nodes[0].output[0] = "c"
    spec.nodes.append(helper.make_node("Cos", ["c"], ["y"], name="my_cos"))
    shutil.move(qm.quantize(spec, ws / "unsup_build"), ws / "unsup.onnx")
    shutil.rmtree(ws / "unsup_build")


USER = write("user/thesis.tex", "precious")
CSV_HEADER = "id,label," + ",".join(f"{0.45 + 0.05 * k:.2f}" for k in range(7))
CSV_ROWS = [f"o{k},{'SCXV'[k % 4]}," + ",".join("1.0" for _ in range(7)) for k in range(16)]
MODEL = "{ws}/run/model_int8.onnx"

CASES = [
    # Never destroy what flightml did not write
    Case("compile-into-user-folder", ("compile", MODEL, "--out", "{ws}/user"), ("user", "not written by flightml"), USER),
    Case("compile-into-model-folder", ("compile", "m/model_int8.onnx", "--out", "m"), ("m/model_int8.onnx", "contains the input"), model_copy("m/model_int8.onnx")),
    Case("compile-out-parent-of-cwd", ("compile", "../run/model_int8.onnx", "--out", ".."), ("..", "contains the current directory"), write("sub/.keep", ""), cwd="sub"),
    Case("compile-into-copied-run", ("compile", "{ws}/m/model.onnx", "--out", "{ws}/run"), ("run", "not written by flightml"), model_copy("m/model.onnx")),
    Case("compile-into-a-run-subfolder", ("compile", MODEL, "--out", "{ws}/run/pkg"), ("run/pkg", "inside the flightml run")),
    Case("data-build-into-user-folder", ("data", "build", "--out", "{ws}/user"), ("user", "not empty"), USER),
    Case("data-build-bad-csv-over-a-run", ("data", "build", "--out", "{ws}/run", "--source", "csv:{ws}/s.csv"), ("s.csv", "line 2", "column '0.55'", "'nan'"), write("s.csv", "\n".join([CSV_HEADER, *CSV_ROWS]).replace("1.0,1.0,1.0", "1.0,1.0,nan", 1) + "\n")),
    Case("train-lr-inf-over-a-run", ("train", "{ws}/run", "--config", "{ws}/c.toml"), ("c.toml", "train.lr", "finite"), write("c.toml", "[train]\nlr = inf\n")),
    Case("export-model-pt-not-a-state-dict", ("export", "{ws}/run"), ("model.pt", "not a flightml model checkpoint"), torch_tensor_as_model),
    # Model files read nothing outside their folder
    Case("external-data-dotdot", ("compile", "{ws}/ext/model.onnx", "--out", "{ws}/pkg"), ("model.onnx", "'../secret.bin'", "no '..'"), external(lambda ws: "../secret.bin")),
    Case("external-data-absolute", ("compile", "{ws}/ext/model.onnx", "--out", "{ws}/pkg"), ("model.onnx", "secret.bin", "no absolute path"), external(lambda ws: str(ws / "secret.bin"))),
    Case("external-data-symlink-out", ("compile", "{ws}/ext/model.onnx", "--out", "{ws}/pkg"), ("model.onnx", "weights.bin", "outside the model's folder"), external(lambda ws: "weights.bin", symlink_out)),
    Case("external-data-missing", ("compile", "{ws}/ext/model.onnx", "--out", "{ws}/pkg"), ("model.onnx", "nope.bin", "not found"), external(lambda ws: "nope.bin")),
    # Every number checked where it enters
    Case("config-noise-nan", ("run", "--out", "{ws}/new", "--config", "{ws}/c.toml"), ("c.toml", "data.noise", "finite"), write("c.toml", "[data]\nnoise = nan\n")),
    Case("config-min-accuracy-nan", ("config", "--check", "{ws}/c.toml"), ("evaluate.min_int8_accuracy", "finite"), write("c.toml", "[evaluate]\nmin_int8_accuracy = nan\n")),
    Case("config-epochs-huge", ("run", "--out", "{ws}/new", "--config", "{ws}/c.toml"), ("train.epochs", "<= 10000"), write("c.toml", "[train]\nepochs = 1000000000000\n")),
    Case("config-n-train-huge", ("config", "--check", "{ws}/c.toml"), ("data.n_train", "<= 1000000"), write("c.toml", "[data]\nn_train = 1000000000000\n")),
    Case("config-conv-channels-huge", ("config", "--check", "{ws}/c.toml"), ("model.conv_channels", "[1, 1024]"), write("c.toml", "[model]\nconv_channels = [100000, 100000]\n")),
    Case("config-memory-estimate", ("config", "--check", "{ws}/c.toml"), ("GiB", "limit 4 GiB"), write("c.toml", "[data]\nn_train = 200000\n[model]\nconv_channels = [1024, 1024]\n")),
    Case("config-epochs-times-n-train", ("config", "--check", "{ws}/c.toml"), ("train.epochs", "data.n_train", "about a day"), write("c.toml", "[data]\nn_train = 250000\n[train]\nepochs = 10000\n")),
    Case("search-space-epochs-huge", ("search", "--space", "{ws}/space.toml", "--mission", "{ws}/mission.toml", "--out", "{ws}/s"), ("space.toml", "train.epochs", "<= 10000"), both(mission("10.0"), write("space.toml", "[space.train]\nepochs = [5, 1000000000000]\n"))),
    Case("search-space-channels-huge", ("search", "--space", "{ws}/space.toml", "--mission", "{ws}/mission.toml", "--out", "{ws}/s"), ("space.toml", "model.channels", "[1, 1024]"), both(mission("10.0"), write("space.toml", "[space.model]\nconv_layers = [1]\nchannels = [8, 100000]\n"))),
    Case("mission-period-1e308", ("budget", "{ws}/run", "--mission", "{ws}/mission.toml"), ("mission.toml", "mission.period_s", "<="), mission("1e308")),
    Case("run-bad-mission-fails-early", ("run", "--out", "{ws}/new", "--mission", "{ws}/mission.toml"), ("mission.toml", "mission.period_s"), mission("-1")),
    Case("config-check-reads-the-mission", ("config", "--check", "{ws}/c.toml"), ("mission.toml", "mission.period_s"), both(mission("nan"), write("c.toml", 'mission.file = "mission.toml"\n'))),
    Case("voltage-nan", ("power", "analyze", "{ws}/trace.csv", "--marker", "marker", "--voltage", "nan"), ("--voltage", "finite"), trace(INA_HEADER, GOOD_ROWS)),
    Case("voltage-negative", ("power", "analyze", "{ws}/trace.csv", "--marker", "marker", "--voltage", "-3.3"), ("--voltage", "> 0"), trace(INA_HEADER, GOOD_ROWS)),
    Case("faults-trials-zero", ("faults", "{ws}/run", "--trials", "0"), ("--trials", ">= 1")),
    # config --check validates what a run would, and the run fails before training
    Case("config-unknown-target", ("config", "--check", "{ws}/c.toml"), ("c.toml", "verify.targets", "cortex-m99"), write("c.toml", '[verify]\ntargets = ["host", "cortex-m99"]\n')),
    Case("config-misspelt-mode", ("config", "--check", "{ws}/c.toml"), ("compile.modes", "ort_exact"), write("c.toml", '[compile]\nmodes = ["ort_exact"]\n[faults]\nmode = "fixedpoint"\n')),
    Case("config-bad-compile-name", ("config", "--check", "{ws}/c.toml"), ("compile.name", "C identifier"), write("c.toml", '[compile]\nname = "1 bad"\n')),
    Case("run-bad-target-fails-early", ("run", "--out", "{ws}/new", "--config", "{ws}/c.toml"), ("verify.targets",), write("c.toml", '[verify]\ntargets = ["m4"]\n')),
    Case("run-data-stage-fails-leaves-no-folder", ("run", "--out", "{ws}/new/deeper/run", "--source", "csv:{ws}/missing.csv"), ("missing.csv", "not found")),
    Case("config-is-a-folder", ("config", "--check", "{ws}/user"), ("user", "is a folder"), USER),
    # Output paths checked before work starts
    Case("compile-out-under-proc", ("compile", MODEL, "--out", "/proc/flightml-test"), ("/proc/flightml-test", "/proc")),
    Case("run-out-under-sys", ("run", "--out", "/sys/flightml-test"), ("/sys/flightml-test",)),
    Case("compile-out-is-a-file", ("compile", MODEL, "--out", "{ws}/notes.txt"), ("notes.txt", "not a folder"), write("notes.txt", "x")),
    Case("run-out-under-a-file", ("run", "--out", "{ws}/notes.txt/run"), ("notes.txt", "not a folder"), write("notes.txt", "x")),
    Case("analyze-out-is-a-folder", ("power", "analyze", "{ws}/trace.csv", "--marker", "marker", "--out", "{ws}/user"), ("user", "is a folder"), both(USER, trace(INA_HEADER, GOOD_ROWS))),
    Case("search-into-user-folder", ("search", "--space", "small", "--mission", "{ws}/mission.toml", "--out", "{ws}/user"), ("user", "holds no flightml search"), both(USER, mission("10.0"))),
    Case("init-mission-out-is-a-folder", ("init", "mission", "--out", "{ws}/user"), ("user", "is a folder"), USER),
    Case("faults-mode-is-a-path", ("faults", "{ws}/run", "--mode", "../../elsewhere"), ("--mode", "invalid choice")),
    Case("compile-opset-1", ("compile", "{ws}/o.onnx", "--out", "{ws}/pkg"), ("o.onnx", "opset 1 ", "10 to 28"), model_copy("o.onnx", opset(1))),
    Case("compile-opset-99", ("compile", "{ws}/o.onnx", "--out", "{ws}/pkg"), ("o.onnx", "opset 99", "10 to 28"), model_copy("o.onnx", opset(99))),
    # Traces and CSVs validated for physics
    Case("trace-header-not-a-number", ("power", "analyze", "{ws}/trace.csv", "--marker", "marker"), ("trace.csv", "conversion_us=abc"), trace(INA_HEADER, GOOD_ROWS, "conversion_us=abc")),
    Case("trace-reversed-shunt", ("power", "analyze", "{ws}/trace.csv", "--marker", "marker"), ("trace.csv", "reversed shunt"), trace(INA_HEADER, [r.replace(",25.0,", ",-25.0,").replace(",5.0,", ",-5.0,") for r in GOOD_ROWS])),
    Case("trace-milliamps-under-amp-header", ("power", "analyze", "{ws}/trace.csv", "--marker", "marker"), ("trace.csv", "range", "unit"), trace(INA_HEADER.replace("current_ma", "current_a"), GOOD_ROWS)),
    Case("trace-nan-value", ("power", "analyze", "{ws}/trace.csv", "--marker", "marker"), ("trace.csv", "row 9", "current_ma", "not finite"), trace(INA_HEADER, [*GOOD_ROWS[:5], "0.005,nan,3.3,0,0,0", *GOOD_ROWS[6:]])),
    Case("spectra-csv-nan-cell", ("data", "build", "--out", "{ws}/new", "--source", "csv:{ws}/s.csv"), ("s.csv", "line 2", "column '0.55'", "'NaN'"), write("s.csv", "\n".join([CSV_HEADER, *CSV_ROWS]).replace("1.0,1.0,1.0", "1.0,1.0,NaN", 1) + "\n")),
    Case("verify-labels-wrong-length", ("verify", "{ws}/run/c/fixedpoint", "--inputs", "{ws}/x.npy", "--labels", "{ws}/y.npy"), ("y.npy", "10 integer labels"), both(npy("x.npy", x_test), npy("y.npy", lambda ws: np.zeros(7, np.int64)))),
    Case("verify-nan-inputs", ("verify", "{ws}/run/c/fixedpoint", "--inputs", "{ws}/x.npy"), ("x.npy", "input 3", "NaN"), npy("x.npy", with_nan)),
    # Messages that point at the right thing
    Case("compile-empty-onnx", ("compile", "{ws}/empty.onnx", "--out", "{ws}/pkg"), ("empty.onnx", "empty"), write("empty.onnx", "")),
    Case("compile-unsupported-op", ("compile", "{ws}/unsup.onnx", "--out", "{ws}/pkg"), ("my_cos", "Cos", "not supported"), unsupported_op),
    Case("compile-bad-name", ("compile", MODEL, "--out", "{ws}/pkg", "--name", "1bad"), ("--name", "C identifier")),
]  # fmt: skip


def tree(root: Path) -> dict[str, str]:
    """Every path under `root` with its kind and content hash (symlinks not followed)."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture
def workspace(small_run: Path, tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copytree(small_run, ws / "run", symlinks=True)
    return ws


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    if case.setup:
        case.setup(workspace)
    capsys.readouterr()
    before = tree(workspace)
    monkeypatch.chdir(workspace / case.cwd)
    argv = [a.replace("{ws}", str(workspace)) for a in case.argv]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == case.code, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if re.match(r"^flightml[\w ]*: error: ", line)]
    assert len(lines) == 1, err
    for needle in case.needles:
        assert needle.replace("{ws}", str(workspace)) in lines[0], lines[0]
    assert tree(workspace) == before, "the workspace changed"


def test_compile_replaces_its_own_package_only_when_the_new_one_is_complete(workspace: Path, capsys) -> None:
    pkg = workspace / "pkg"
    assert main(["compile", str(workspace / "run" / "model_int8.onnx"), "--out", str(pkg)]) == 0
    first = tree(pkg)
    (workspace / "empty.onnx").write_bytes(b"")
    assert main(["compile", str(workspace / "empty.onnx"), "--out", str(pkg)]) == 2
    assert tree(pkg) == first
    assert main(["compile", str(workspace / "run" / "model_int8.onnx"), "--out", str(pkg), "--name", "other"]) == 0
    assert "other_invoke" in (pkg / "model.h").read_text()
    assert sorted(p.name for p in workspace.iterdir() if p.name.startswith(".")) == []


def test_external_data_model_compiles_from_any_folder(workspace: Path, monkeypatch, capsys) -> None:
    external(lambda ws: "weights.bin")(workspace)
    shutil.move(workspace / "secret.bin", workspace / "ext" / "weights.bin")
    monkeypatch.chdir("/")
    assert main(["compile", str(workspace / "ext" / "model.onnx"), "--out", str(workspace / "pkg")]) == 0
    assert main(["compile", str(workspace / "run" / "model_int8.onnx"), "--out", str(workspace / "ref")]) == 0
    assert (workspace / "pkg" / "model.c").read_text().split("*/", 1)[1] == (
        workspace / "ref" / "model.c"
    ).read_text().split("*/", 1)[1]


def test_a_run_being_written_is_locked(workspace: Path, capsys) -> None:
    """A second writer (another process holding RUN/.flightml.lock) is refused with one line, for a
    stage on a run and for `run --out` into a folder another `run` has just created."""
    new = workspace / "new"
    new.mkdir()
    for root, argv in ((workspace / "run", ["train", str(workspace / "run")]), (new, ["run", "--out", str(new)])):
        fd = os.open(root / ".flightml.lock", os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        before = tree(workspace)
        try:
            assert main(argv) == 2
        finally:
            os.close(fd)
        assert "another flightml command is writing this run" in capsys.readouterr().err
        assert tree(workspace) == before


def test_resume_removes_stale_temporaries(workspace: Path, small_config_file: Path, capsys) -> None:
    run = workspace / "run"
    (run / ".fm-tmp.c.killed").mkdir()
    (run / ".fm-tmp.c.killed" / "model.c").write_text("half")
    (run / ".fm-tmp.model.pt.x.tmp").write_bytes(b"half")
    assert main(["run", "--out", str(run), "--resume", "--config", str(small_config_file)]) == 0
    assert not list(run.glob(".fm-tmp*"))


def test_budget_records_itself_in_the_manifest(workspace: Path, capsys) -> None:
    from flightml.artifacts import read_json, sha256_file

    run = workspace / "run"
    if not (run / "verify_mcu.json").is_file():
        pytest.skip("the small run has no MCU verification (no ARM toolchain)")
    main(["budget", str(run)])
    recorded = read_json(run / "manifest.json")["stages"]["budget"]["outputs"]["budget.json"]
    assert recorded == sha256_file(run / "budget.json")


def test_a_failing_stage_leaves_the_run_as_it_was(workspace: Path, monkeypatch, capsys) -> None:
    """A stage that overwrote its outputs and then failed: the old artifacts and summary come back."""
    from flightml.artifacts import atomic_write_json
    from flightml.errors import InputError
    from flightml.train import stage

    def broken(run, config) -> None:
        run.path("model.pt").write_bytes(b"half-written")
        atomic_write_json(run.path("training_history.json"), {})
        run.update_summary({"params": -1})
        raise InputError("train: failed after writing")

    monkeypatch.setattr(stage, "train_stage", broken)
    run = workspace / "run"
    before = tree(run)
    assert main(["train", str(run)]) == 2
    assert "failed after writing" in capsys.readouterr().err
    assert tree(run) == before
