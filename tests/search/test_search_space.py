"""Search space files: the shipped spaces load; a bad file is one InputError line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightml.cli import main
from flightml.errors import InputError
from flightml.search.space import load_space


@pytest.mark.parametrize("name", ["default", "small"])
def test_builtin_spaces_load(name: str) -> None:
    space = load_space(name)
    assert space.params["model.conv_layers"]
    assert "data.bands" in space.params


def test_sample_expands_layers_into_conv_channels(tiny_space: Path) -> None:
    space = load_space(tiny_space)
    values = space.sample(lambda name, choices: choices[-1])
    assert values == {"model.conv_layers": 2, "model.channels.0": 4, "model.channels.1": 4, "model.hidden": 8}
    assert space.config_dict(values)["model"] == {"conv_channels": [4, 4], "hidden": 8}
    assert space.config_dict({})["data"]["n_train"] == 60


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[space.model]\nkernel_sizes = [3, 5]\n", "model.kernel_sizes"),
        ("[space.model]\nkernel_size = [3, 4]\n", "model.kernel_size"),
        ("[space.modle]\nhidden = [8]\n", "modle"),
        ("[space.model]\nhidden = 8\n", "space.model.hidden"),
        ("[space.model]\nconv_layers = [1, 2]\n", "conv_layers and channels"),
        ("[base.train]\nepochz = 3\n[space.model]\nhidden = [8]\n", "train.epochz"),
        ("[spaces.model]\nhidden = [8]\n", "spaces"),
    ],
)
def test_bad_space_is_one_line_naming_the_key(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_space(path)
    message = str(info.value)
    assert named in message and str(path) in message and "\n" not in message


def test_cli_bad_space_exit_2(tmp_path: Path, mission: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[space.model]\npool = [0]\n")
    code = main(["search", "--mission", str(mission), "--space", str(path), "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "model.pool" in err
    assert not (tmp_path / "s").exists()


def test_cli_missing_space_file(tmp_path: Path, mission: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "--mission", str(mission), "--space", str(tmp_path / "nope.toml")]) == 2
    assert "search space file not found" in capsys.readouterr().err
