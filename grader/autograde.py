"""Autograde one submission: the small API that tests and the pre-flight check use.

`submit` places a notebook where nbgrader's collect would; `autograde` grades it through the
same sandboxed pipeline as `python -m grader autograde` (grader.batch) and returns its scores.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .batch import autograde_all
from .config import ROOT, Limits, course_config
from .results import ERROR, Outcome


@dataclass
class Grade:
    student: str
    lab: str
    score: float
    max_score: float
    per_cell: dict[str, tuple[float, float]] = field(default_factory=dict)  # grade_id -> (score, max)
    outcome: Outcome | None = None


class GradingError(Exception):
    """The grader could not grade a submission; the message is Korean."""


def submit(lab: str, student: str, notebook: Path, root: Path = ROOT) -> Path:
    """Place `notebook` as `student`'s submission of `lab` (what nbgrader's collect does)."""
    config = course_config(root)
    dest = Path(root) / config.CourseDirectory.submitted_directory / student / lab
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"{lab}.ipynb"
    shutil.copyfile(notebook, target)
    return target


def autograde(lab: str, student: str, root: Path = ROOT, *, limits: Limits | None = None,
              backend: str | None = None) -> Grade:
    """Grade `student`'s submission of `lab` now (even if graded before) and return its scores."""
    report = autograde_all(lab, root, students=[student], jobs=1, force=True, limits=limits,
                           backend=backend, progress=False)
    outcome = report.graded[0]
    if outcome.status == ERROR:
        raise GradingError(f"{student}의 {lab} 제출물을 채점하지 못했습니다.\n{outcome.error[-1500:]}")
    per_cell = {c.grade_id: (c.score, c.points) for c in outcome.cells}
    return Grade(student, lab, outcome.score, outcome.max_score, per_cell, outcome)
