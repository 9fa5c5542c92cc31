"""Autograde one submission: the small API that tests and the pre-flight check use.

`submit` places a notebook where nbgrader's collect would; `autograde` grades it through the
same sandboxed pipeline as `python -m grader autograde` (grader.batch) and returns its scores.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .batch import autograde_all
from .config import RELEASE_DIR, ROOT, SOURCE_DIR, Limits, course_config
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


def lab_notebooks(lab: str, root: Path = ROOT) -> list[str]:
    """The names (without .ipynb) of `lab`'s notebooks: one, or several (lab02-1, lab02-2)."""
    for folder in (Path(root) / RELEASE_DIR / lab, Path(root) / SOURCE_DIR / lab):
        names = sorted(p.stem for p in folder.glob("*.ipynb"))
        if names:
            return names
    return [lab]


def submit(lab: str, student: str, notebook: Path | Sequence[Path], root: Path = ROOT) -> list[Path]:
    """Place `notebook` (one path, or one per notebook of the lab) as `student`'s submission of `lab`.

    What nbgrader's collect does. A file keeps its name when it is one of the lab's notebooks;
    a lab with a single notebook takes any one file under that notebook's name.
    """
    config = course_config(root)
    dest = Path(root) / config.CourseDirectory.submitted_directory / student / lab
    dest.mkdir(parents=True, exist_ok=True)
    names = lab_notebooks(lab, root)
    targets = []
    for path in [Path(notebook)] if isinstance(notebook, (str, Path)) else [Path(p) for p in notebook]:
        name = path.stem if path.stem in names or len(names) > 1 else names[0]
        target = dest / f"{name}.ipynb"
        shutil.copyfile(path, target)
        targets.append(target)
    return targets


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
