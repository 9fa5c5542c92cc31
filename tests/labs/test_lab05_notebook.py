"""lab05 as a learner runs it: the solution end to end on the offline cloud (how long: bench/labs.py), and what it shows."""
from __future__ import annotations


import nbformat
from nbclient import NotebookClient

from grader.config import ROOT

SOLUTION = ROOT / "solutions" / "lab05" / "lab05.ipynb"
VISIBLE = ["1-1", "2-1", "3-1", "4-1", "5-1"]


def outputs(nb: nbformat.NotebookNode) -> dict[str, str]:
    return {c.get("id"): "".join(o.get("text", "") or o.get("data", {}).get("text/markdown", "") for o in c.outputs)
            for c in nb.cells if c.cell_type == "code"}


def test_solution_runs_end_to_end(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False).execute(cwd=str(tmp_path))
    shown = outputs(nb)
    assert f"공개 테스트 {len(VISIBLE)}/{len(VISIBLE)} 통과" in shown["summary"]
    assert (tmp_path / "lab05_functions" / "saga" / "compensations.py").exists()
    # the history table of the declined payment: its compensations, in order
    assert "보상: ['ReleaseStock', 'CancelOrder']" in shown["free-try1"], shown["free-try1"]
    assert "| # | 경과(초) | 상태 | 이벤트 | 뜻 | 내용 |" in shown["free-try1"]
    assert "OrderPlaced → OrderCreated → StockReserved → PaymentFailed → StockReleased → OrderCancelled" in shown["free-try5"]


def test_metadata_describes_the_lab():
    course = nbformat.read(SOLUTION, as_version=4).metadata["course"]
    assert course["lab"] == "lab05" and course["minutes"] == 100
    assert len(course["objectives"]) == 6 and course["keypoints"] and course["title"]
