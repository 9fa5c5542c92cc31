"""lab07 as a learner runs it: the solution end to end (how long: bench/labs.py), its visible checks again,
the panel redrawing on a slider, and the sample of REPORT lines it prices being the offline cloud's.
"""
from __future__ import annotations

import math

import nbformat
from nbclient import NotebookClient

from grader.config import ROOT
from labkit.cloud import parse_report
from labkit.pricing import REPORT_SAMPLE

SOLUTION = ROOT / "solutions" / "lab07" / "lab07.ipynb"
VISIBLE = ["1-1", "2-1", "3-1", "4-1", "5-1", "6-1", "7-1"]


def outputs(nb: nbformat.NotebookNode) -> dict[str, str]:
    return {c.get("id"): "".join(o.get("text", "") for o in c.outputs) for c in nb.cells if c.cell_type == "code"}


def test_solution_runs_end_to_end_and_its_visible_checks_pass_twice(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    visible = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
               and c.metadata["nbgrader"]["grade_id"][6:].replace("_", "-") in VISIBLE]
    assert len(visible) == len(VISIBLE)
    # One kernel run: the notebook, then its visible checks again as a learner reruns them.
    nb.cells.extend(nbformat.v4.new_code_cell(c.source) for c in visible)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False).execute(cwd=str(tmp_path))
    shown = outputs(nb)
    assert f"공개 테스트 {len(VISIBLE)}/{len(VISIBLE)} 통과" in shown["summary"]
    assert "숨겨진 테스트 7개는 채점 때 실행됩니다" in shown["summary"]
    # The seed's Lambda column at the assumptions task 6 finds, and where its break-even really is.
    assert "| 100,000,000 | $200.00 |" in shown["table6"] and "월 1,898만 건(원본 문서는 1억 건" in shown["table6"]
    assert "1,000,000,000 | $2,000.00" in shown["table6"] and "10대 $379.60" in shown["table6"]
    assert "서버 CPU 100ms(기다림 없는 계산): 없음" in shown["try4"]
    assert "콜드 스타트 6번" in shown["bill7"] and "INIT 청구가 더한 몫 $" in shown["bill7"]
    assert (tmp_path / "lab07_panel.png").stat().st_size > 10_000  # the panel's figure, saved as the lab shows
    # What the panel's Output widget shows in the notebook is the plot as a PNG, not a Figure's text repr.
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    shown_outputs = [o for m in state.values() if m["model_name"] == "OutputModel" for o in m["state"]["outputs"]]
    assert shown_outputs and all("image/png" in o.get("data", {}) for o in shown_outputs), shown_outputs
    reruns = "".join(o.get("text", "") for c in nb.cells[-len(VISIBLE):] for o in c.outputs)
    assert reruns.count("통과") == len(VISIBLE) and "CheckFailed" not in reruns


def test_metadata_describes_the_lab():
    course = nbformat.read(SOLUTION, as_version=4).metadata["course"]
    assert course["lab"] == "lab07" and course["minutes"] == 70
    assert len(course["objectives"]) == 7 and course["keypoints"] and course["title"]


def test_the_report_sample_is_the_offline_clouds_with_init_billed():
    lines = REPORT_SAMPLE.read_text(encoding="utf-8").splitlines()
    reports = [parse_report(line) for line in lines]
    assert len(reports) == 300 and sum(r.cold_start for r in reports) == 6
    assert {r.memory_size_mb for r in reports} == {512}
    for r in reports:  # Billed Duration includes INIT on a cold start (AWS since 2025-08-01)
        assert abs(r.billed_duration_ms - math.ceil(r.duration_ms + (r.init_duration_ms or 0))) <= 1, r.line
    cold = [r for r in reports if r.cold_start]
    assert all(r.billed_duration_ms > r.duration_ms + r.init_duration_ms - 1 for r in cold)


def test_the_panel_redraws_when_a_slider_moves_and_says_what_broke():
    from labkit.costpanel import cost_panel

    calls = []

    def lam(requests, s):
        calls.append(s["duration_ms"])
        return requests * s["duration_ms"] * 1e-8

    panel = cost_panel({"Lambda": lam, "서버": lambda requests, s: 40.0}, requests=1_000_000, duration_ms=100)
    first = panel.figure
    panel.controls["duration_ms"].value = 300
    assert panel.figure is not first and 300 in calls
    assert panel.png().startswith(b"\x89PNG")
    xs, ys = panel.curves()
    assert ys["Lambda"][-1] == xs[-1] * 300 * 1e-8 and "가장 싼 선택지" in panel.message.value

    def broken(requests, s):
        raise KeyError("memory")

    bad = cost_panel({"잘못된 함수": broken})
    assert bad.error == "KeyError: 'memory'" and "비용 함수가 오류를 냈습니다" in bad.message.value
    try:
        cost_panel({})
    except ValueError as error:
        assert "비교할 선택지가 없습니다" in str(error)
    else:
        raise AssertionError("빈 선택지를 받아들였습니다")


def test_every_code_cell_of_the_release_compiles():
    # nbgrader puts its stub where the solution was: inside a literal (a dict of options) that is a SyntaxError.
    release = nbformat.read(ROOT / "labs" / "lab07" / "lab07.ipynb", as_version=4)
    for cell in release.cells:
        if cell.cell_type == "code":
            compile(cell.source, cell.get("id", "?"), "exec")
    broken = "OPTIONS = {\n    # 여기에 코드를 작성하십시오.\n    raise NotImplementedError()\n}\n"
    try:
        compile(broken, "stub", "exec")
    except SyntaxError:
        pass
    else:
        raise AssertionError("스텁이 든 dict가 컴파일되었습니다: 이 시험은 실패할 수 없습니다.")
