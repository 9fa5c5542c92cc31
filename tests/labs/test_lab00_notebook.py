"""lab00 as a learner runs it: the solution executes cleanly and re-running setup starts over."""
from __future__ import annotations

import copy

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from grader.config import ROOT

SOLUTION = ROOT / "solutions" / "lab00" / "lab00.ipynb"


def run(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False).execute(cwd=str(ROOT))
    return nb


def test_rerunning_the_setup_cell_empties_the_offline_cloud():
    nb = nbformat.read(SOLUTION, as_version=4)
    setup = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    nb.cells.append(copy.deepcopy(setup))
    nb.cells.append(new_code_cell('assert s3.list_buckets()["Buckets"] == [], s3.list_buckets()["Buckets"]'))
    run(nb)


def test_summary_reports_visible_checks_honestly_after_a_full_run():
    nb = run(nbformat.read(SOLUTION, as_version=4))
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "공개 테스트 3/3 통과" in text
    assert "숨겨진 테스트 4개는 채점 때 실행됩니다" in text
    assert "Success" not in text and "성공" not in text
