"""Fixtures for the offline-cloud tests: a fresh LocalCloud per test, handler folders, and services
packaged by the real Serverless Framework (osls, via labkit.framework)."""

from __future__ import annotations

import shutil
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from labkit import framework
from labkit.cloud import LocalCloud, TooManyRequestsException


def osls_package(tmp_path_factory: pytest.TempPathFactory, name: str, files: dict[str, str] | Path,
                 stage: str = "dev", **options: str) -> framework.Package:
    """Write `files` ({path: text}) or copy a service folder into a fresh folder, and package it with
    the real framework (labkit.framework.package); the test is skipped where osls is not installed."""
    try:
        framework.osls_path()
    except framework.FrameworkError:
        pytest.skip("osls가 설치되지 않았습니다(./course가 npm ci로 설치합니다)")
    service = tmp_path_factory.mktemp(name) / name
    if isinstance(files, Path):
        shutil.copytree(files, service, ignore=shutil.ignore_patterns(".serverless", "node_modules"))
    else:
        for path, text in files.items():
            (service / path).parent.mkdir(parents=True, exist_ok=True)
            (service / path).write_text(text, encoding="utf-8")
    return framework.package(service, stage, options=options or None)


def invoke_in_threads(cloud: LocalCloud, name: str, events: list[dict], qualifier: str | None = None) -> list:
    """Invoke `name` once per event, all at once from threads: the Invocations (or the
    TooManyRequestsException of a throttled one), in the order of `events`."""
    results: list = [None] * len(events)

    def run(i: int) -> None:
        try:
            results[i] = cloud.invoke(name, events[i], qualifier=qualifier)
        except TooManyRequestsException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(events))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


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
