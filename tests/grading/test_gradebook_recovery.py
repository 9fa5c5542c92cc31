"""A lost, rebuilt or damaged gradebook: nothing is exported silently short, nothing English, labs/ kept."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from .helpers import answered, put, release_notebook


def grader(course, *args):
    return subprocess.run([sys.executable, "-m", "grader", "--root", str(course), *args],
                          capture_output=True, text=True, timeout=600)


def rows(course):
    with open(course / "grader/work/export/grades.csv", encoding="utf-8-sig") as f:
        return {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}


def exported(course):
    with open(course / "grader/work/export/grades.csv", encoding="utf-8-sig") as f:
        return {r["student_id"]: (r["score"], r["status"]) for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(released_lab00, tmp_path_factory):
    """lab00 with two graded submissions (7/7 and 0/7): copy it, never change it."""
    course = tmp_path_factory.mktemp("graded") / "course"
    shutil.copytree(released_lab00, course)
    put(course, "2024001", answered(course))
    put(course, "2024002", release_notebook(course))
    proc = grader(course, "autograde", "lab00", "--quiet", "--cell-timeout", "20")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return course


@pytest.fixture
def course(graded, tmp_path):
    dest = tmp_path / "course"
    shutil.copytree(graded, dest)
    return dest


def damage(course):
    db = course / "grader/work/gradebook.db"
    data = bytearray(db.read_bytes())
    data[len(data) // 3: len(data) // 3 + 16384] = b"\xff" * 16384
    db.write_bytes(bytes(data))


def test_a_rebuilt_gradebook_is_not_exported_empty_and_autograde_puts_the_grades_back(course):
    (course / "grader/work/gradebook.db").rename(course / "grader/work/gradebook.db.lost")
    from grader.release import release

    release("lab00", course, check_solution=False)  # the natural recovery: a new gradebook

    status = grader(course, "status", "lab00")
    assert "7/7" in status.stdout and "2개는 성적부에 없어 내보내지 않습니다" in status.stderr
    refused = grader(course, "export")
    assert refused.returncode == 1 and "✔" not in refused.stdout
    assert "성적부에 없는 학생이 2명" in refused.stderr and "2024001, 2024002" in refused.stderr
    assert f"./course grade --root {course} autograde lab00" in refused.stderr
    assert not (course / "grader/work/export/grades.csv").exists()

    again = grader(course, "autograde", "lab00", "--quiet", "--cell-timeout", "20")
    assert again.returncode == 0, again.stderr
    assert "성적부에 없던 채점 결과 2개를 저장된 결과" in again.stdout and "✔ 0개를" in again.stdout
    done = grader(course, "export")
    assert done.returncode == 0 and "✔" in done.stdout
    assert rows(course) == {"2024001": 7.0, "2024002": 0.0}


def test_an_export_that_would_leave_out_an_ungraded_submission_is_refused_unless_partial(course):
    put(course, "2024003", answered(course))
    refused = grader(course, "export")
    assert refused.returncode == 1 and "✔" not in refused.stdout
    assert "아직 채점하지 않았거나 채점기 오류로 끝난 제출물이 1개" in refused.stderr and "2024003" in refused.stderr
    partial = grader(course, "export", "--partial")
    assert partial.returncode == 0 and "✔" not in partial.stdout and "일부만 내보냈습니다" in partial.stdout
    # Submitted and not graded yet is not a zero: its scores are empty and it says 채점 전.
    assert exported(course) == {"2024001": ("7.0", "채점됨"), "2024002": ("0.0", "채점됨"), "2024003": ("", "채점 전")}


def test_a_partial_export_tells_a_submission_not_graded_yet_from_no_submission(course):
    from grader.gradebook import name_students

    put(course, "2024003", answered(course))  # handed in, not graded yet
    name_students(course, {"2024003": ("김", "민준", ""), "2024009": ("이", "서연", "")}, overwrite=False)  # the roster
    assert grader(course, "export", "--partial").returncode == 0
    with open(course / "grader/work/export/grades.csv", encoding="utf-8-sig") as f:
        got = {r["student_id"]: (r["first_name"], r["raw_score"], r["score"], r["late"], r["status"]) for r in csv.DictReader(f)}
    assert got["2024003"] == ("민준", "", "", "", "채점 전")
    assert got["2024009"] == ("서연", "0.0", "0.0", "", "미제출")
    assert got["2024001"][1:] == ("7.0", "7.0", "False", "채점됨")


def test_export_without_a_gradebook_says_so_and_creates_none(course):
    db = course / "grader/work/gradebook.db"
    db.unlink()
    proc = grader(course, "export")
    assert proc.returncode == 1 and "성적부" in proc.stderr and "release" in proc.stderr
    assert not db.exists() and "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", [["autograde", "lab00"], ["export"], ["release", "lab00"]])
def test_a_damaged_gradebook_gets_a_short_korean_message_with_the_fix(course, command):
    damage(course)
    proc = grader(course, *command)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "sqlalchemy" not in proc.stderr
    assert "손상되어 읽을 수 없습니다" in proc.stderr and "백업" in proc.stderr
    assert f"./course grade --root {course} release" in proc.stderr
    assert len(proc.stderr.splitlines()) <= 10


def test_a_failed_release_leaves_labs_as_it_was(course):
    committed = (course / "labs/lab00/lab00.ipynb").read_bytes()
    damage(course)
    assert grader(course, "release", "lab00").returncode == 1
    assert (course / "labs/lab00/lab00.ipynb").read_bytes() == committed

    (course / "grader/work/gradebook.db").unlink()
    source = course / "solutions/lab00/lab00.ipynb"
    nb = nbformat.read(source, as_version=4)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    graded[1].metadata["nbgrader"]["grade_id"] = graded[0].metadata["nbgrader"]["grade_id"]  # nbgrader refuses this
    nbformat.write(nb, source)
    proc = grader(course, "release", "lab00")
    assert proc.returncode == 1 and "그대로 두었습니다" in proc.stderr
    assert (course / "labs/lab00/lab00.ipynb").read_bytes() == committed
    assert not list((course / "labs").glob(".*"))


def test_the_documented_recovery_from_a_damaged_gradebook_works(course):
    """Move the damaged file aside, release, autograde: every grade is back, nothing regraded."""
    damage(course)
    db = course / "grader/work/gradebook.db"
    db.rename(db.with_name("gradebook.db.damaged"))
    assert grader(course, "release", "lab00").returncode == 0
    again = grader(course, "autograde", "lab00", "--quiet", "--cell-timeout", "20")
    assert again.returncode == 0 and "✔ 0개를" in again.stdout
    assert grader(course, "export").returncode == 0
    assert rows(course) == {"2024001": 7.0, "2024002": 0.0}
    saved = json.loads((course / "grader/work/results/lab00/2024001.json").read_text(encoding="utf-8"))
    assert saved["score"] == 7


def damage_pages(course):
    """Noise over a few pages after the first ones (as `dd if=/dev/urandom seek=20 bs=1k count=16`
    does): SQLite's quick check may pass, and the query that reads those pages fails."""
    import random

    db = course / "grader/work/gradebook.db"
    data = bytearray(db.read_bytes())
    data[20480:36864] = random.Random(0).randbytes(16384)
    db.write_bytes(bytes(data[:max(len(data), 36864)]))


@pytest.mark.parametrize("command", [["status", "lab00"], ["feedback", "lab00"], ["pending", "lab00"],
                                     ["autograde", "lab00"], ["export"]])
def test_every_command_on_a_gradebook_with_damaged_pages_says_so_in_korean(course, command):
    damage_pages(course)
    proc = grader(course, *command)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "sqlalchemy" not in proc.stderr, proc.stderr[-1500:]
    assert "손상되어 읽을 수 없습니다" in proc.stderr and f"./course grade --root {course} release" in proc.stderr
