"""Fixtures for the offline-cloud tests: a fresh LocalCloud per test and handler folders."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from labkit.cloud import LocalCloud


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud() as running:
        yield running


@pytest.fixture
def code_dir(tmp_path: Path) -> Callable[..., Path]:
    """Write a handler folder: code_dir(app="...", helper="...") -> folder with app.py, helper.py."""
    counter = iter(range(1000))

    def make(**modules: str) -> Path:
        folder = tmp_path / f"fn{next(counter)}"
        folder.mkdir()
        for name, source in modules.items():
            path = folder / (name.replace(".", "/") + ".py")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))
        return folder

    return make


def records_seen(invocation_lines: list[str]) -> list[str]:
    """Lines a handler printed with the SEEN prefix (how tests observe handler input)."""
    return [line[5:] for line in invocation_lines if line.startswith("SEEN ")]
