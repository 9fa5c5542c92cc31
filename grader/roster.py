"""The class roster: who is in the course, so a student who never submitted still gets a 0 row.

`./course grade roster 명단.csv` reads a CSV with a student id column and a name column (the
headers an LMS or a spreadsheet usually writes, Korean or English), in UTF-8 with or without a
BOM or in CP949 (what Excel on Korean Windows saves), and adds or renames the students in the
gradebook. Names read from LMS file names (`2024001_김민준_lab00.ipynb`) go through
`split_name` too, but never replace a roster's.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from labkit.korean import josa

from .collect import STUDENT_ID
from .gradebook import name_students

ID_HEADERS = ("id", "student_id", "학번", "학생 id", "학생id", "아이디", "사용자 id", "username", "번호")
NAME_HEADERS = ("이름", "name", "성명", "full name", "전체 이름")
LAST_HEADERS = ("성", "last_name", "last name", "surname")
FIRST_HEADERS = ("first_name", "first name", "given name")
EMAIL_HEADERS = ("email", "이메일", "e-mail", "메일", "이메일 주소")
# Two-syllable family names; any other Korean name starts with a one-syllable family name.
DOUBLE_SURNAMES = {"남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방", "망절", "어금"}


class RosterError(Exception):
    """The roster file cannot be read; the message is Korean and says how to fix it."""


@dataclass
class RosterReport:
    added: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, Korean reason)
    lines: dict[str, int] = field(default_factory=dict)  # id -> its line, for errors about a kept row
    encoding: str = ""


def _is_hangul(text: str) -> bool:
    return bool(text) and all("\uac00" <= ch <= "\ud7a3" for ch in text)


def split_name(full: str) -> tuple[str, str]:
    """(last, first) of a full name: `김민준` -> (김, 민준), `남궁민수` -> (남궁, 민수), `Minjun Kim` -> (Kim, Minjun)."""
    full = " ".join(full.split())
    if not full:
        return "", ""
    if " " in full:
        parts = full.split(" ")
        if _is_hangul(parts[0]) and len(parts[0]) <= 2:  # 김 민준
            return parts[0], " ".join(parts[1:])
        return parts[-1], " ".join(parts[:-1])
    if _is_hangul(full) and len(full) >= 2:
        cut = 2 if len(full) >= 3 and full[:2] in DOUBLE_SURNAMES else 1
        return full[:cut], full[cut:]
    return full, ""


def decode(raw: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in (UTF-8 with or without BOM, or CP949)."""
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise RosterError("명단 파일을 읽지 못했습니다: UTF-8도 CP949도 아닙니다. "
                      "스프레드시트에서 'CSV UTF-8'로 다시 저장하십시오.")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    norm = [h.strip().lower() for h in header]
    for name in names:
        if name in norm:
            return norm.index(name)
    return None


def read_roster(path: Path) -> tuple[dict[str, tuple[str, str, str]], RosterReport]:
    """id -> (last, first, email) from the CSV at `path`, and what was skipped."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RosterError(f"명단 파일을 찾을 수 없습니다: {path}") from None
    except OSError as exc:
        raise RosterError(f"명단 파일을 읽지 못했습니다: {path} ({exc.strerror})") from None
    text, encoding = decode(raw)
    report = RosterReport(encoding=encoding)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise RosterError(f"명단 파일이 비어 있습니다: {path}")
    header = rows[0]
    sid = _column(header, ID_HEADERS)
    name, last, first, email = (_column(header, h) for h in (NAME_HEADERS, LAST_HEADERS, FIRST_HEADERS, EMAIL_HEADERS))
    if sid is None or (name is None and last is None):
        raise RosterError("명단의 첫 줄에 학생 ID 열과 이름 열의 제목이 있어야 합니다 (예: id,이름 또는 학번,이름,이메일). "
                          f"첫 줄: {','.join(header)[:120]}")
    people: dict[str, tuple[str, str, str]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = lambda i: row[i].strip() if i is not None and i < len(row) else ""  # noqa: E731
        student = cell(sid)
        if not STUDENT_ID.match(student):
            report.skipped.append((number, f"학생 ID '{student}'에 쓸 수 없는 문자가 있거나 비어 있습니다"))
            continue
        if student in people:
            report.skipped.append((number, f"{josa(student, '은')} 이미 앞 줄에 있습니다"))
            continue
        if last is not None and (first is not None or name is None):
            family, given = cell(last), cell(first)
        elif last is not None and name is not None:  # 성, 이름 columns: 이름 is the given name
            family, given = cell(last), cell(name)
        else:
            family, given = split_name(cell(name))
        people[student] = (family, given, cell(email))
        report.lines[student] = number
    return people, report


def import_roster(root: Path, path: Path) -> RosterReport:
    """Add the roster's students to the gradebook (creating it if needed); the roster's names win."""
    people, report = read_roster(path)
    report.added, report.renamed = name_students(root, people, overwrite=True)
    return report
