"""Atomic writes leave either the old file or the new one, never a partial file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flightml.artifacts import RunDir, atomic_output_dir, atomic_output_path, atomic_write_json, read_json
from flightml.errors import InputError


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "model.onnx"
    with pytest.raises(RuntimeError), atomic_output_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash mid-write")
    assert list(tmp_path.iterdir()) == []


def test_failed_directory_write_keeps_the_old_directory(tmp_path: Path) -> None:
    target = tmp_path / "c"
    target.mkdir()
    (target / "model.c").write_text("old")
    with pytest.raises(RuntimeError), atomic_output_dir(target) as tmp:
        (tmp / "model.c").write_text("new")
        raise RuntimeError
    assert (target / "model.c").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["c"]


def test_json_is_canonical(tmp_path: Path) -> None:
    atomic_write_json(tmp_path / "a.json", {"b": 1, "a": [1, 2]})
    atomic_write_json(tmp_path / "b.json", {"a": [1, 2], "b": 1})
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_summary_merges_nested_keys(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    run.update_summary({"c": {"fixedpoint": {"arena_bytes": 1}}, "params": 3})
    run.update_summary({"c": {"ort-exact": {"arena_bytes": 2}}})
    assert run.summary() == {"c": {"fixedpoint": {"arena_bytes": 1}, "ort-exact": {"arena_bytes": 2}}, "params": 3}


def test_read_json_names_a_corrupt_file(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{nope")
    with pytest.raises(InputError, match=r"x\.json: not a valid"):
        read_json(tmp_path / "x.json")


def test_verdict_rules() -> None:
    from flightml.report.base import Check
    from flightml.report.render import verdict_of

    ok, bad, unknown = Check("a", True, ""), Check("b", False, ""), Check("c", None, "")
    assert verdict_of([ok]) == "pass"
    assert verdict_of([ok, unknown]) == "incomplete"
    assert verdict_of([ok, unknown, bad]) == "fail"


def test_artifacts_get_the_users_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write_json(tmp_path / "a.json", {})
        with atomic_output_dir(tmp_path / "c") as tmp:
            (tmp / "model.c").write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "c").stat().st_mode & 0o777 == 0o750


def test_output_dir_checks(tmp_path: Path, monkeypatch) -> None:
    from flightml.artifacts import MARKER, check_output_dir

    monkeypatch.chdir(tmp_path)
    check_output_dir(tmp_path / "new")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / MARKER).write_text("{}")
    (tmp_path / "mine" / "model.c").write_text("x")
    check_output_dir(tmp_path / "mine")
    (tmp_path / "yours").mkdir()
    (tmp_path / "yours" / "notes.txt").write_text("x")
    for path, message in (
        (tmp_path / "yours", "not written by flightml"),
        (tmp_path, "contains the current directory"),
        (Path("/proc/x"), "/proc"),
        (tmp_path / "yours" / "notes.txt", "not a folder"),
    ):
        with pytest.raises(InputError, match=message):
            check_output_dir(path)
    with pytest.raises(InputError, match="contains the input"):
        check_output_dir(tmp_path / "mine", (tmp_path / "mine" / "model.c",))
