"""lab02 as a learner runs it: the solution end to end on the offline cloud, in time, and its visible checks again.

Every figure the notebook shows is measured in the run (REPORT lines, the runtime's counts), so
these tests read the outputs for relationships (the trap's identical IDs, fewer GetSecretValue
calls), never for numbers.
"""
from __future__ import annotations

import re
import time

import nbformat
from nbclient import NotebookClient

from grader.config import ROOT

SOLUTION = ROOT / "solutions" / "lab02" / "lab02.ipynb"
VISIBLE = ["1-1", "2-1", "2-3", "3-1", "4-1", "5-1", "6-1", "6-2", "7-1", "8-1"]


def outputs(nb: nbformat.NotebookNode) -> dict[str, str]:
    return {c.get("id"): "".join(o.get("text", "") for o in c.outputs) for c in nb.cells if c.cell_type == "code"}


def test_solution_runs_end_to_end_in_under_three_minutes(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    started = time.perf_counter()
    NotebookClient(nb, timeout=240, kernel_name="python3", allow_errors=False).execute(cwd=str(tmp_path))
    elapsed = time.perf_counter() - started
    assert elapsed < 180, f"lab02 풀이가 {elapsed:.1f}초 걸렸습니다."
    shown = outputs(nb)
    assert f"공개 테스트 {len(VISIBLE)}/{len(VISIBLE)} 통과" in shown["summary"]
    assert "숨겨진 테스트 11개는 채점 때 실행됩니다" in shown["summary"]
    assert (tmp_path / "lab02_functions" / "snap" / "app.py").exists()  # handlers went to the notebook's folder
    # The trap: every restored instance of the hook-less function shows the snapshot's ID.
    ids = re.search(r"INSTANCE_ID: \[(.*)\]", shown["try6"]).group(1).split(", ")
    assert len(ids) == 3 and len(set(ids)) == 1, shown["try6"]
    # Counted in the handler's own boto3 calls: the eager function reads the secret on every call, lazy once.
    assert "eager: 클라이언트 {'secretsmanager': 1}, 호출 {'GetSecretValue': 5}" in shown["try2b"], shown["try2b"]
    assert "lazy: 클라이언트 {'secretsmanager': 1}, 호출 {'GetSecretValue': 1}" in shown["try2b"], shown["try2b"]


def test_metadata_describes_the_lab():
    course = nbformat.read(SOLUTION, as_version=4).metadata["course"]
    assert course["lab"] == "lab02" and course["minutes"] == 150
    assert len(course["objectives"]) == 8 and course["keypoints"] and course["title"]


def test_visible_checks_pass_again_when_a_learner_reruns_them(tmp_path):
    # Each visible check starts from its own state (idle(), a fresh function), so running it twice passes twice.
    nb = nbformat.read(SOLUTION, as_version=4)
    visible = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
               and c.metadata["nbgrader"]["grade_id"][6:].replace("_", "-") in VISIBLE]
    assert len(visible) == len(VISIBLE)
    nb.cells.extend(nbformat.v4.new_code_cell(c.source) for c in visible)
    NotebookClient(nb, timeout=240, kernel_name="python3", allow_errors=False).execute(cwd=str(tmp_path))
    reruns = "".join(o.get("text", "") for c in nb.cells[-len(VISIBLE):] for o in c.outputs)
    assert reruns.count("통과") == len(VISIBLE) and "CheckFailed" not in reruns
