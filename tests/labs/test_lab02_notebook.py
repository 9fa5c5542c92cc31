"""lab02 as a learner runs it: each of its two notebooks end to end on the offline cloud (how long: bench/labs.py), and their visible checks again.

lab02 is two notebooks (lab02-1: tasks 1-4, lab02-2: tasks 5-8), each standing alone: its own
set-up cell, objectives, recap and summary, and lab02-2 runs without anything lab02-1 made.
Every figure the notebooks show is measured in the run (REPORT lines, the runtime's counts), so
these tests read the outputs for relationships (the trap's identical IDs, fewer GetSecretValue
calls, a cached secret staler than an uncached one), never for numbers.
"""
from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from grader.config import ROOT

FOLDER = ROOT / "solutions" / "lab02"
VISIBLE = {"lab02-1": ["1-1", "2-1", "2-3", "2-5", "3-1", "3-2", "4-1"], "lab02-2": ["5-1", "6-1", "6-2", "7-1", "8-1"]}
HIDDEN = {"lab02-1": 6, "lab02-2": 5}
TASKS = {"lab02-1": [1, 2, 3, 4], "lab02-2": [5, 6, 7, 8]}


def outputs(nb: nbformat.NotebookNode) -> dict[str, str]:
    return {c.get("id"): "".join(o.get("text", "") for o in c.outputs) for c in nb.cells if c.cell_type == "code"}


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """Each notebook run once, in a folder of its own (lab02-2 never sees what lab02-1 wrote): name -> (nb, folder)."""
    runs = {}
    for name in VISIBLE:
        folder = tmp_path_factory.mktemp(name)
        nb = nbformat.read(FOLDER / f"{name}.ipynb", as_version=4)
        NotebookClient(nb, timeout=240, kernel_name="python3", allow_errors=False).execute(cwd=str(folder))
        runs[name] = (nb, folder)
    return runs


def test_lab02_is_two_notebooks_of_tasks_1_to_4_and_5_to_8():
    assert sorted(p.name for p in FOLDER.glob("*.ipynb")) == ["lab02-1.ipynb", "lab02-2.ipynb"]
    for name, tasks in TASKS.items():
        nb = nbformat.read(FOLDER / f"{name}.ipynb", as_version=4)
        found = [int(n) for c in nb.cells if c.cell_type == "markdown" for n in re.findall(r"^## 과제 (\d)\.", c.source, re.M)]
        assert found == tasks, name
        ids = [c.get("id") for c in nb.cells]
        assert ids[:4] == ["intro", "how_this_lab_works", "setup_text", "setup"] and ids[-2:] == ["recap", "summary"], name
        assert "학습 목표" in nb.cells[0].source and "lab02-1.ipynb" in nb.cells[0].source and "lab02-2.ipynb" in nb.cells[0].source


def test_each_notebook_runs_alone_end_to_end(ran):
    for name, (nb, folder) in ran.items():
        shown = outputs(nb)
        assert f"공개 테스트 {len(VISIBLE[name])}/{len(VISIBLE[name])} 통과" in shown["summary"], shown["summary"]
        assert f"숨겨진 테스트 {HIDDEN[name]}개는 채점 때 실행됩니다" in shown["summary"]
    assert (ran["lab02-2"][1] / "lab02_functions" / "snap" / "app.py").exists()  # handlers went to the notebook's folder
    assert not (ran["lab02-2"][1] / "lab02_functions" / "burst").exists()       # lab02-2 writes its own handlers only


def test_the_first_notebook_measures_caching_and_throttling(ran):
    shown = outputs(ran["lab02-1"][0])
    # Counted in the handler's own boto3 calls: the eager function reads the secret on every call, lazy once.
    assert "eager: 클라이언트 {'secretsmanager': 1}, 호출 {'GetSecretValue': 5}" in shown["try2b"], shown["try2b"]
    assert "lazy: 클라이언트 {'secretsmanager': 1}, 호출 {'GetSecretValue': 1}" in shown["try2b"], shown["try2b"]
    # Staleness on the lab's clock: the uncached function serves the new secret at once, the cached one
    # until a cold start, at least as long as it was kept warm (5 minutes).
    eager, lazy = map(int, re.search(r"eager (\d+)초, lazy (\d+)초", shown["check_2_5"]).groups())
    assert eager == 0 < 5 * 60 < lazy, shown["check_2_5"]


def test_the_second_notebook_shows_the_snapstart_trap(ran):
    shown = outputs(ran["lab02-2"][0])
    # The trap: every restored instance of the hook-less function shows the snapshot's ID.
    ids = re.search(r"INSTANCE_ID: \[(.*)\]", shown["try6"]).group(1).split(", ")
    assert len(ids) == 3 and len(set(ids)) == 1, shown["try6"]


def test_metadata_describes_each_notebook():
    for name, tasks in TASKS.items():
        course = nbformat.read(FOLDER / f"{name}.ipynb", as_version=4).metadata["course"]
        assert course["lab"] == "lab02" and course["minutes"] <= 120
        assert len(course["objectives"]) == len(tasks) and course["keypoints"] and course["title"]


def test_visible_checks_pass_again_when_a_learner_reruns_them(ran):
    # Each visible check starts from its own state (idle(), a fresh function), so running it twice passes twice.
    for name, (nb, folder) in ran.items():
        visible = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
                   and c.metadata["nbgrader"]["grade_id"][6:].replace("_", "-") in VISIBLE[name]]
        assert len(visible) == len(VISIBLE[name])
        again = nbformat.read(FOLDER / f"{name}.ipynb", as_version=4)
        again.cells.extend(nbformat.v4.new_code_cell(c.source) for c in visible)
        NotebookClient(again, timeout=240, kernel_name="python3", allow_errors=False).execute(cwd=str(folder))
        reruns = "".join(o.get("text", "") for c in again.cells[-len(visible):] for o in c.outputs)
        assert reruns.count("통과") == len(visible) and "CheckFailed" not in reruns, (name, reruns)
