"""Export grades as CSV: nbgrader's own columns, and a per-question breakdown.

`grades.csv` has exactly the columns and rows of `nbgrader export` (one row per student and
lab, 0 for a missing submission), written with the csv module in UTF-8 with a BOM so names
with commas stay in one field and Korean opens correctly in a spreadsheet.
`questions.csv` has one row per student, lab and graded cell.
"""
from __future__ import annotations

import csv
from pathlib import Path

from .config import COURSE_ID, ROOT, lab_ids
from .gradebook import db_url
from .results import ResultStore

NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                    "raw_score", "late_submission_penalty", "score", "max_score"]
# After nbgrader's columns: `late` (True/False; empty without a submission), from grader/grading.toml.
GRADES_COLUMNS = NBGRADER_COLUMNS + ["late"]
QUESTION_COLUMNS = ["assignment", "student_id", "notebook", "question", "label", "hidden", "score",
                    "max_score", "status", "needs_manual_grade"]


def _text(value) -> str:
    return "" if value is None else str(value)


def export(out_dir: Path, root: Path = ROOT, labs: list[str] | None = None) -> tuple[Path, Path]:
    """Write `grades.csv` and `questions.csv` into `out_dir`; return their paths."""
    from nbgrader.api import Gradebook, MissingEntry

    from .final import standing, sync
    from .late import load_policy

    policy = load_policy(root)
    for lab in lab_ids(root) if Path(root, "solutions").is_dir() else []:
        if not labs or lab in labs:
            sync(root, lab)  # manual scores, due date and late penalty as grader/grading.toml says now
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    grades_path, questions_path = out_dir / "grades.csv", out_dir / "questions.csv"
    store = ResultStore(root)
    with Gradebook(db_url(root), COURSE_ID) as gb, \
            open(grades_path, "w", newline="", encoding="utf-8-sig") as gf, \
            open(questions_path, "w", newline="", encoding="utf-8-sig") as qf:
        grades = csv.writer(gf)
        questions = csv.writer(qf)
        grades.writerow(GRADES_COLUMNS)
        questions.writerow(QUESTION_COLUMNS)
        for assignment in gb.assignments:
            if labs and assignment.name not in labs:
                continue
            for student in gb.students:
                row = {"assignment": assignment.name, "duedate": assignment.duedate, "student_id": student.id,
                       "last_name": student.last_name, "first_name": student.first_name,
                       "email": student.email, "max_score": assignment.max_score}
                try:
                    sub = gb.find_submission(assignment.name, student.id)
                except MissingEntry:
                    row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0, late="")
                    grades.writerow([_text(row[k]) for k in GRADES_COLUMNS])
                    continue
                penalty = sub.late_submission_penalty
                outcome = store.load(assignment.name, student.id)
                view = standing(root, outcome, policy) if outcome and outcome.status != "error" else None
                row.update(timestamp=sub.timestamp, raw_score=sub.score, late_submission_penalty=penalty,
                           score=max(0.0, sub.score - penalty), late=view.lateness.late if view else "")
                grades.writerow([_text(row[k]) for k in GRADES_COLUMNS])
                detail = {c.grade_id: c for c in view.outcome.cells} if view else {}
                for nb in sub.notebooks:
                    for g in sorted(nb.grades, key=lambda g: g.name):
                        cell = detail.get(g.name)
                        questions.writerow([assignment.name, student.id, nb.name, g.name,
                                            cell.label if cell else "", _text(cell.hidden if cell else ""),
                                            _text(g.score), _text(g.max_score), cell.status if cell else "",
                                            _text(g.needs_manual_grade)])
    return grades_path, questions_path
