"""SafeExecute's events belong to its own run: two gradings in one process never share them.

They used to be published as a class attribute (`type(self).events = ...`) and read back as
`SafeExecute.events`: whichever run finished last decided what every other run reported.
"""
from __future__ import annotations

import threading

import nbformat

from grader.execute import EVENTS, SafeExecute

from .conftest import TEST_LIMITS

DIES = "import os\nos._exit(3)"
CLEAN = "print('fine')"


def execute(source: str, tmp_path, name: str) -> dict:
    """Run a one-cell notebook through SafeExecute (no sandbox) and return its resources."""
    folder = tmp_path / name
    folder.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source, metadata={"nbgrader": {"grade_id": name}})])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    step = SafeExecute(backend="none", limits=TEST_LIMITS.as_dict(), kernel_name="python3")
    _, resources = step.preprocess(nb, {"metadata": {"path": str(folder)}})
    return resources


def kinds(resources: dict) -> list[tuple[str, str]]:
    return [(e["kind"], e["cell"]) for e in resources[EVENTS]]


def test_each_run_returns_its_own_events_in_its_resources(tmp_path):
    died = execute(DIES, tmp_path, "dies")
    clean = execute(CLEAN, tmp_path, "clean")  # ran last: it used to overwrite what `dies` reported
    assert kinds(died) == [("kernel_died", "dies")]
    assert kinds(clean) == []


def test_two_runs_at_once_in_one_process_keep_their_events_apart(tmp_path):
    results: dict[str, dict] = {}

    def run(source: str, name: str) -> None:
        results[name] = execute(source, tmp_path, name)

    threads = [threading.Thread(target=run, args=(DIES, "dies")), threading.Thread(target=run, args=(CLEAN, "clean"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert kinds(results["dies"]) == [("kernel_died", "dies")]
    assert kinds(results["clean"]) == []
