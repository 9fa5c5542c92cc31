"""lab00 through nbgrader end to end: full marks, zero, partial credit, and a clean release."""
from __future__ import annotations

from pathlib import Path

import nbformat

from grader.autograde import autograde, submit
from grader.config import ROOT

from .helpers import PARTIAL_SCORES, answered, partial_answers

SOLUTION = ROOT / "solutions" / "lab00" / "lab00.ipynb"


def student_notebook(course: Path, tmp_path: Path, answers: dict[str, str], name: str) -> Path:
    """The released notebook with some solution cells filled in, as a student would."""
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(answered(course, answers), path)
    return path


def grade(course: Path, student: str, notebook: Path):
    submit("lab00", student, notebook, course)
    return autograde("lab00", student, course)


def test_solution_notebook_scores_full_marks(lab00_course):
    result = grade(lab00_course, "solution", SOLUTION)
    assert result.max_score == 7
    assert result.score == result.max_score, result.per_cell


def test_untouched_release_scores_zero_and_still_grades(lab00_course):
    result = grade(lab00_course, "untouched", lab00_course / "labs" / "lab00" / "lab00.ipynb")
    assert result.score == 0
    assert len(result.per_cell) == 7


def test_partly_right_submission_gets_partial_credit(lab00_course, tmp_path):
    answers = partial_answers()  # task 1 right, task 2 returns bytes, task 3 ignores pagination
    result = grade(lab00_course, "partial", student_notebook(lab00_course, tmp_path, answers, "partial"))
    scores = {cell: score for cell, (score, _) in result.per_cell.items()}
    assert scores == PARTIAL_SCORES
    assert result.score == 3


def test_bucket_in_wrong_region_fails_only_the_hidden_region_check(lab00_course, tmp_path):
    answers = {
        "task1_solution": (
            'boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)'
        ),
    }
    result = grade(lab00_course, "wrong-region", student_notebook(lab00_course, tmp_path, answers, "region"))
    assert result.per_cell["check_1_1"][0] == 1
    assert result.per_cell["check_1_2"][0] == 0


NO_PAGINATION = ('def list_keys(bucket, prefix=""):\n'
                 '    resp = s3.list_objects_v2(Bucket=bucket, Prefix=prefix{extra})\n'
                 '    return sorted(o["Key"] for o in resp.get("Contents", []))')
MANUAL_PAGES = ('def list_keys(bucket, prefix=""):\n'
                '    keys, more = [], {}\n'
                '    while True:\n'
                '        resp = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, **more)\n'
                '        keys += [o["Key"] for o in resp.get("Contents", [])]\n'
                '        if not resp.get("IsTruncated"):\n'
                '            return sorted(keys)\n'
                '        more = {"ContinuationToken": resp["NextContinuationToken"]}')
CHEAT = "check = lambda *args, **kwargs: None\nattempt = lambda *args, **kwargs: None"


def test_hidden_pagination_test_fails_every_answer_that_reads_one_page(fresh_course):
    # 3-3 uses 25 objects and pages of 10 (not 1,005 objects and pages of 1,000): an answer
    # that reads one page must still fail it, even one asking for more keys than a page holds.
    from grader.batch import autograde_all
    from grader.config import Limits

    from .helpers import put, solution_answers

    answers = {
        "one_page": NO_PAGINATION.format(extra=""),
        "one_big_page": NO_PAGINATION.format(extra=", MaxKeys=5000"),
        "own_client": NO_PAGINATION.format(extra="").replace("s3.list", 'boto3.client("s3", region_name=REGION).list'),
        "manual_pages": MANUAL_PAGES,
    }
    for student, task3 in answers.items():
        put(fresh_course, student, answered(fresh_course, {**solution_answers(), "task3_solution": task3}))
    report = autograde_all("lab00", fresh_course, jobs=2, limits=Limits(cell_timeout=20, notebook_timeout=90),
                           progress=False)
    got = {o.student: {c.grade_id: c.score for c in o.cells if c.grade_id.startswith("check_3")} for o in report.graded}
    for student in ("one_page", "one_big_page", "own_client"):
        assert got[student] == {"check_3_1": 1, "check_3_2": 1, "check_3_3": 0}, student
    assert got["manual_pages"] == {"check_3_1": 1, "check_3_2": 1, "check_3_3": 1}


def test_redefining_the_check_functions_passes_no_test(lab00_course, tmp_path):
    # An answer cell that replaces check() and attempt() with functions that never fail: the
    # test cells import them again, so nothing passes that the real checks would fail.
    nb = answered(lab00_course, {"task1_solution": CHEAT, "task2_solution": "pass", "task3_solution": "pass"})
    path = tmp_path / "cheat.ipynb"
    nbformat.write(nb, path)
    result = grade(lab00_course, "cheat", path)
    assert result.score == 0, result.per_cell
    assert result.outcome.flagged  # and the instructor is told to look
    graded = nbformat.read(lab00_course / "grader/work/autograded/cheat/lab00/lab00.ipynb", as_version=4)
    assert not any("채점기: 점검 함수" in c.source for c in graded.cells)  # the graded notebook shows cells as written
