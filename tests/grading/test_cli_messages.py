"""What the instructor's commands say: paths from the current folder, no false ✔, aligned columns."""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import zipfile

import nbformat

from grader.__main__ import display_width
from grader.config import ROOT

from .helpers import put, release_notebook


def course_grade(*args, cwd):
    """`./course grade ...` as an instructor types it, from `cwd` (not the repository)."""
    return subprocess.run([str(ROOT / "course"), "grade", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def grader(course, *args):
    return subprocess.run([sys.executable, "-m", "grader", "--root", str(course), *args],
                          capture_output=True, text=True, timeout=300)


def test_relative_zip_and_root_are_the_instructors_current_folder(fresh_course, tmp_path):
    here = tmp_path / "downloads"
    here.mkdir()
    with zipfile.ZipFile(here / "lms12.zip", "w") as zf:
        zf.writestr("2024001_김민준_lab00.ipynb", nbformat.writes(release_notebook(fresh_course)))
    relative_root = "../course"
    proc = course_grade("--root", relative_root, "collect", "lab00", "--zip", "lms12.zip", cwd=here)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "✔ 2024001" in proc.stdout
    assert (fresh_course / "grader/work/submitted/2024001/lab00/lab00.ipynb").exists()
    assert f"다음: ./course grade --root {fresh_course} autograde lab00" in proc.stdout

    missing = course_grade("--root", relative_root, "collect", "lab00", "--zip", "없는.zip", cwd=here)
    assert missing.returncode == 1 and "찾을 수 없습니다" in missing.stderr and str(here / "없는.zip") in missing.stderr
    assert "zip 파일이 아닙니다" not in missing.stderr
    nowhere = course_grade("--root", "no-such-course", "status", "lab00", cwd=here)
    assert nowhere.returncode == 2 and "과정 폴더가 아닙니다" in nowhere.stderr and "Traceback" not in nowhere.stderr


def test_a_file_that_is_not_a_zip_gets_the_right_particle(fresh_course, tmp_path):
    bogus = tmp_path / "제출.zip"
    bogus.write_text("not a zip")
    proc = grader(fresh_course, "collect", "lab00", "--zip", str(bogus))
    assert proc.returncode == 1 and f"{bogus}은 zip 파일이 아닙니다" in proc.stderr and "(는)" not in proc.stderr


def test_autograde_with_nothing_submitted_says_what_to_do_instead_of_a_check_mark(fresh_course):
    proc = grader(fresh_course, "autograde", "lab00")
    assert proc.returncode == 1 and "✔" not in proc.stdout
    assert "아직 lab00 제출물이 없어" in proc.stderr and "collect lab00 --zip" in proc.stderr


def test_collect_from_an_exchange_nobody_released_to_is_korean(fresh_course, empty_exchange):
    proc = grader(fresh_course, "collect", "lab00")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and 'File "' not in proc.stderr
    assert "release lab00 --exchange" in proc.stderr


def test_status_columns_line_up_for_hangul_and_long_ids(fresh_course):
    for student in ("박서준", "kim", "a-rather-long-student-id-2024"):
        put(fresh_course, student, b"")
    assert grader(fresh_course, "autograde", "lab00", "--quiet").returncode == 0
    lines = grader(fresh_course, "status", "lab00").stdout.splitlines()
    assert len(lines) == 4
    # The state column starts at the same screen column on every row (Hangul takes two).
    starts = {display_width(line[: line.index("채점" if "채점" in line else "상태")]) for line in lines}
    assert len(starts) == 1, lines
    scores = {display_width(line[: line.index("/")]) for line in lines[1:]}
    assert len(scores) == 1, lines


def test_grades_csv_rows_are_sorted_by_lab_then_student_id(fresh_course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,이름\n2024009,가나다\n2024001,라마바\n2024005,사아자\n", encoding="utf-8")
    assert grader(fresh_course, "roster", str(roster)).returncode == 0
    assert grader(fresh_course, "export").returncode == 0
    with open(fresh_course / "grader/work/export/grades.csv", encoding="utf-8-sig") as f:
        assert [r["student_id"] for r in csv.DictReader(f)] == ["2024001", "2024005", "2024009"]


def test_usage_errors_point_to_the_course_command(fresh_course):
    proc = grader(fresh_course, "autograde")
    assert proc.returncode == 2 and "도움말: ./course grade autograde -h" in proc.stderr
