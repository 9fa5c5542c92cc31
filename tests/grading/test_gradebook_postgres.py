"""The gradebook on PostgreSQL (several graders at once), against a real server this module starts.

One class is graded twice, once with the default SQLite gradebook and once with
`[gradebook] url` pointing at PostgreSQL: the exports must be byte for byte the same. Then two
graders work at once on the PostgreSQL course (one gives manual scores on lab00 while another
autogrades lab01, a third adds roster names): nothing may be lost. A lost database is rebuilt the
documented way, and a wrong URL or a server that does not answer gets a Korean message.
"""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import textwrap

import nbformat
import pytest

from grader.config import ROOT

from .conftest import TEST_LIMITS
from .helpers import answered, partial_answers, put, release_notebook
from .postgres import Server, free_port, require_postgres, use_database

LIMITS = ["--cell-timeout", str(TEST_LIMITS.cell_timeout), "--notebook-timeout", str(TEST_LIMITS.notebook_timeout)]
ROSTER = {"2024001": ("김", "민준", "minjun@example.org"), "2024002": ("이", "서연", ""), "2024003": ("박", "지호", "")}


def grader(course, *args, timeout=600):
    return subprocess.run([sys.executable, "-m", "grader", "--root", str(course), *args],
                          capture_output=True, text=True, timeout=timeout)


def ok(proc):
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def grades(course):
    with open(course / "grader/work/export/grades.csv", encoding="utf-8-sig") as f:
        return {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def server():
    srv = Server(require_postgres()).start()
    yield srv
    srv.stop()


def _class(course):
    """Three submissions of lab00 (right, partly right, untouched), names from the roster, one manual score."""
    from grader.gradebook import name_students
    from grader.manual import give

    put(course, "2024001", answered(course))
    put(course, "2024002", answered(course, partial_answers()))
    put(course, "2024003", release_notebook(course))
    name_students(course, ROSTER, overwrite=True)
    ok(grader(course, "autograde", "lab00", "--quiet", *LIMITS))
    give(course, "lab00", "2024002", "check_2_1", 0.5, "바이트를 돌려주었습니다. decode 하십시오.")


@pytest.fixture(scope="module")
def courses(server, released_lab00, tmp_path_factory):
    """The same class graded on SQLite and on PostgreSQL (lab00 released into each)."""
    from grader.release import release

    base = tmp_path_factory.mktemp("pg")
    lite, pg = base / "sqlite", base / "postgres"
    shutil.copytree(released_lab00, lite)
    shutil.copytree(released_lab00, pg)
    (pg / "grader/work/gradebook.db").unlink()
    use_database(pg, server.createdb("course"))
    release("lab00", pg, check_solution=False)
    _class(lite)
    _class(pg)
    return lite, pg


def test_export_from_postgresql_is_byte_for_byte_the_sqlite_export(courses):
    lite, pg = courses
    for course in courses:
        ok(grader(course, "export"))
    assert not (pg / "grader/work/gradebook.db").exists()  # it really used the database
    for name in ("grades.csv", "questions.csv"):
        assert (pg / "grader/work/export" / name).read_bytes() == (lite / "grader/work/export" / name).read_bytes(), name
    rows = grades(pg)
    assert rows["lab00", "2024001"]["first_name"] == "민준" and rows["lab00", "2024001"]["score"] == "7.0"
    assert rows["lab00", "2024002"]["score"] == "3.5"  # 3 automatic + 0.5 by hand
    # A wrong export would look the same on both: the partial answers really lost points.
    assert {r["score"] for r in rows.values()} == {"7.0", "3.5", "0.0"}


GIVE_SCORES = textwrap.dedent("""
    import sys
    from pathlib import Path
    from grader.manual import give
    root = Path(sys.argv[1])
    n = 0
    for rnd in range(3):
        for student in ("2024001", "2024002", "2024003"):
            for cell, points in (("check_1_1", 1), ("check_1_2", 1), ("check_3_1", 1)):
                give(root, "lab00", student, cell, points * (0.5 if rnd < 2 else 0.25), f"{rnd}회차")
                n += 1
    print(n)
""")


@pytest.fixture(scope="module")
def two_graders(courses, tmp_path_factory):
    """Grader A gives 27 manual scores on lab00 while grader B autogrades lab01 for three learners
    (two of them new) and a third process names the new learners from a roster, all at once."""
    from grader.release import release

    _, pg = courses
    course = tmp_path_factory.mktemp("two") / "course"
    shutil.copytree(pg, course)
    shutil.copytree(ROOT / "solutions/lab01", course / "solutions/lab01")
    release("lab01", course, check_solution=False)
    solution = nbformat.read(ROOT / "solutions/lab01/lab01.ipynb", as_version=4)
    put(course, "2024001", solution, lab="lab01")
    put(course, "2024004", solution, lab="lab01")
    put(course, "2024005", release_notebook(course, "lab01"), lab="lab01")
    roster = course.parent / "roster.csv"
    roster.write_text("학번,이름\n2024004,최예은\n2024005,정하준\n", encoding="utf-8")
    env_cmd = [sys.executable, "-c", GIVE_SCORES, str(course)]
    a = subprocess.Popen(env_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    b = subprocess.Popen([sys.executable, "-m", "grader", "--root", str(course), "autograde", "lab01", "--quiet", "--jobs", "2",
                          "--cell-timeout", "60", "--notebook-timeout", "300"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    c = subprocess.Popen([sys.executable, "-m", "grader", "--root", str(course), "roster", str(roster)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = {name: (p.wait(timeout=900), *p.communicate()) for name, p in (("a", a), ("b", b), ("c", c))}
    for name, (code, out, err) in results.items():
        assert code == 0, f"{name}: {out[-1500:]}{err[-3000:]}"
    assert results["a"][1].strip() == "27"
    return course


def test_two_graders_at_once_lose_nothing(two_graders):
    from grader.gradebook import opened

    course = two_graders
    with opened(course) as gb:
        manual = {(sub.student.id, g.name): g.manual_score
                  for sub in gb.find_assignment("lab00").submissions for nb in sub.notebooks for g in nb.grades
                  if g.manual_score is not None}
        lab01 = {sub.student.id: sub.score for sub in gb.find_assignment("lab01").submissions}
        names = {s.id: (s.last_name, s.first_name) for s in gb.students}
        maximum = gb.find_assignment("lab01").max_score
    # Grader A's last round (0.25 each) is what stands, for all nine cells, beside the earlier 0.5.
    expected = {(s, c): 0.25 for s in ("2024001", "2024002", "2024003") for c in ("check_1_1", "check_1_2", "check_3_1")}
    expected["2024002", "check_2_1"] = 0.5
    assert manual == expected
    assert lab01 == {"2024001": maximum, "2024004": maximum, "2024005": 0.0} and maximum > 0
    assert names["2024004"] == ("최", "예은") and names["2024005"] == ("정", "하준")
    ok(grader(course, "export"))
    rows = grades(course)
    assert float(rows["lab00", "2024001"]["score"]) == 7 - 3 * 0.75
    assert float(rows["lab01", "2024004"]["score"]) == maximum


def test_a_student_another_grader_adds_at_the_same_moment_is_not_an_error(server, tmp_path, monkeypatch):
    """Grader B adds the student between grader A's look-up and A's insert: A writes again on B's row."""
    from nbgrader.api import Gradebook

    from grader.gradebook import name_students, opened

    course = tmp_path / "course"
    (course / "solutions/lab00").mkdir(parents=True)
    url = server.createdb("clash")
    use_database(course, url)
    with opened(course):
        pass  # nbgrader's tables
    original = Gradebook.add_student
    interleaved = []

    def add_after_the_other_grader(self, student_id, **kwargs):
        if not interleaved:
            interleaved.append(student_id)
            with Gradebook(url, "serverless-workshop") as other:  # grader B, its own connection
                other.add_student(student_id)
        return original(self, student_id, **kwargs)

    monkeypatch.setattr(Gradebook, "add_student", add_after_the_other_grader)
    added, renamed = name_students(course, {"2024009": ("한", "별", "")}, overwrite=False)
    assert interleaved == ["2024009"]  # the clash really happened
    assert renamed == ["2024009"] and added == []  # the second try found B's row and named it
    with opened(course) as gb:
        assert (gb.find_student("2024009").last_name, gb.find_student("2024009").first_name) == ("한", "별")


def test_a_lost_database_is_rebuilt_the_documented_way(server, courses, tmp_path):
    """The database emptied (dropped and made anew): export refuses, release + autograde restore every grade."""
    _, pg = courses
    course = tmp_path / "course"
    shutil.copytree(pg, course)
    use_database(course, server.createdb("rebuilt"))  # a new, empty database: the old one is lost
    empty = grader(course, "export")
    assert empty.returncode == 1 and "성적부(postgresql+psycopg://postgres@127.0.0.1" in empty.stderr
    assert "release" in empty.stderr and "Traceback" not in empty.stderr
    ok(grader(course, "release", "lab00"))
    refused = grader(course, "export")
    assert refused.returncode == 1 and "성적부에 없는 학생이 3명" in refused.stderr
    again = ok(grader(course, "autograde", "lab00", "--quiet", *LIMITS))
    assert "성적부에 없던 채점 결과 3개를 저장된 결과" in again.stdout and "✔ 0개를" in again.stdout
    ok(grader(course, "export"))
    assert {k: v["score"] for k, v in grades(course).items()} == {
        ("lab00", "2024001"): "7.0", ("lab00", "2024002"): "3.5", ("lab00", "2024003"): "0.0"}


def _korean_failure(proc):
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "sqlalchemy" not in proc.stderr.lower()
    assert len(proc.stderr.splitlines()) <= 10, proc.stderr
    return proc.stderr


@pytest.mark.parametrize("command", [["export"], ["autograde", "lab00"], ["release", "lab00"], ["status", "lab00"]])
def test_a_server_that_does_not_answer_gets_a_korean_message(courses, tmp_path, command):
    _, pg = courses
    course = tmp_path / "course"
    shutil.copytree(pg, course)
    port = free_port()  # nothing listens there
    use_database(course, f"postgresql+psycopg://grader:secret@127.0.0.1:{port}/gradebook")
    err = _korean_failure(grader(course, *command, timeout=120))
    assert f"성적부 데이터베이스(postgresql+psycopg://grader:***@127.0.0.1:{port}/gradebook)에 연결하지 못했습니다" in err
    assert "PostgreSQL 서버가 켜져 있는지" in err and "psql 'postgresql://grader:***@" in err
    assert "secret" not in err  # the password is never printed
    assert not (course / "grader/work/gradebook.db").exists()  # no silent fallback to SQLite


@pytest.mark.parametrize("url, says", [
    ("postgresql://grader@127.0.0.1/gradebook", "postgresql+psycopg:// 로 시작하게"),
    ("mysql://grader@127.0.0.1/gradebook", "쓸 수 없는 데이터베이스입니다"),
    ("127.0.0.1:5432/gradebook", "성적부 주소를 읽지 못했습니다"),
    ("postgresql+psycopg://grader@127.0.0.1:5432", "데이터베이스 이름이 없습니다"),
])
def test_a_wrong_url_says_what_is_wrong_and_how_to_write_it(courses, tmp_path, url, says):
    _, pg = courses
    course = tmp_path / "course"
    shutil.copytree(pg, course)
    use_database(course, url)
    err = _korean_failure(grader(course, "export"))
    assert says in err and "grader/grading.toml" in err


def test_a_database_that_does_not_exist_says_to_create_it(server, courses, tmp_path):
    _, pg = courses
    course = tmp_path / "course"
    shutil.copytree(pg, course)
    use_database(course, server.url("nosuchdb"))
    err = _korean_failure(grader(course, "status", "lab00"))
    assert "연결하지 못했습니다" in err and "createdb" in err
