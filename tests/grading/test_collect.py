"""Collecting submissions: nbgrader's exchange, and LMS zips with the usual mess in them."""
from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.collect import CollectError, collect_exchange, import_zip
from grader.config import course_config, nbgrader_api

from .helpers import release_notebook


def nb_bytes(course) -> bytes:
    return nbformat.writes(release_notebook(course)).encode()


def add(zf: zipfile.ZipFile, name: str, data: bytes, when=(2026, 3, 2, 10, 0, 0)) -> None:
    zf.writestr(zipfile.ZipInfo(name, date_time=when), data)


def cp949_names(path, placeholder: str, real: str) -> None:
    """Rewrite a name as zip tools on Korean Windows do: CP949 bytes, no UTF-8 flag."""
    raw, new = placeholder.encode("ascii"), real.encode("cp949")
    assert len(raw) == len(new)
    path.write_bytes(path.read_bytes().replace(raw, new))


@pytest.fixture
def lms_zip(fresh_course, tmp_path):
    path = tmp_path / "lms.zip"
    data = nb_bytes(fresh_course)
    with zipfile.ZipFile(path, "w") as zf:
        add(zf, "kim.ipynb", data)
        add(zf, "lee_12345_lab00.ipynb", data)
        add(zf, "park/lab00.ipynb", data)
        add(zf, "HHGGDD_2024_lab00.ipynb", data)
        add(zf, "choi_old.ipynb", data, when=(2026, 3, 1, 9, 0, 0))
        add(zf, "choi_new.ipynb", data, when=(2026, 3, 2, 9, 0, 0))
        add(zf, "../../escape_lab00.ipynb", data)
        add(zf, "notes.txt", b"hello")
        add(zf, "__MACOSX/._kim.ipynb", b"junk")
    cp949_names(path, "HHGGDD_2024", "홍길동_2024")
    return path


def test_lms_zip_import_names_students_and_refuses_the_rest(fresh_course, lms_zip):
    report = import_zip(lms_zip, "lab00", fresh_course)
    assert sorted(report.imported) == ["choi", "kim", "lee", "park", "홍길동"]
    assert report.imported["choi"] == "choi_new.ipynb"
    reasons = dict(report.skipped)
    assert "밖을 가리키는" in reasons["../../escape_lab00.ipynb"]
    assert "노트북(.ipynb)이 아니라서" in reasons["notes.txt"]
    assert "더 최근 제출물" in reasons["choi_old.ipynb"]
    sub = fresh_course / "grader/work/submitted"
    assert (sub / "홍길동/lab00/lab00.ipynb").exists()
    assert (sub / "choi/lab00/timestamp.txt").read_text() == "2026-03-02 09:00:00"
    assert not any(p.name == "escape_lab00.ipynb" for p in fresh_course.parent.rglob("*.ipynb"))


def test_a_custom_pattern_matches_the_path_inside_the_zip(fresh_course, tmp_path):
    path = tmp_path / "moodle.zip"
    with zipfile.ZipFile(path, "w") as zf:
        add(zf, "Kim Minsu_s2024001_assignsubmission_file_/lab00.ipynb", nb_bytes(fresh_course))
    assert import_zip(path, "lab00", fresh_course).imported == {}  # a space is no student id
    report = import_zip(path, "lab00", fresh_course, pattern=r"_(?P<student_id>s\d+)_assignsubmission")
    assert list(report.imported) == ["s2024001"]
    with pytest.raises(CollectError, match="student_id"):
        import_zip(path, "lab00", fresh_course, pattern=r"(s\d+)")


def test_not_a_zip_is_a_clear_error(fresh_course, tmp_path):
    bogus = tmp_path / "x.zip"
    bogus.write_text("not a zip")
    with pytest.raises(CollectError, match="zip 파일이 아닙니다"):
        import_zip(bogus, "lab00", fresh_course)


def test_exchange_release_submit_collect(fresh_course, tmp_path, monkeypatch):
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeSubmit

    assert nbgrader_api(fresh_course).release_assignment("lab00")["success"]
    for student in ("kim", "lee"):
        home = tmp_path / f"home-{student}"
        home.mkdir()
        monkeypatch.chdir(home)
        c = course_config(fresh_course)
        c.CourseDirectory.root, c.CourseDirectory.student_id, c.CourseDirectory.assignment_id = str(home), student, "lab00"
        coursedir, auth = CourseDirectory(config=c), Authenticator(config=c)
        ExchangeFetchAssignment(coursedir=coursedir, authenticator=auth, config=c).start()
        ExchangeSubmit(coursedir=coursedir, authenticator=auth, config=c).start()
    assert collect_exchange("lab00", fresh_course) == ["kim", "lee"]
    assert (fresh_course / "grader/work/submitted/kim/lab00/lab00.ipynb").exists()
    # ...and the feedback goes back the same way.
    from grader.__main__ import main
    from grader.batch import autograde_all

    from .conftest import TEST_LIMITS

    assert len(autograde_all("lab00", fresh_course, limits=TEST_LIMITS, progress=False).graded) == 2
    assert main(["--root", str(fresh_course), "feedback", "lab00", "--exchange"]) == 0
    returned = list(Path(course_config(fresh_course).Exchange.root).rglob("feedback/*.html"))
    assert len(returned) == 2 and "0 / 7점" in returned[0].read_text(encoding="utf-8")
