"""lab04 as a learner runs it: the solution end to end on the offline cloud (how long: bench/labs.py), and what it shows.

Grading (full marks, zero, partial credit, every check failing on a wrong answer) is in
tests/grading/test_lab04_grading.py; this runs the solution once as a learner would, cell by cell.
"""
from __future__ import annotations


import nbformat
from nbclient import NotebookClient

from grader.config import ROOT

SOLUTION = ROOT / "solutions" / "lab04" / "lab04.ipynb"
VISIBLE = ["1-1", "2-1", "3-1", "4-1"]


def outputs(nb: nbformat.NotebookNode) -> dict[str, str]:
    return {c.get("id"): "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in c.outputs)
            for c in nb.cells if c.cell_type == "code"}


def test_solution_runs_end_to_end(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False).execute(cwd=str(tmp_path))
    shown = outputs(nb)
    assert f"공개 테스트 {len(VISIBLE)}/{len(VISIBLE)} 통과" in shown["summary"]
    for name in ("accounts", "commands", "publisher", "projector", "queries"):
        assert (tmp_path / "lab04_functions" / "bank" / f"{name}.py").exists(), name
    # the store holds events, not balances; the read model lags until the events are delivered
    assert "저장소: [(1, 'AccountOpened'), (2, 'MoneyDeposited'), (3, 'MoneyWithdrawn')]" in shown["free-try1"]
    assert "422 (잔액보다 많은 출금)" in shown["free-try1"]
    assert "전달 전: {}" in shown["free-try2"] and "'balance': 75, 'version': 4" in shown["free-try2"]
    # the outbox survives a failed publish: the event waits in the stream and arrives after the retry
    assert "발행하지 못한 동안 읽기 모델: {'accountId'" in shown["free-try3"] and "'balance': 75, 'version': 4}" in shown["free-try3"]
    assert "ResourceNotFoundException" in shown["free-try3"], shown["free-try3"]
    assert "버스를 만든 뒤 읽기 모델: {'accountId'" in shown["free-try3"] and "'balance': 76, 'version': 5}" in shown["free-try3"]
    # a real thumbnail within 128x128 that keeps the ratio, and no watermark outside public/
    assert "썸네일 크기: (128, 96) 워터마크: ['public/cat.jpg']" in shown["free-try4"], shown["free-try4"]


def test_metadata_describes_the_lab():
    course = nbformat.read(SOLUTION, as_version=4).metadata["course"]
    assert course["lab"] == "lab04" and course["minutes"] == 100
    assert len(course["objectives"]) == 5 and course["keypoints"] and course["title"]


def test_checkpoint_4_removes_part_1s_event_driven_functions_before_part_2():
    """A learner's projector that hangs must not cost task 4 its points: every function part 1 feeds
    from the stream or the bus is removed with its retries before part 2 (the mechanism, shown failing
    without it: tests/labs/test_eventsources.py::test_remove_function_drops_its_mappings_and_pending_retries).
    Measured with a `while True` projector: check 4-3 took 64 s of a 40-60 s cell limit before, 0.5 s after."""
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
             for c in nbformat.read(ROOT / "labs" / "lab04" / "lab04.ipynb", as_version=4).cells}
    fed = {"lab04-publisher", "lab04-projector"}
    assert all(f'name="{name}"' in cells["deploy2"] for name in fed)
    assert 'for name in ("lab04-publisher", "lab04-projector"):\n    es.remove_function(cloud, name)' in cells["deploy4"]
    assert cells["deploy4"].index("remove_function") < cells["deploy4"].index("cloud.deploy(")
