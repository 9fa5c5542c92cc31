"""Who is in the class: a roster, names from LMS file names, and refused files that keep their time."""
from __future__ import annotations

import csv
import subprocess
import sys
import zipfile

import pytest

from grader.roster import RosterError, read_roster, split_name

from .helpers import put


def grader(course, *args, cwd=None):
    return subprocess.run([sys.executable, "-m", "grader", "--root", str(course), *args],
                          capture_output=True, text=True, timeout=600, cwd=cwd)


def exported(course):
    proc = grader(course, "export")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(course / "grader/work/export/grades.csv", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("full,parts", [
    ("김민준", ("김", "민준")), ("남궁민수", ("남궁", "민수")), ("남궁민", ("남궁", "민")), ("선우", ("선", "우")), ("김 민준", ("김", "민준")),
    ("Minjun Kim", ("Kim", "Minjun")), ("홍", ("홍", "")), ("", ("", "")),
])
def test_full_names_are_split_into_family_and_given_names(full, parts):
    assert split_name(full) == parts


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp949"])
def test_a_roster_in_the_encodings_spreadsheets_write_is_read(tmp_path, encoding):
    path = tmp_path / "명단.csv"
    path.write_bytes("학번,이름,이메일\r\n2024001,김민준,kim@example.ac.kr\r\n2024002,남궁민수,\r\n\r\n,빈칸\r\n"
                     .encode(encoding))
    people, report = read_roster(path)
    assert people == {"2024001": ("김", "민준", "kim@example.ac.kr"), "2024002": ("남궁", "민수", "")}
    assert [line for line, _ in report.skipped] == [5]


def test_a_roster_without_an_id_column_says_what_the_first_line_must_be(tmp_path):
    path = tmp_path / "명단.csv"
    path.write_text("성명만\n김민준\n", encoding="utf-8")
    with pytest.raises(RosterError, match="id,이름"):
        read_roster(path)
    with pytest.raises(RosterError, match="찾을 수 없습니다"):
        read_roster(tmp_path / "없음.csv")


def test_roster_students_who_never_submitted_are_exported_with_zero_and_their_names(fresh_course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,이름\n2024016,홍길동\n2024017,Minjun Kim\n", encoding="utf-8-sig")
    proc = grader(fresh_course, "roster", str(roster))
    assert proc.returncode == 0 and "새 학생 2명" in proc.stdout, proc.stderr
    rows = {r["student_id"]: r for r in exported(fresh_course)}
    assert (rows["2024016"]["last_name"], rows["2024016"]["first_name"], rows["2024016"]["score"]) == ("홍", "길동", "0.0")
    assert (rows["2024017"]["last_name"], rows["2024017"]["first_name"]) == ("Kim", "Minjun")


def test_names_in_lms_file_names_reach_the_export_but_never_replace_the_rosters(fresh_course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("학번,성,이름\n2024002,이,서연\n", encoding="utf-8")
    assert grader(fresh_course, "roster", str(roster)).returncode == 0
    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("2024001_김민준_lab00.ipynb", b"")
        zf.writestr("2024002_이서연아님_lab00.ipynb", b"")
    assert grader(fresh_course, "collect", "lab00", "--zip", str(archive)).returncode == 0
    assert grader(fresh_course, "autograde", "lab00", "--quiet").returncode == 0
    rows = {r["student_id"]: (r["last_name"], r["first_name"]) for r in exported(fresh_course)}
    assert rows == {"2024001": ("김", "민준"), "2024002": ("이", "서연")}


def test_a_refused_file_keeps_its_submission_time(fresh_course):
    path = put(fresh_course, "2024402", b"")
    (path.parent / "timestamp.txt").write_text("2026-12-01 10:00:00")
    put(fresh_course, "2024403", '{"cells": [')
    (path.parent.parent.parent / "2024403/lab00/timestamp.txt").write_text("2026-12-01 11:00:00")
    proc = grader(fresh_course, "autograde", "lab00", "--quiet")
    assert proc.returncode == 0, proc.stderr
    rows = {r["student_id"]: r["timestamp"] for r in exported(fresh_course)}
    # In UTC like the due date beside it: the zip's 10:00 is Seoul time (grader/grading.toml).
    assert rows == {"2024402": "2026-12-01 01:00:00", "2024403": "2026-12-01 02:00:00"}
    status = grader(fresh_course, "status", "lab00").stdout
    assert status.count("채점 불가(0점)") == 2
