"""Self-checks print one line per check, in a real kernel on lab01's real check cell, and outside IPython."""
from __future__ import annotations

import re
import subprocess
import sys

import nbformat
from nbclient import NotebookClient

from grader.config import ROOT

SOLUTION = ROOT / "solutions" / "lab01" / "lab01.ipynb"
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


def _upto_check_1_1(tmp_path):
    """lab01's solution up to and including its check cell 1-1 (five conditions under one name)."""
    nb = nbformat.read(SOLUTION, as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = MARKER.sub("", cell.source)
            cells.append(cell)
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "check_1_1":
            break
    assert cells[-1].source.count('check("1-1 메모 API"') == 5
    nb.cells = cells
    return nb


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")


def test_one_line_per_check_in_a_real_kernel_and_the_first_failing_message(tmp_path):
    nb = _upto_check_1_1(tmp_path)
    nb.cells.append(nbformat.v4.new_code_cell(
        'check("시험", True, "통과")\ncheck("시험", False, "첫 번째로 틀린 조건")\ncheck("시험", False, "두 번째")'))
    nb.cells.append(nbformat.v4.new_code_cell('check("다시", True, "a")\ncheck("다시", True, "b")\nprint(summary(["1-1 메모 API", "시험"], 0))'))
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    check_cell, failing, after = nb.cells[-3], nb.cells[-2], nb.cells[-1]
    assert not [o for o in check_cell.outputs if o.get("output_type") == "error"], check_cell.outputs
    assert _stdout(check_cell).strip().splitlines() == ["✔ 1-1 메모 API: 통과 (조건 5개)"]
    errors = [o for o in failing.outputs if o.get("output_type") == "error"]
    assert [(e["ename"], e["evalue"]) for e in errors] == [("CheckFailed", "[시험] 첫 번째로 틀린 조건")]
    assert "✔" not in _stdout(failing)  # a check with a failed condition has no pass line
    # The pass lines of the next cell are its own, and the summary still knows the failure.
    assert _stdout(after).splitlines()[-1] == "✔ 다시: 통과 (조건 2개)"  # printed when the cell ends
    assert "공개 테스트 1/2 통과" in _stdout(after) and "실패: 시험" in _stdout(after)


def test_outside_ipython_each_check_prints_at_once():
    code = ("from labkit.checks import check\ncheck('a', True, 'x')\nprint('between')\ncheck('a', True, 'y')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60).stdout
    assert out.splitlines() == ["✔ a: 통과", "between", "✔ a: 통과"]


def test_summary_as_a_cells_last_line_shows_its_text_once(tmp_path):
    """The labs end with `summary(...)` as the last expression: printed, not echoed again as 'line\\nline'."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('from labkit.checks import check, summary\ncheck("1-1 가", True, "a")'),
                nbformat.v4.new_code_cell('summary(visible=["1-1 가", "2-1 나"], hidden=3)'),
                nbformat.v4.new_code_cell('text = summary(["1-1 가"], 0)\nprint(text.upper() == text, text.splitlines()[0])')]
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    last = nb.cells[1]
    assert [o["output_type"] for o in last.outputs] == ["stream"], last.outputs
    assert _stdout(last).count("공개 테스트 1/2 통과") == 1 and "아직 실행하지 않음: 2-1 나" in _stdout(last)
    assert _stdout(nb.cells[2]).splitlines()[-1] == "True 공개 테스트 1/1 통과"  # still a str to use
