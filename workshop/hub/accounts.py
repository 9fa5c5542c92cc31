"""One system account and one private home per learner, each with the labs and nbgrader's settings.

Run as root, the hub makes an account for each roster id (`useradd`, no password: learners log
in through JupyterHub only) whose home is `$COURSE_HUB_DIR/home/<id>` (0700). The account's
comment ends with MARK, so a restart recognises its own accounts and a roster id that names an
account of the machine's (root, a colleague's) is refused, never taken over. The home gets:
- `labs/<lab>/`: a copy of each released lab (`workshop.start.seed_workspace`: never
  overwritten, so a learner's answers survive restarts and a new lab shows up);
- `.jupyter/nbgrader_config.py`: the course id and exchange (`grader.exchange.student_config`),
  so the assignment list fetches into `<home>/<lab>/` and submits as this account.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from grader.config import COURSE_ID
from grader.exchange import student_config
from labkit.korean import josa
from workshop.start import seed_workspace

from .room import Room
from .roster import HubRosterError, Learner

MARK = "(course-hub)"
SHELL = "/bin/bash"


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def foreign_accounts(learners: list[Learner]) -> list[str]:
    """Korean lines for roster ids that are accounts of this machine the hub did not make."""
    found = []
    for person in learners:
        try:
            entry = pwd.getpwnam(person.id)
        except KeyError:
            continue
        if not entry.pw_gecos.endswith(MARK):
            found.append(f"       {person.line}번째 줄: ID {josa(person.id, '은')} 이 컴퓨터에 이미 있는 계정입니다 "
                         f"(uid {entry.pw_uid}). 다른 ID를 쓰십시오.")
    return found


def check_accounts(learners: list[Learner]) -> None:
    problems = foreign_accounts(learners)
    if problems:
        raise HubRosterError("명단의 ID가 이 컴퓨터의 다른 계정과 겹칩니다. 허브는 그 계정을 쓰지 않습니다.\n" + "\n".join(problems))


def ensure_account(person: Learner, home: Path) -> pwd.struct_passwd:
    """The learner's system account (made if missing), its home at `home`."""
    try:
        return pwd.getpwnam(person.id)
    except KeyError:
        pass
    comment = f"{person.name} {MARK}".strip().replace(",", " ").replace(":", " ")
    done = subprocess.run(["useradd", "--no-create-home", "--home-dir", str(home), "--shell", SHELL,
                           "--user-group", "--comment", comment, person.id], capture_output=True, text=True)
    if done.returncode != 0:
        raise HubRosterError(f"{person.line}번째 줄의 {person.id} 계정을 만들지 못했습니다: {done.stderr.strip()}")
    return pwd.getpwnam(person.id)


def remove_account(user: str) -> None:
    """Remove an account this hub made (tests, or an instructor clearing a room); others are left alone."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return
    if entry.pw_gecos.endswith(MARK):
        subprocess.run(["userdel", "--force", user], capture_output=True)


# What learners' accounts must not read in the course folder, beyond grader's `protect_course`
# (solutions/, grader/work/): git's history has every solution notebook with its hidden tests
# (`git show HEAD:solutions/lab01/lab01.ipynb`), and the project's tests hold answers to the labs.
# Learners' servers need only .venv, node_modules and the packages (labkit/, grader/).
PRIVATE_IN_COURSE = (".git", "tests")


def protect_course_tree(course: Path) -> list[str]:
    """Make `.git` and `tests/` the instructor's alone (0700); Korean notes for what could not be."""
    notes = []
    for name in PRIVATE_IN_COURSE:
        path = Path(course) / name
        if path.is_dir() and not path.is_symlink():
            if path.stat().st_uid == os.geteuid():
                os.chmod(path, 0o700)
            elif path.stat().st_mode & 0o005:
                notes.append(f"{josa(str(path), '을')} 다른 계정이 읽을 수 있습니다. 학습자가 읽지 못하게 chmod 700 {path} 를 실행하십시오.")
        elif name == ".git" and path.is_file():  # a linked worktree: the history lives in the main repository's .git
            common = _git_common_dir(path)
            if common is not None and common.stat().st_mode & 0o005:
                notes.append(f"이 과정 폴더의 git 기록({common})을 다른 계정이 읽을 수 있어, 학습자가 git show 로 "
                             f"solutions/의 숨겨진 테스트를 볼 수 있습니다. chmod 700 {common} 를 실행하십시오.")
    return notes


def _git_common_dir(dotgit: Path) -> Path | None:
    text = dotgit.read_text(encoding="utf-8", errors="replace").strip()
    if not text.startswith("gitdir:"):
        return None
    gitdir = (dotgit.parent / text.split(":", 1)[1].strip()).resolve()
    common = gitdir / "commondir"
    found = (gitdir / common.read_text().strip()).resolve() if common.is_file() else gitdir
    return found if found.is_dir() else None


def prepare_home(room: Room, person: Learner) -> Path:
    """The learner's home with labs and nbgrader config, owned by their account when isolated."""
    home = room.home_of(person.id)
    owner = ensure_account(person, home) if room.isolated else None
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    labs = Path(room.course) / "labs"
    if labs.is_dir():
        seed_workspace(labs, home / "labs")
    config = home / ".jupyter" / "nbgrader_config.py"
    config.parent.mkdir(exist_ok=True)
    config.write_text(student_config(COURSE_ID, Path(room.exchange)), encoding="utf-8")
    if owner is not None:
        for path in [home, *home.rglob("*")]:
            if path.lstat().st_uid != owner.pw_uid and not path.is_symlink():
                os.chown(path, owner.pw_uid, owner.pw_gid)
    return home


def remove_home(room: Room, user: str) -> None:
    shutil.rmtree(room.home_of(user), ignore_errors=True)
