"""Autograde: run submitted notebooks through nbgrader and read the scores from the gradebook.

This is the plain sequential path on top of nbgrader's API; the parallel, sandboxed grader
builds on it.
"""
from __future__ import annotations

import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .config import ROOT, course_config, nbgrader_api


@dataclass
class Grade:
    student: str
    lab: str
    score: float
    max_score: float
    per_cell: dict[str, tuple[float, float]] = field(default_factory=dict)  # grade_id -> (score, max)


class GradingError(Exception):
    """nbgrader could not grade a submission; the message is Korean."""


def submit(lab: str, student: str, notebook: Path, root: Path = ROOT) -> Path:
    """Place `notebook` as `student`'s submission of `lab` (what nbgrader's collect does)."""
    config = course_config(root)
    dest = Path(root) / config.CourseDirectory.submitted_directory / student / lab
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"{lab}.ipynb"
    shutil.copyfile(notebook, target)
    return target


def autograde(lab: str, student: str, root: Path = ROOT) -> Grade:
    """Autograde one submission with nbgrader and return its scores per graded cell."""
    from nbgrader.api import Gradebook

    api = nbgrader_api(root)
    config = api.coursedir
    with warnings.catch_warnings():
        # nbgrader 0.9.6 on SQLAlchemy 2.1 warns about its own session use on every run.
        warnings.filterwarnings("ignore", module="nbgrader")
        result = api.autograde(lab, student, force=True, create=True)
    if not result["success"]:
        detail = (result.get("error") or result.get("log") or "").strip().splitlines()[-3:]
        raise GradingError(f"{student}의 {lab} 제출물을 채점하지 못했습니다.\n" + "\n".join(detail))
    with Gradebook(config.db_url, config.course_id) as gb:
        submission = gb.find_submission(lab, student)
        per_cell = {}
        for nb in submission.notebooks:
            for grade in nb.grades:
                per_cell[grade.name] = (grade.score, grade.max_score)
        return Grade(student, lab, submission.score, submission.max_score, per_cell)
