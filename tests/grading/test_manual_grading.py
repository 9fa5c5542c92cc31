"""Manual grading end to end on a lab with a written answer (tests/grading/fixtures/labm).

The fixture is a small nbgrader source lab: three autograded checks (one visible, two hidden)
and a 2-point Markdown answer cell (`essay_2`) that only the instructor can score.
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import nbformat
import pytest

from grader.batch import autograde_all
from grader.release import release

from .conftest import TEST_LIMITS
from .test_cli_workflow import grader

FIXTURE = Path(__file__).parent / "fixtures" / "labm"
LAB = "labm"
CODE_RIGHT = "def request_cost(requests):\n    return requests / 1_000_000 * PRICE_PER_MILLION"
CODE_WRONG = "def request_cost(requests):\n    return requests * PRICE_PER_MILLION"  # fails 1-1 and 1-3, passes 1-2
ESSAY = "1억 건에서 Lambda가 200달러, EC2가 30달러라면 손익분기점은 이미 지났습니다."


def submission(course: Path, code: str | None, essay: str | None) -> nbformat.NotebookNode:
    nb = nbformat.read(course / "labs" / LAB / f"{LAB}.ipynb", as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "task1_solution" and code is not None:
            cell.source = code
        if gid == "essay_2" and essay is not None:
            cell.source = essay
    return nb


def put(course: Path, student: str, nb, stamp: str = "2026-12-01 10:00:00") -> None:
    dest = course / "grader" / "work" / "submitted" / student / LAB
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest / f"{LAB}.ipynb")
    (dest / "timestamp.txt").write_text(stamp)


def grade(course: Path, *students: str, force: bool = False):
    report = autograde_all(LAB, course, students=list(students) or None, jobs=2, force=force,
                           limits=TEST_LIMITS, progress=False)
    assert not report.errors, [o.error for o in report.errors]
    return {o.student: o for o in report.graded}


@pytest.fixture(scope="module")
def released_labm(tmp_path_factory):
    course = tmp_path_factory.mktemp("manual") / "course"
    shutil.copytree(FIXTURE, course)
    release(LAB, course)  # grades the instructor's solution too: that crashed on a manual cell
    return course


@pytest.fixture
def course(released_labm, tmp_path):
    dest = tmp_path / "course"
    shutil.copytree(released_labm, dest)
    return dest


def grades_csv(course: Path) -> dict[str, dict[str, str]]:
    with open(course / "grader/work/export/grades.csv", encoding="utf-8-sig") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


def feedback_md(course: Path, student: str) -> str:
    return (course / "grader/work/feedback" / student / LAB / "feedback.md").read_text(encoding="utf-8")


def status_line(course: Path, student: str) -> str:
    out = grader(course, "status", LAB).stdout
    return next(line for line in out.splitlines() if line.startswith(student))


def test_release_of_a_lab_with_a_written_answer(released_labm):
    released = nbformat.read(released_labm / "labs" / LAB / f"{LAB}.ipynb", as_version=4)
    essay = next(c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "essay_2")
    assert essay.source == "여기에 답을 쓰십시오."  # the model answer stays in solutions/


def test_a_written_answer_waits_then_counts_everywhere_once_scored(course):
    put(course, "kim", submission(course, CODE_RIGHT, ESSAY))
    put(course, "park", submission(course, None, None))  # nothing written
    outcomes = grade(course)
    kim = {c.grade_id: c for c in outcomes["kim"].cells}
    assert kim["essay_2"].score is None and kim["essay_2"].kind == "answer"
    assert kim["essay_2"].label == "질문 2. 손익분기점 비판 (2점)"  # the question, not the stub
    park = {c.grade_id: c for c in outcomes["park"].cells}
    assert park["essay_2"].score == 0 and park["essay_2"].status == "blank"

    listed = grader(course, "pending", LAB).stdout
    assert "kim essay_2" in listed and ESSAY in listed and "park" not in listed
    assert "강사 채점 대기 1개" in status_line(course, "kim")
    grader(course, "feedback", LAB)
    md = feedback_md(course, "kim")
    assert "| 질문 2. 손익분기점 비판 (2점) | 직접 쓴 답 | -/2 | 채점 대기 |" in md
    assert "공개 테스트 | -/2" not in md and "여기에 답을 쓰십시오" not in md

    done = grader(course, "score", LAB, "kim", "essay_2", "1.5", "--comment", "비교는 맞지만 가정(메모리, 시간)이 빠졌습니다.")
    assert "✔ kim essay_2: 1.5점" in done.stdout
    assert "에는 강사가 채점할 답이 남아 있지 않습니다" in grader(course, "pending", LAB).stdout
    assert status_line(course, "kim").split()[1] == "4.5/5"
    grader(course, "feedback", LAB, "kim")
    md = feedback_md(course, "kim")
    assert "**4.5 / 5점**" in md
    assert "| 직접 쓴 답 | 1.5/2 | 강사 채점 | 비교는 맞지만 가정(메모리, 시간)이 빠졌습니다. |" in md
    grader(course, "export")
    assert float(grades_csv(course)["kim"]["score"]) == 4.5
    with open(course / "grader/work/export/questions.csv", encoding="utf-8-sig") as f:
        q = {(r["student_id"], r["question"]): r for r in csv.DictReader(f)}
    assert q[("kim", "essay_2")]["status"] == "hand_graded" and q[("kim", "essay_2")]["needs_manual_grade"] == "False"

    assert "손으로 준 점수를 지웠습니다" in grader(course, "score", LAB, "kim", "essay_2", "--clear").stdout
    assert "kim essay_2" in grader(course, "pending", LAB).stdout and status_line(course, "kim").split()[1] == "3/5"


def test_bad_manual_scores_are_refused_in_korean(course):
    put(course, "kim", submission(course, CODE_RIGHT, ESSAY))
    grade(course)
    too_many = grader(course, "score", LAB, "kim", "essay_2", "3", ok=False)
    assert too_many.returncode == 1 and "essay_2는 2점 만점입니다" in too_many.stderr
    unknown = grader(course, "score", LAB, "kim", "essay_9", "1", ok=False)
    assert "labm에는 채점 문항 essay_9가 없습니다" in unknown.stderr and "essay_2" in unknown.stderr
    nobody = grader(course, "score", LAB, "lee", "essay_2", "1", ok=False)
    assert "lee의 labm은 아직 채점되지 않았습니다" in nobody.stderr
    neither = grader(course, "score", LAB, "kim", "essay_2", ok=False)
    assert neither.returncode == 2 and "--clear" in neither.stderr


def test_a_regrade_keeps_manual_scores_and_a_changed_answer_drops_them(course):
    from grader.manual import give

    put(course, "kim", submission(course, CODE_RIGHT, ESSAY))
    grade(course)
    give(course, LAB, "kim", "essay_2", 2, "좋습니다.")
    give(course, LAB, "kim", "check_1_3", 0.5)  # the instructor overrides an autograded cell
    grader(course, "export")
    assert float(grades_csv(course)["kim"]["score"]) == 4.5

    grade(course, "kim", force=True)  # same submission, graded again (limits, --force, rebuilt gradebook)
    assert status_line(course, "kim").split()[1] == "4.5/5"
    grader(course, "export")
    assert float(grades_csv(course)["kim"]["score"]) == 4.5
    grader(course, "feedback", LAB, "kim")
    assert "| 3점" not in feedback_md(course, "kim") and "-/1" not in feedback_md(course, "kim")

    # A resubmission with another essay: the old essay score does not carry over.
    put(course, "kim", submission(course, CODE_RIGHT, ESSAY + " 메모리와 시간 가정이 없습니다."), "2026-12-02 10:00:00")
    grade(course, "kim")
    line = status_line(course, "kim")
    assert line.split()[1] == "3/5" and "강사 채점 대기 1개" in line  # 1-3 override was for the old code too
    grader(course, "export")
    assert float(grades_csv(course)["kim"]["score"]) == 3
    assert "kim essay_2" in grader(course, "pending", LAB).stdout


def test_scores_typed_into_formgrader_are_taken_over(course):
    from nbgrader.api import Gradebook

    from grader.gradebook import db_url

    put(course, "kim", submission(course, CODE_RIGHT, ESSAY))
    grade(course)
    with Gradebook(db_url(course), "serverless-workshop") as gb:  # what formgrader's PUT /api/grade does
        g = gb.find_grade("essay_2", LAB, LAB, "kim")
        g.manual_score, g.needs_manual_grade = 1.0, False
        gb.find_comment("essay_2", LAB, LAB, "kim").manual_comment = "formgrader에서 쓴 의견"
        gb.db.commit()
    assert "kim essay_2" not in grader(course, "pending", LAB).stdout
    assert status_line(course, "kim").split()[1] == "4/5"
    grade(course, "kim", force=True)
    assert status_line(course, "kim").split()[1] == "4/5"
    grader(course, "feedback", LAB, "kim")
    assert "| 1/2 | 강사 채점 | formgrader에서 쓴 의견 |" in feedback_md(course, "kim")


def test_nbgraders_generate_feedback_writes_the_safe_page(course):
    from grader.config import nbgrader_api

    put(course, "kim", submission(course, CODE_WRONG, ESSAY))
    grade(course)
    result = nbgrader_api(course).generate_feedback(LAB, "kim", force=True)  # formgrader's "Generate Feedback"
    assert result["success"], result.get("log")
    folder = course / "grader/work/feedback/kim" / LAB
    page = (folder / f"{LAB}.html").read_text(encoding="utf-8")
    assert "BEGIN HIDDEN TESTS" not in page and "request_cost(200_000_000)" not in page
    assert "labm 채점 결과" in page and "1-3 2억 건" in page
    assert (folder / "feedback.md").exists()
