"""The course gradebook: snapshot it for the workers, merge their results back.

Only the trusted parent process writes the real gradebook, one outcome at a time as each grade
finishes, so a crash or Ctrl-C loses no finished grade.

The gradebook is SQLite (`grader/work/gradebook.db`) for one instructor, or a PostgreSQL
database (`gradebook_url`, `postgresql+psycopg://…`) that several graders write at once. Either
way the workers grade against a private SQLite snapshot and only this module writes the real one.
"""
from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from datetime import tzinfo
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from labkit.korean import josa

from .config import COURSE_ID, WORK_DIR, alembic_on_path, gradebook_url
from .hints import command
from .late import SETTINGS
from .results import ERROR, Outcome, ResultStore

DRIVERS = ("sqlite", "postgresql+psycopg")
EXAMPLE_URL = "postgresql+psycopg://grader@db.example.org:5432/gradebook"
T = TypeVar("T")


class GradebookError(Exception):
    """The gradebook is missing what grading needs, is damaged or cannot be reached; the message is Korean."""


def db_path(root: Path) -> Path:
    """The SQLite gradebook's file (used only when no database URL is set)."""
    return Path(root) / WORK_DIR / "gradebook.db"


def db_url(root: Path) -> str:
    return gradebook_url(root)


def is_sqlite(root: Path) -> bool:
    return db_url(root).startswith("sqlite:")


def shown_url(url: str) -> str:
    """`url` with its password hidden, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1] if "@" in url else url


def _where_set() -> str:
    return f"{SETTINGS} 의 [gradebook] url"


def check_url(root: Path) -> str:
    """The configured URL if it names a database this grader can use, else a Korean `GradebookError`."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = db_url(root)
    fix = (f"{_where_set()}을 {EXAMPLE_URL} 처럼 고치거나, "
           "혼자 채점하면 비워 두십시오 (grader/work/gradebook.db 의 SQLite를 씁니다).")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise GradebookError(f"성적부 주소를 읽지 못했습니다: {shown_url(url)!r}.\n       {fix}") from None
    if parsed.drivername == "postgresql":
        raise GradebookError(f"성적부 주소 {shown_url(url)} 에 드라이버가 없습니다. 이 과정은 psycopg 3으로 접속하니 "
                             f"postgresql:// 대신 postgresql+psycopg:// 로 시작하게 {_where_set()}을 고치십시오.")
    if parsed.drivername not in DRIVERS:
        raise GradebookError(f"성적부 주소 {shown_url(url)} 의 {josa(parsed.drivername, '은')} 쓸 수 없는 데이터베이스입니다. "
                             f"postgresql+psycopg:// 또는 sqlite:/// 만 씁니다.\n       {fix}")
    if parsed.drivername != "sqlite" and not parsed.database:
        raise GradebookError(f"성적부 주소 {shown_url(url)} 에 데이터베이스 이름이 없습니다. "
                             f"{_where_set()}의 끝에 /gradebook 처럼 이름을 붙이십시오 (예: {EXAMPLE_URL}).")
    return url


def damaged(root: Path, reason: str) -> GradebookError:
    """The error for a gradebook SQLite cannot read, with the two ways back that work."""
    if not is_sqlite(root):
        return failed(root, reason)
    path = db_path(root)
    return GradebookError(
        f"성적부({path})가 손상되어 읽을 수 없습니다 ({reason.strip().splitlines()[0][:120]}).\n"
        "       백업이 있으면 그 파일로 바꾸십시오. 백업이 없으면 손상된 파일을 옮겨 두고 성적부를 새로 만듭니다:\n"
        f"         mv {path} {path}.damaged\n"
        f"         {command('release', root)}\n"
        f"         {command('autograde <실습>', root)}   (저장된 채점 결과를 새 성적부에 다시 넣습니다)\n"
        "       formgrader에서 손으로 준 점수는 새 성적부에 없으니 다시 입력해야 합니다.")


def unreachable(root: Path, reason: str) -> GradebookError:
    """The error for a PostgreSQL gradebook that does not answer or refuses us, with what to check."""
    url = db_url(root)
    first = (reason.strip().splitlines() or [""])[0][:200]
    hint = ""
    if "does not exist" in first and "database" in first:
        hint = "       데이터베이스가 아직 없습니다. 서버에서 createdb 로 만드십시오 (예: createdb -O grader gradebook).\n"
    elif "password" in first or "authentication" in first:
        hint = ("       사용자 이름이나 비밀번호가 틀렸습니다. 주소의 사용자와, 비밀번호를 둔 ~/.pgpass "
                "(또는 PGPASSWORD)를 확인하십시오.\n")
    return GradebookError(
        f"성적부 데이터베이스({shown_url(url)})에 연결하지 못했습니다 ({first}).\n{hint}"
        "       PostgreSQL 서버가 켜져 있는지, 주소의 호스트·포트·사용자·비밀번호·데이터베이스 이름이 맞는지 확인하십시오:\n"
        f"         psql '{shown_url(url).replace('postgresql+psycopg', 'postgresql')}' -c 'select 1'\n"
        f"       주소는 {_where_set()}에 있습니다. 채점 결과(grader/work/results/)는 그대로 있으니 "
        "연결되면 다시 실행하십시오.")


def failed(root: Path, reason: str) -> GradebookError:
    """Any other database error of a PostgreSQL gradebook."""
    first = (reason.strip().splitlines() or [""])[0][:200]
    return GradebookError(
        f"성적부 데이터베이스({shown_url(db_url(root))})가 요청을 거절했습니다 ({first}).\n"
        "       이 데이터베이스를 nbgrader 말고 다른 프로그램이 쓰거나 표를 지웠는지 확인하십시오. 비어 있는 새 데이터베이스라면\n"
        f"         {command('release', root)}\n"
        f"         {command('autograde <실습>', root)}   (저장된 채점 결과를 새 성적부에 다시 넣습니다)")


def failure(root: Path, exc: BaseException) -> GradebookError:
    """The Korean error for a database exception raised while using `root`'s gradebook."""
    from sqlalchemy.exc import OperationalError

    reason = str(getattr(exc, "orig", None) or exc)
    if is_sqlite(root):
        return damaged(root, reason)
    if isinstance(exc, OperationalError) or "connection" in reason:
        return unreachable(root, reason)
    return failed(root, reason)


def exists(root: Path) -> bool:
    """Is there a gradebook yet: the SQLite file, or nbgrader's tables in the PostgreSQL database?"""
    if is_sqlite(root):
        return db_path(root).exists()
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.exc import DBAPIError

    engine = create_engine(check_url(root))
    try:
        return inspect(engine).has_table("assignment")
    except DBAPIError as exc:
        raise failure(root, exc) from None
    finally:
        engine.dispose()


def check(root: Path) -> None:
    """Refuse a damaged or unreachable gradebook before anything reads or rebuilds on top of it
    (no file, or an empty database: fine)."""
    if not is_sqlite(root):
        exists(root)  # a wrong URL or a server that does not answer says so here
        return
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
    """nbgrader's `Gradebook` on the course gradebook; database errors become a Korean `GradebookError`.

    `verify` runs SQLite's quick check (or, on PostgreSQL, connects) first; the merge after each
    grade skips it (the batch checked the gradebook when it started).
    """
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import DBAPIError

    if verify:
        check(root)
    url = check_url(root)
    alembic_on_path()  # a first open creates the gradebook
    if is_sqlite(root):
        db_path(root).parent.mkdir(parents=True, exist_ok=True)
    try:
        with Gradebook(url, COURSE_ID) as gb:
            yield gb
    except DBAPIError as exc:
        raise failure(root, exc) from None


def retrying(root: Path, write: Callable[[], T], attempts: int = 4) -> T:
    """Run `write` (one gradebook transaction), again when another grader's write got in first.

    Two graders creating the same student at once, or PostgreSQL ending one of two clashing
    transactions, is not an error of either: the loser repeats its transaction on what the
    winner wrote. SQLite serialises writers itself, so this never repeats there.
    """
    from nbgrader.api import InvalidEntry
    from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

    for attempt in range(attempts):
        try:
            return write()
        except (GradebookError, InvalidEntry) as exc:
            # nbgrader turns an IntegrityError into its own InvalidEntry; `opened` turns the rest into ours.
            cause = exc.__context__
            clash = isinstance(cause, IntegrityError) or (
                isinstance(cause, OperationalError) and ("deadlock" in str(cause) or "could not serialize" in str(cause)))
            if not clash or is_sqlite(root):
                raise
            if attempt == attempts - 1:
                raise failure(root, cause) if isinstance(cause, DBAPIError) else exc
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def require_lab(root: Path, lab: str) -> None:
    """The gradebook exists and has `lab` (what `release` puts there)."""
    from nbgrader.api import MissingEntry

    if not exists(root):
        where = db_path(root) if is_sqlite(root) else shown_url(db_url(root))
        raise GradebookError(f"성적부({where})가 없습니다. 먼저 {command(f'release {lab}', root)} 를 실행하십시오.")
    with opened(root) as gb:
        try:
            gb.find_assignment(lab)
        except MissingEntry:
            raise GradebookError(f"성적부에 {josa(lab, '이')} 없습니다. "
                                 f"먼저 {command(f'release {lab}', root)} 를 실행하십시오.") from None


def recorded(root: Path, lab: str) -> set[str]:
    """Students with a submission of `lab` in the gradebook (none when `lab` is not there)."""
    from nbgrader.api import MissingEntry

    if not exists(root):
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
    """Copy the gradebook consistently into the SQLite file `dest` for the workers to start from.

    SQLite: its backup API. PostgreSQL: nbgrader's tables, row by row, read in one
    repeatable-read transaction so another grader's write cannot land half in the copy.
    """
    require_lab(root, lab)
    if is_sqlite(root):
        with sqlite3.connect(db_path(root)) as s, sqlite3.connect(dest) as d:
            s.backup(d)
        return dest
    from nbgrader.api import Base, Gradebook
    from sqlalchemy import create_engine, insert, select
    from sqlalchemy.exc import DBAPIError

    with Gradebook(f"sqlite:///{dest}", COURSE_ID) as copy:  # nbgrader's schema and alembic stamp
        tables = Base.metadata.sorted_tables
        with copy.engine.begin() as d:
            for table in reversed(tables):
                d.execute(table.delete())
            source = create_engine(db_url(root), isolation_level="REPEATABLE READ")
            try:
                with source.begin() as s:
                    for table in tables:
                        rows = [dict(r) for r in s.execute(select(table)).mappings()]
                        if rows:
                            d.execute(insert(table), rows)
            except DBAPIError as exc:
                raise failure(root, exc) from None
            finally:
                source.dispose()
    return dest


def name_students(root: Path, people: dict[str, tuple[str, str, str]], *, overwrite: bool) -> tuple[list[str], list[str]]:
    """Add or name students: id -> (last name, first name, email); return (added, renamed).

    Without `overwrite` only empty fields are filled (names read from LMS file names never
    replace a roster's).
    """
    return retrying(root, lambda: _name_students(root, people, overwrite=overwrite))


def _name_students(root: Path, people: dict[str, tuple[str, str, str]], *, overwrite: bool) -> tuple[list[str], list[str]]:
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

    if not exists(root):
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
    retrying(root, lambda: _merge(root, outcome, stamp))


def _merge(root: Path, outcome: Outcome, stamp) -> None:
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
