"""The room's learners, from the grader's roster CSV (`grader.roster`), checked for JupyterHub.

A learner's roster id becomes three names at once: the JupyterHub user, the system account
(so file permissions keep learners apart) and nbgrader's student id (nbgrader takes the
student from the account that submits; the grader's collect checks the inbound folder's owner
against it). So an id must be a name all three accept: lowercase ASCII letters, digits and
`_ . -`, starting with a letter, digit or `_`, at most 32 characters. JupyterHub lowercases what
a learner types, so an uppercase id would not match the gradebook. Korean names go in the name
column and are shown as display names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from grader.roster import RosterError, read_roster
from labkit.korean import josa

USERNAME = re.compile(r"^[a-z0-9_][a-z0-9_.-]{0,31}$")


class HubRosterError(Exception):
    """The roster cannot make the room's accounts; the Korean message names the line and the fix."""


@dataclass(frozen=True)
class Learner:
    id: str
    name: str  # display name, e.g. 김민준 (may be empty)
    line: int  # where it is in the CSV, for messages


def username_problem(user: str) -> str | None:
    """Why `user` cannot be a JupyterHub and system account name, in Korean; None if it can."""
    if USERNAME.match(user):
        return None
    if user.lower() != user and USERNAME.match(user.lower()):
        return (f"ID {user}에 대문자가 있습니다. JupyterHub는 로그인한 이름을 소문자로 바꾸므로 "
                f"'{user.lower()}'처럼 소문자로 적으십시오")
    if len(user) > 32:
        return f"ID {josa(user, '이')} 32자보다 깁니다. 시스템 계정 이름은 32자까지입니다"
    return (f"ID {josa(user, '은')} 계정 이름으로 쓸 수 없습니다. 영문 소문자, 숫자, _ . - 만 쓰고 "
            "영문자·숫자·_ 로 시작하십시오 (한글 이름은 이름 열에 적습니다)")


def read_learners(path: Path, reserved: set[str] = frozenset()) -> list[Learner]:
    """The learners of the roster at `path`, in file order; HubRosterError naming every bad line.

    `reserved` are names that may not be learners (the instructor's login).
    """
    try:
        people, report = read_roster(path)
    except RosterError as exc:
        raise HubRosterError(str(exc)) from None
    problems = [(line, reason) for line, reason in report.skipped]
    learners = []
    for user, (last, first, _email) in people.items():
        line = report.lines.get(user, 0)
        why = username_problem(user)
        if why is None and user in reserved:
            why = f"ID {josa(user, '은')} 강사의 로그인 이름과 같습니다. 강사 이름을 --instructor 로 바꾸거나 명단의 ID를 바꾸십시오"
        if why:
            problems.append((line, why))
            continue
        learners.append(Learner(user, f"{last}{first}" if _hangul(last + first) else " ".join(p for p in (first, last) if p), line))
    if problems:
        lines = "\n".join(f"       {line}번째 줄: {reason}." for line, reason in sorted(problems))
        raise HubRosterError(f"명단 {path}에 고칠 줄이 있습니다. 고친 뒤 다시 실행하십시오.\n{lines}")
    if not learners:
        raise HubRosterError(f"명단 {path}에 학습자가 한 명도 없습니다. 첫 줄은 id,이름 처럼 열 제목이고, 둘째 줄부터 한 줄에 한 명입니다.")
    return learners


def _hangul(text: str) -> bool:
    return bool(text) and all("\uac00" <= ch <= "\ud7a3" for ch in text)
