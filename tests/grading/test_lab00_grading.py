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
