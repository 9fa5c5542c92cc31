"""The course gradebook: snapshot it for the workers, merge their results back.

Only the trusted parent process writes the real gradebook, one outcome at a time as each grade
finishes, so a crash or Ctrl-C loses no finished grade.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from .config import COURSE_ID, WORK_DIR
from .results import Outcome


class GradebookError(Exception):
    """The gradebook is missing what grading needs; the message is Korean."""


def db_path(root: Path) -> Path:
    return Path(root) / WORK_DIR / "gradebook.db"


def db_url(root: Path) -> str:
    return f"sqlite:///{db_path(root)}"


def snapshot(root: Path, dest: Path, lab: str) -> Path:
    """Copy the gradebook consistently (SQLite's backup API) for the workers to start from."""
    from nbgrader.api import Gradebook, MissingEntry

    src = db_path(root)
    if not src.exists():
        raise GradebookError(f"성적부({src})가 없습니다. 먼저 python -m grader release {lab} 를 실행하십시오.")
    with Gradebook(db_url(root), COURSE_ID) as gb:
        try:
            gb.find_assignment(lab)
        except MissingEntry:
            raise GradebookError(f"성적부에 {lab}이(가) 없습니다. 먼저 python -m grader release {lab} 를 실행하십시오.") from None
    with sqlite3.connect(src) as s, sqlite3.connect(dest) as d:
        s.backup(d)
    return dest


def merge(root: Path, outcome: Outcome) -> None:
    """Write `outcome`'s automatic scores into the course gradebook; manual scores are kept."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url(root), COURSE_ID) as gb:
        gb.update_or_create_student(outcome.student)
        kwargs = {}
        if outcome.timestamp:
            kwargs["timestamp"] = datetime.fromisoformat(outcome.timestamp)
        sub = gb.update_or_create_submission(outcome.lab, outcome.student, **kwargs)
        for nb in sub.notebooks:
            record = outcome.gradebook.get(nb.name, {})
            grades = record.get("grades", {})
            for grade in nb.grades:
                g = grades.get(grade.name)
                if g is None:  # refused or missing notebook: 0, as nbgrader does
                    grade.auto_score, grade.needs_manual_grade = 0, False
                else:
                    grade.auto_score, grade.needs_manual_grade = g["auto_score"], g["needs_manual_grade"]
            nb.flagged = bool(outcome.flagged)
            if record.get("late_penalty") is not None:
                nb.late_submission_penalty = record["late_penalty"]
        gb.db.commit()


def scores(root: Path, lab: str) -> dict[str, dict[str, float | None]]:
    """student -> grade_id -> score (manual score if given, else automatic), from the gradebook."""
    from nbgrader.api import Gradebook

    out: dict[str, dict[str, float | None]] = {}
    with Gradebook(db_url(root), COURSE_ID) as gb:
        for sub in gb.find_assignment(lab).submissions:
            cells = out.setdefault(sub.student.id, {})
            for nb in sub.notebooks:
                for g in nb.grades:
                    cells[g.name] = g.score
    return out
