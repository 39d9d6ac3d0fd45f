"""The documentation stays true: the configuration reference equals `flightml config --default`."""

from __future__ import annotations

from pathlib import Path

from flightml.config import default_toml

ROOT = Path(__file__).resolve().parents[2]


def test_configuration_reference_is_current() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    block = page.split("```toml\n", 1)[1].split("```", 1)[0]
    assert block == default_toml(), "regenerate docs/configuration.md from `flightml config --default`"


def test_readme_opens_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:1500]
    assert "make run" in head and "make test" in head
