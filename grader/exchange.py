"""Where nbgrader's exchange lives, who may read what, and proof that a collected file is unchanged.

The exchange is the one folder students write to. It used to sit inside the course
(`grader/work/exchange`), so students had to pass through the instructor's folder, and with the
usual umask they could read `solutions/` (the hidden tests), the gradebook and everyone's
feedback. Now:

- The exchange is outside the course: `$COURSE_EXCHANGE` if set; else nbgrader's documented
  shared location `/srv/nbgrader/exchange` where it exists or can be made (a shared server, set
  up by root); else a folder of the instructor's own (`~/.local/share/nbgrader/exchange`, a
  laptop, where the instructor is the only user). Its root is world-writable as nbgrader's docs
  require, with the sticky bit so no one can rename or remove another's folders; nbgrader
  itself makes `inbound/` write-only (733) and `feedback/` pass-through (711) for students.
- The course's own working folder `grader/work` (gradebook, submissions, results, feedback) and
  `solutions/` are the instructor's alone (0700), and every collected submission is 0700/0600:
  nbgrader's collect copies the mode of the inbound folder, which is 0777.
- At collect a digest of each submission is recorded under `grader/work/collected/`; autograde
  checks it and flags a submission that changed after it was collected (`changed_since_collect`).
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from .config import SOURCE_DIR, WORK_DIR

SHARED_EXCHANGE = Path("/srv/nbgrader/exchange")
ENV = "COURSE_EXCHANGE"
# World-writable like nbgrader's docs say (`chmod ugo+rw`), plus the sticky bit of /tmp.
EXCHANGE_MODE = 0o1777
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def exchange_root() -> Path:
    """The exchange folder this course uses (see the module docstring for the order)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser().absolute()
    if SHARED_EXCHANGE.is_dir() or _can_make(SHARED_EXCHANGE):
        return SHARED_EXCHANGE
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data / "nbgrader" / "exchange"


def _can_make(path: Path) -> bool:
    for parent in path.parents:
        if parent.exists():
            return os.access(parent, os.W_OK | os.X_OK)
    return False


def prepare_exchange(root: Path | None = None) -> Path:
    """Create the exchange root if needed, with the permissions nbgrader expects; return it."""
    root = Path(root or exchange_root())
    if not root.is_dir():
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, EXCHANGE_MODE)
    elif root.stat().st_uid == os.geteuid() and stat.S_IMODE(root.stat().st_mode) != EXCHANGE_MODE:
        os.chmod(root, EXCHANGE_MODE)
    return root


def protect_course(course: Path) -> None:
    """Make what only the instructor may read private: `grader/work` and `solutions/`."""
    for folder in (Path(course) / WORK_DIR, Path(course) / SOURCE_DIR):
        if folder.is_dir() and folder.stat().st_uid == os.geteuid():
            os.chmod(folder, PRIVATE_DIR)


def make_private_tree(folder: Path) -> None:
    """Owner-only modes for a collected submission (folders 0700, files 0600), no symlink followed."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        os.chmod(path, PRIVATE_DIR if path.is_dir() else PRIVATE_FILE)


def digest(folder: Path) -> str:
    """A digest of every file's name and content under `folder`."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
        h.update(str(path.relative_to(folder)).encode() + b"\0")
        h.update(b"L" + os.readlink(path).encode() if path.is_symlink() else hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _record_path(course: Path, lab: str, student: str) -> Path:
    return Path(course) / WORK_DIR / "collected" / lab / f"{student}.json"


def record_collected(course: Path, lab: str, student: str) -> None:
    """Secure a freshly collected submission and remember its digest."""
    folder = Path(course) / WORK_DIR / "submitted" / student / lab
    make_private_tree(folder)
    record = _record_path(course, lab, student)
    record.parent.mkdir(parents=True, exist_ok=True)
    tmp = record.with_suffix(".tmp")
    tmp.write_text(json.dumps({"digest": digest(folder)}), encoding="utf-8")
    os.chmod(tmp, PRIVATE_FILE)
    os.replace(tmp, record)


def changed_since_collect(course: Path, lab: str, student: str) -> str | None:
    """A Korean message if the submission differs from what was collected; None if same or never recorded."""
    record = _record_path(course, lab, student)
    if not record.is_file():
        return None  # placed by hand or by an older grader: nothing to compare with
    folder = Path(course) / WORK_DIR / "submitted" / student / lab
    try:
        expected = json.loads(record.read_text(encoding="utf-8")).get("digest")
    except (OSError, ValueError):
        expected = None
    if folder.is_dir() and expected == digest(folder):
        return None
    return (f"{student}의 {lab} 제출물이 모은(collect) 뒤에 바뀌었습니다. 누가 바꿨는지 확인하고, "
            f"학생이 낸 파일로 다시 채점하려면 collect 를 다시 실행하십시오.")


def student_config(course_id: str, root: Path | None = None) -> str:
    """The `~/.jupyter/nbgrader_config.py` a student needs to reach this exchange."""
    return ("c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {course_id!r}\n"
            f"c.Exchange.root = {str(root or exchange_root())!r}\n")


def unrunnable_by_others(python: Path | str | None = None) -> str | None:
    """Why other accounts cannot run this interpreter (a folder on its real path they cannot enter), or None.

    A venv's `bin/python` is a link to the Python it was made from; made from a pyenv in the
    instructor's home (0700), it fails for students with "bad interpreter: Permission denied".
    """
    import sys

    real = Path(os.path.realpath(python or sys.executable))
    for folder in reversed(real.parents):
        mode = stat.S_IMODE(folder.stat().st_mode)
        if not mode & 0o001:
            return (f"다른 사용자는 이 Python({real})을 실행할 수 없습니다: {folder}의 권한이 {mode:o}입니다. "
                    "학생 계정에서 nbgrader를 쓰려면 모두가 실행할 수 있는 Python으로 .venv를 다시 만드십시오 "
                    "(rm -rf .venv 후 COURSE_PYTHON=<Python 3.11.5 이상의 경로> ./course test tests/labkit -q). "
                    "학생용 nbgrader를 따로 설치해도 됩니다 (강사 가이드의 \"교환 폴더와 권한\").")
    if not stat.S_IMODE(real.stat().st_mode) & 0o001:
        return f"다른 사용자는 이 Python({real})을 실행할 수 없습니다: 실행 권한이 없습니다."
    return None


if __name__ == "__main__":  # python -m grader.exchange: the student's config for this machine
    import sys

    from .config import COURSE_ID

    print(student_config(COURSE_ID), end="")
    problem = unrunnable_by_others()
    if problem:
        print(f"[주의] {problem}", file=sys.stderr)
