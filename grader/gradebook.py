"""The course gradebook: snapshot it for the workers, merge their results back.

Only the trusted parent process writes the real gradebook, one outcome at a time as each grade
finishes, so a crash or Ctrl-C loses no finished grade.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import tzinfo
from pathlib import Path
from typing import Iterator

from labkit.korean import josa

from .config import COURSE_ID, WORK_DIR, alembic_on_path
from .hints import command
from .results import ERROR, Outcome, ResultStore


class GradebookError(Exception):
    """The gradebook is missing what grading needs, or is damaged; the message is Korean."""


def db_path(root: Path) -> Path:
    return Path(root) / WORK_DIR / "gradebook.db"


def db_url(root: Path) -> str:
    return f"sqlite:///{db_path(root)}"


def damaged(root: Path, reason: str) -> GradebookError:
    """The error for a gradebook SQLite cannot read, with the two ways back that work."""
    path = db_path(root)
    return GradebookError(
        f"성적부({path})가 손상되어 읽을 수 없습니다 ({reason.strip().splitlines()[0][:120]}).\n"
        "       백업이 있으면 그 파일로 바꾸십시오. 백업이 없으면 손상된 파일을 옮겨 두고 성적부를 새로 만듭니다:\n"
        f"         mv {path} {path}.damaged\n"
        f"         {command('release', root)}\n"
        f"         {command('autograde <실습>', root)}   (저장된 채점 결과를 새 성적부에 다시 넣습니다)\n"
        "       formgrader에서 손으로 준 점수는 새 성적부에 없으니 다시 입력해야 합니다.")


def check(root: Path) -> None:
    """Refuse a damaged gradebook before anything reads or rebuilds on top of it (no file: fine)."""
    path = db_path(root)
    if not path.exists():
        return
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as con:
            row = con.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise damaged(root, str(exc)) from None
    if not row or row[0] != "ok":
        raise damaged(root, str(row[0] if row else "quick_check"))


@contextmanager
def opened(root: Path, verify: bool = True) -> Iterator:
    """nbgrader's `Gradebook` on the course gradebook; SQLite's errors become a Korean `GradebookError`.

    `verify` runs SQLite's quick check first; the merge after each grade skips it (the batch
    checked the gradebook when it started).
    """
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import DatabaseError

    if verify:
        check(root)
    alembic_on_path()  # a first open creates the gradebook
    db_path(root).parent.mkdir(parents=True, exist_ok=True)
    try:
        with Gradebook(db_url(root), COURSE_ID) as gb:
            yield gb
    except DatabaseError as exc:
        raise damaged(root, str(exc.orig or exc)) from None


def require_lab(root: Path, lab: str) -> None:
    """The gradebook exists and has `lab` (what `release` puts there)."""
    from nbgrader.api import MissingEntry

    src = db_path(root)
    if not src.exists():
        raise GradebookError(f"성적부({src})가 없습니다. 먼저 {command(f'release {lab}', root)} 를 실행하십시오.")
    with opened(root) as gb:
        try:
            gb.find_assignment(lab)
        except MissingEntry:
            raise GradebookError(f"성적부에 {josa(lab, '이')} 없습니다. "
                                 f"먼저 {command(f'release {lab}', root)} 를 실행하십시오.") from None


def recorded(root: Path, lab: str) -> set[str]:
    """Students with a submission of `lab` in the gradebook (none when `lab` is not there)."""
    from nbgrader.api import MissingEntry

    if not db_path(root).exists():
        return set()
    with opened(root) as gb:
        try:
            return {sub.student.id for sub in gb.find_assignment(lab).submissions}
        except MissingEntry:
            return set()


def unrecorded_results(root: Path, lab: str) -> list[Outcome]:
    """Saved grades (`results/`) of current submissions that the gradebook does not have.

    This is what a lost or rebuilt gradebook looks like: the fingerprints still match, so
    `autograde` alone would skip them and the export would leave them out.
    """
    submitted = Path(root) / WORK_DIR / "submitted"
    have = recorded(root, lab)
    return [o for o in ResultStore(root).all(lab)
            if o.status != ERROR and o.student not in have and (submitted / o.student / lab).is_dir()]


def restore(root: Path, lab: str) -> list[str]:
    """Put saved grades the gradebook lost back into it; return those students.

    A saved grade whose submission or lab source has changed since is graded again by the
    autograde that follows (its fingerprint no longer matches), so restoring it first is safe.
    """
    lost = unrecorded_results(root, lab)
    if lost:
        require_lab(root, lab)
    for outcome in lost:
        merge(root, outcome)
    return [o.student for o in lost]


def snapshot(root: Path, dest: Path, lab: str) -> Path:
    """Copy the gradebook consistently (SQLite's backup API) for the workers to start from."""
    src = db_path(root)
    require_lab(root, lab)
    with sqlite3.connect(src) as s, sqlite3.connect(dest) as d:
        s.backup(d)
    return dest


def name_students(root: Path, people: dict[str, tuple[str, str, str]], *, overwrite: bool) -> tuple[list[str], list[str]]:
    """Add or name students: id -> (last name, first name, email); return (added, renamed).

    Without `overwrite` only empty fields are filled (names read from LMS file names never
    replace a roster's).
    """
    from nbgrader.api import MissingEntry

    added, renamed = [], []
    with opened(root) as gb:
        for sid, (last, first, email) in people.items():
            try:
                student = gb.find_student(sid)
            except MissingEntry:
                gb.add_student(sid, last_name=last or None, first_name=first or None, email=email or None)
                added.append(sid)
                continue
            changed = False
            for attr, value in (("last_name", last), ("first_name", first), ("email", email)):
                if value and (overwrite or not getattr(student, attr)) and getattr(student, attr) != value:
                    setattr(student, attr, value)
                    changed = True
            if changed:
                renamed.append(sid)
        gb.db.commit()
    return added, renamed


def forget(root: Path, lab: str, student: str) -> None:
    """Remove `student`'s submission of `lab` from the gradebook (a folder imported under a wrong id)."""
    from nbgrader.api import MissingEntry

    if not db_path(root).exists():
        return
    with opened(root) as gb:
        try:
            gb.remove_submission(lab, student)
        except MissingEntry:
            return
        s = gb.find_student(student)
        if not s.submissions and not (s.first_name or s.last_name or s.email):
            gb.remove_student(student)


def merge(root: Path, outcome: Outcome, tz: tzinfo | None = None) -> None:
    """Write `outcome`'s automatic scores into the course gradebook; manual scores are kept.

    The submission time is the one the late penalty uses (`late.submitted_at`, naive times in the
    course's `tz`), not nbgrader's own reading, which takes a naive time as UTC. A refused file
    (empty, broken JSON) was never given to nbgrader: without this it looked like no submission.
    """
    from .late import gradebook_time, load_policy, submitted_at

    tz = tz or load_policy(root).tz
    stamp = gradebook_time(submitted_at(root, outcome.lab, outcome.student, outcome.timestamp, tz))
    outcome.timestamp = stamp.isoformat() if stamp else None
    with opened(root, verify=False) as gb:
        gb.update_or_create_student(outcome.student)
        kwargs = {"timestamp": stamp} if stamp else {}
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
    out: dict[str, dict[str, float | None]] = {}
    with opened(root) as gb:
        for sub in gb.find_assignment(lab).submissions:
            cells = out.setdefault(sub.student.id, {})
            for nb in sub.notebooks:
                for g in nb.grades:
                    cells[g.name] = g.score
    return out
