"""Export grades as CSV: nbgrader's own columns, and a per-question breakdown.

`grades.csv` has exactly the columns and rows of `nbgrader export` (one row per student and
lab, 0 for a missing submission), written with the csv module in UTF-8 with a BOM so names
with commas stay in one field and Korean opens correctly in a spreadsheet.
`questions.csv` has one row per student, lab and graded cell.

An export that would leave out a graded or submitted student (a lost or rebuilt gradebook, a
submission not graded yet) is refused with what is missing and the command that fixes it,
unless asked for as partial: a header-only file with a ✔ once looked like a finished export.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from labkit.korean import josa

from .config import COURSE_ID, ROOT, WORK_DIR, lab_ids
from .gradebook import GradebookError, db_path, db_url, exists, is_sqlite, opened, recorded, shown_url, unrecorded_results
from .hints import command
from .results import GRADED, MANUAL_PENDING_TEXT, NOT_GRADED_TEXT, NOT_SUBMITTED_TEXT, STATUS_TEXT, ResultStore

NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                    "raw_score", "late_submission_penalty", "score", "max_score"]
# After nbgrader's columns: `late` (True/False; empty without a submission), from grader/grading.toml,
# and `status` (채점됨, 강사 채점 대기, 채점 불가(0점), 채점기 오류, 채점 전, 미제출): a partial export's
# "채점 전" row (submitted, no grade yet: its scores are empty) never reads as a 미제출 zero.
GRADES_COLUMNS = NBGRADER_COLUMNS + ["late", "status"]
QUESTION_COLUMNS = ["assignment", "student_id", "notebook", "question", "label", "hidden", "score",
                    "max_score", "status", "needs_manual_grade"]


def _text(value) -> str:
    return "" if value is None else str(value)


class ExportError(GradebookError):
    """The export would be empty or leave students out; the message is Korean and says what to run."""


def _names(students: list[str], limit: int = 5) -> str:
    more = f" 외 {len(students) - limit}명" if len(students) > limit else ""
    return ", ".join(students[:limit]) + more


def missing(root: Path = ROOT, labs: list[str] | None = None) -> list[str]:
    """What an export of `labs` (default: every lab) would leave out, one Korean line each."""
    from nbgrader.api import MissingEntry

    submitted = Path(root) / WORK_DIR / "submitted"
    with opened(root) as gb:
        in_gradebook = set()
        for lab in lab_ids(root):
            try:
                gb.find_assignment(lab)
                in_gradebook.add(lab)
            except MissingEntry:
                pass
    lines = []
    for lab in labs or lab_ids(root):
        have = sorted(p.parent.name for p in submitted.glob(f"*/{lab}") if p.is_dir()) if submitted.is_dir() else []
        if lab not in in_gradebook:
            if have:
                lines.append(f"{lab}: 제출물이 {len(have)}개 있지만 성적부에 {josa(lab, '이')} 없습니다. "
                             f"{command(f'release {lab}', root)} 다음에 {command(f'autograde {lab}', root)} 를 실행하십시오.")
            continue
        lost = sorted(o.student for o in unrecorded_results(root, lab))
        if lost:
            lines.append(f"{lab}: 채점 결과(grader/work/results/)는 있는데 성적부에 없는 학생이 {len(lost)}명 있습니다 "
                         f"({_names(lost)}). 성적부를 새로 만들었거나 잃은 것 같습니다. "
                         f"{command(f'autograde {lab}', root)} 를 실행하면 저장된 결과를 성적부에 다시 넣습니다.")
        ungraded = sorted(set(have) - recorded(root, lab) - set(lost))
        if ungraded:
            lines.append(f"{lab}: 아직 채점하지 않았거나 채점기 오류로 끝난 제출물이 {len(ungraded)}개 있습니다 "
                         f"({_names(ungraded)}). {command(f'autograde {lab}', root)} 를 실행하십시오.")
    return lines


def export(out_dir: Path, root: Path = ROOT, labs: list[str] | None = None, *,
           partial: bool = False) -> tuple[Path, Path]:
    """Write `grades.csv` and `questions.csv` into `out_dir`; return their paths.

    Raises `ExportError` (and writes nothing) when there is no gradebook, nobody to export, or
    students would be left out; with `partial`, what is missing is left out knowingly.
    """
    from nbgrader.api import MissingEntry

    if not exists(root):
        where = db_path(root) if is_sqlite(root) else shown_url(db_url(root))
        raise ExportError(f"성적부({where})가 없어 내보낼 성적이 없습니다. 먼저 "
                          f"{command('release', root)} 로 실습을 배포하고, 제출물을 모아 채점하십시오.")
    gaps = missing(root, labs)
    if gaps and not partial:
        raise ExportError("성적을 내보내지 않았습니다. 이대로 내보내면 빠지는 학생이 있습니다:\n"
                          + "\n".join(f"  - {line}" for line in gaps)
                          + "\n  빠진 채로 내보내려면 --partial 을 붙이십시오.")
    with opened(root) as gb:
        names = [a.name for a in gb.assignments if not labs or a.name in labs]
        if not names or not gb.students:
            what = "실습" if not names else "학생"
            raise ExportError(f"성적부에 내보낼 {what}이 없습니다. 실습을 배포하고({command('release', root)}) "
                              f"제출물을 모아 채점하거나({command('collect <실습>', root)}, {command('autograde <실습>', root)}) "
                              f"명단을 넣으십시오({command('roster 명단.csv', root)}).")
    from .final import standing, sync
    from .late import gradebook_time, load_policy, submitted_at

    policy = load_policy(root)
    for lab in lab_ids(root) if Path(root, "solutions").is_dir() else []:
        if not labs or lab in labs:
            sync(root, lab)  # manual scores, due date and late penalty as grader/grading.toml says now
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    grades_path, questions_path = out_dir / "grades.csv", out_dir / "questions.csv"
    store = ResultStore(root)
    submitted = Path(root) / WORK_DIR / "submitted"
    with opened(root) as gb, \
            open(grades_path, "w", newline="", encoding="utf-8-sig") as gf, \
            open(questions_path, "w", newline="", encoding="utf-8-sig") as qf:
        grades = csv.writer(gf)
        questions = csv.writer(qf)
        grades.writerow(GRADES_COLUMNS)
        questions.writerow(QUESTION_COLUMNS)
        # Sorted by lab, then student id: the gradebook's own order is insertion order.
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            if labs and assignment.name not in labs:
                continue
            known = {s.id: s for s in gb.students}
            # A partial export also lists who submitted but is in no gradebook yet (never graded).
            handed_in = {p.parent.name for p in submitted.glob(f"*/{assignment.name}") if p.is_dir()}
            for sid in sorted(set(known) | handed_in):
                student = known.get(sid)
                row = {"assignment": assignment.name, "duedate": assignment.duedate, "student_id": sid,
                       "last_name": student and student.last_name, "first_name": student and student.first_name,
                       "email": student and student.email, "max_score": assignment.max_score}
                try:
                    sub = gb.find_submission(assignment.name, sid)
                except MissingEntry:
                    if sid in handed_in:  # no score yet, which is not 0
                        row.update(timestamp="", raw_score="", late_submission_penalty="", score="", late="",
                                   status=NOT_GRADED_TEXT)
                    else:
                        row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0, late="",
                                   status=NOT_SUBMITTED_TEXT)
                    grades.writerow([_text(row[k]) for k in GRADES_COLUMNS])
                    continue
                penalty = sub.late_submission_penalty
                outcome = store.load(assignment.name, sid)
                view = standing(root, outcome, policy) if outcome and outcome.status != "error" else None
                row["status"] = (MANUAL_PENDING_TEXT if view and view.pending
                                 else STATUS_TEXT[outcome.status if outcome else GRADED])
                # The submission time as the late penalty reads it (late.read_timestamp), in nbgrader's naive UTC.
                when = submitted_at(root, assignment.name, sid,
                                    sub.timestamp.isoformat() if sub.timestamp else None, policy.tz)
                row.update(timestamp=gradebook_time(when) if when else "", raw_score=sub.score, late_submission_penalty=penalty,
                           score=max(0.0, sub.score - penalty), late=view.lateness.late if view else "")
                grades.writerow([_text(row[k]) for k in GRADES_COLUMNS])
                # A lab of several notebooks may repeat a grade id: a cell is its notebook's (older results name none).
                detail = {(c.notebook, c.grade_id): c for c in view.outcome.cells} if view else {}
                for nb in sorted(sub.notebooks, key=lambda n: n.name):  # the database gives no order
                    for g in sorted(nb.grades, key=lambda g: g.name):
                        cell = detail.get((nb.name, g.name)) or detail.get(("", g.name))
                        questions.writerow([assignment.name, sid, nb.name, g.name,
                                            cell.label if cell else "", _text(cell.hidden if cell else ""),
                                            _text(g.score), _text(g.max_score), cell.status if cell else "",
                                            _text(g.needs_manual_grade)])
    return grades_path, questions_path
