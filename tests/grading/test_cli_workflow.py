"""The instructor's workflow through the command line: zip in, grades, feedback and CSV out."""
from __future__ import annotations

import csv
import subprocess
import sys
import zipfile

import nbformat
import pytest

from grader.export import GRADES_COLUMNS, NBGRADER_COLUMNS

from .helpers import answered, hidden_test_lines, partial_answers, release_notebook, solution_answers

STDERR_ANSWERS = dict(solution_answers(), task2_solution=solution_answers()["task2_solution"].replace(
    "def read_text(bucket, key):\n", "def read_text(bucket, key):\n    import sys\n    print('경고: 느린 경로입니다', file=sys.stderr)\n"))


def grader(course, *args, ok=True):
    proc = subprocess.run([sys.executable, "-m", "grader", "--root", str(course), *args],
                          capture_output=True, text=True, timeout=600)
    if ok:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def workflow(released_lab00, tmp_path_factory):
    import shutil

    course = tmp_path_factory.mktemp("cli") / "course"
    shutil.copytree(released_lab00, course)
    archive = course.parent / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("full_1.ipynb", nbformat.writes(answered(course)))
        zf.writestr("partial_2.ipynb", nbformat.writes(answered(course, partial_answers())))
        zf.writestr("noisy_3.ipynb", nbformat.writes(answered(course, STDERR_ANSWERS)))
        zf.writestr("blank_4.ipynb", nbformat.writes(release_notebook(course)))
        zf.writestr("broken_5.ipynb", "{oops")
    runs = {
        "collect": grader(course, "collect", "lab00", "--zip", str(archive)),
        "autograde": grader(course, "autograde", "lab00", "--cell-timeout", "20", "--quiet"),
        "again": grader(course, "autograde", "lab00", "--cell-timeout", "20", "--quiet"),
        "feedback": grader(course, "feedback", "lab00"),
        "export": grader(course, "export"),
        "status": grader(course, "status", "lab00"),
    }
    return course, runs


def feedback(course, student, kind="html"):
    name = "lab00.html" if kind == "html" else "feedback.md"
    return (course / "grader/work/feedback" / student / "lab00" / name).read_text(encoding="utf-8")


def test_collect_then_autograde_reports_in_korean(workflow):
    _, runs = workflow
    assert "5명의 제출물을 가져왔습니다" in runs["collect"].stdout
    assert "✔ 5개를" in runs["autograde"].stdout and "bubblewrap" in runs["autograde"].stdout
    assert "이미 채점했고 바뀌지 않은 제출물 5개는 건너뛰었습니다" in runs["again"].stdout


def test_export_has_nbgraders_columns_and_a_question_breakdown(workflow):
    course, _ = workflow
    with open(course / "grader/work/export/grades.csv", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0] == GRADES_COLUMNS and rows[0][:len(NBGRADER_COLUMNS)] == NBGRADER_COLUMNS  # + late
    score = {r[3]: (float(r[7]), float(r[9]), float(r[10])) for r in rows[1:]}
    assert score == {"full": (7, 7, 7), "partial": (3, 3, 7), "noisy": (7, 7, 7), "blank": (0, 0, 7), "broken": (0, 0, 7)}
    with open(course / "grader/work/export/questions.csv", encoding="utf-8-sig") as f:
        questions = list(csv.DictReader(f))
    assert len(questions) == 5 * 7
    q = {(r["student_id"], r["question"]): r for r in questions}
    assert q[("partial", "check_2_1")]["score"] == "0.0" and q[("partial", "check_3_1")]["score"] == "1.0"
    assert q[("partial", "check_3_3")]["hidden"] == "True" and q[("partial", "check_3_3")]["label"] == "3-3 1,000개 넘는 목록"


def test_warnings_on_stderr_cost_no_points(workflow):
    course, _ = workflow
    page = feedback(course, "noisy")
    assert "7 / 7점" in page and "경고(stderr)" in page


def test_feedback_shows_each_question_and_the_checks_own_message(workflow):
    course, _ = workflow
    page = feedback(course, "partial")
    assert "3 / 7점" in page
    assert "read_text는 문자열(str)을 돌려주어야 하는데 bytes 값을 돌려주었습니다." in page  # visible check
    assert "다른 버킷, 한글과 공백이 든 키, 여러 줄의 내용도 그대로 읽어야 합니다." in page    # hidden check
    assert page.count("<tr>") == 8  # header + 7 questions
    assert "JSON이" in feedback(course, "broken") and "0 / 7점" in feedback(course, "broken")


@pytest.mark.parametrize("kind", ["html", "md"])
def test_feedback_never_shows_hidden_test_source_or_tracebacks(workflow, kind):
    course, _ = workflow
    for student in ("full", "partial", "noisy", "blank", "broken"):
        page = feedback(course, student, kind)
        assert "Traceback" not in page and 'File "' not in page and "BEGIN HIDDEN" not in page
        for line in hidden_test_lines():
            assert line not in page, (student, line)


def test_status_lists_every_student(workflow):
    _, runs = workflow
    out = runs["status"].stdout
    assert "broken" in out and "채점 불가(0점)" in out and "partial" in out and "3/7" in out


def test_cli_errors_are_korean_and_say_what_to_do(workflow):
    course, _ = workflow
    bad = grader(course, "autograde", "lab99", ok=False)
    assert bad.returncode == 2 and "solutions/에 없는 실습입니다: lab99" in bad.stderr
    usage = grader(course, "autograde", ok=False)
    assert usage.returncode == 2 and "다음 인자가 필요합니다" in usage.stderr
