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
    assert report.names == {}  # "choi_new", "lee_12345": a note and a number, not names
    reasons = dict(report.skipped)
    assert "밖을 가리키는" in reasons["../../escape_lab00.ipynb"]
    assert "노트북(.ipynb)이 아니라서" in reasons["notes.txt"]
    assert "더 최근 제출물" in reasons["choi_old.ipynb"]
    sub = fresh_course / "grader/work/submitted"
    assert (sub / "홍길동/lab00/lab00.ipynb").exists()
    assert (sub / "choi/lab00/timestamp.txt").read_text() == "2026-03-02 00:00:00.000000 UTC"  # 09:00 in Seoul, as the exchange writes it
    assert not any(p.name == "escape_lab00.ipynb" for p in fresh_course.parent.rglob("*.ipynb"))


def test_a_custom_pattern_matches_the_path_inside_the_zip(fresh_course, tmp_path):
    path = tmp_path / "moodle.zip"
    with zipfile.ZipFile(path, "w") as zf:
        add(zf, "Kim Minsu_s2024001_assignsubmission_file_/lab00.ipynb", nb_bytes(fresh_course))
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


def moodle_zip(course, path, tie=False):
    """Two students named 김민준 and one 이서연, as Moodle's "download all submissions" writes them."""
    with zipfile.ZipFile(path, "w") as zf:
        add(zf, "김민준_s1001_assignsubmission_file_/lab00.ipynb", nb_bytes(course) + b" ", when=(2026, 3, 2, 9, 0, 0))
        add(zf, "김민준_s1002_assignsubmission_file_/lab00.ipynb", nb_bytes(course) + b"  ", when=(2026, 3, 2, 10, 0, 0))
        add(zf, "이서연_s1003_assignsubmission_file_/lab00 (1).ipynb", nb_bytes(course))
    return path


def test_moodle_folders_give_participant_ids_and_never_merge_students_who_share_a_name(fresh_course, tmp_path):
    report = import_zip(moodle_zip(fresh_course, tmp_path / "moodle.zip"), "lab00", fresh_course)
    assert sorted(report.imported) == ["s1001", "s1002", "s1003"] and report.skipped == []
    assert report.names == {"s1001": "김민준", "s1002": "김민준", "s1003": "이서연"}
    assert any("참가자 번호" in n for n in report.notes)
    sub = fresh_course / "grader/work/submitted"
    assert sorted(p.name for p in sub.iterdir()) == ["s1001", "s1002", "s1003"]


def test_a_corrected_pattern_takes_the_wrongly_named_folders_out_of_grading(fresh_course, tmp_path):
    """`이름_학번_...` files: the default rule takes the name as the id and merges the two 김민준."""
    path = tmp_path / "lms.zip"
    with zipfile.ZipFile(path, "w") as zf:
        add(zf, "김민준_2024001_lab00.ipynb", nb_bytes(fresh_course) + b" ", when=(2026, 3, 2, 9, 0, 0))
        add(zf, "김민준_2024002_lab00.ipynb", nb_bytes(fresh_course) + b"  ", when=(2026, 3, 2, 10, 0, 0))
        add(zf, "이서연_2024003_lab00.ipynb", nb_bytes(fresh_course))
    first = import_zip(path, "lab00", fresh_course)
    assert sorted(first.imported) == ["김민준", "이서연"]
    assert "--pattern" in dict(first.skipped)["김민준_2024001_lab00.ipynb"]
    again = import_zip(path, "lab00", fresh_course, pattern=r"_(?P<student_id>\d{7})_")
    assert sorted(again.imported) == ["2024001", "2024002", "2024003"]
    sub = fresh_course / "grader/work/submitted"
    assert sorted(p.name for p in sub.iterdir()) == ["2024001", "2024002", "2024003"]
    moved = list((fresh_course / "grader/work/replaced/lab00").iterdir())
    assert sorted(p.name.split("-")[0] for p in moved) == ["김민준", "이서연"]  # kept, not deleted
    assert sum("잘못된 학생 ID" in n for n in again.notes) == 2


def test_an_older_zip_never_replaces_a_newer_submission(fresh_course, tmp_path):
    new, old = tmp_path / "new.zip", tmp_path / "old.zip"
    with zipfile.ZipFile(new, "w") as zf:
        add(zf, "2024301_김중복_lab00_늦은제출.ipynb", nb_bytes(fresh_course) + b"\n", when=(2026, 12, 2, 9, 30, 0))
    with zipfile.ZipFile(old, "w") as zf:
        add(zf, "2024301_김중복_lab00_첫제출.ipynb", nb_bytes(fresh_course), when=(2026, 12, 1, 9, 0, 0))
    assert list(import_zip(new, "lab00", fresh_course).imported) == ["2024301"]
    report = import_zip(old, "lab00", fresh_course)
    assert report.imported == {}
    [(name, reason)] = report.skipped
    assert name == "2024301_김중복_lab00_첫제출.ipynb" and "2026-12-02 09:30:00" in reason and "최근이라 건너뛰었습니다" in reason
    dest = fresh_course / "grader/work/submitted/2024301/lab00"
    assert (dest / "timestamp.txt").read_text() == "2026-12-02 00:30:00.000000 UTC"
    assert (dest / "lab00.ipynb").read_bytes() == nb_bytes(fresh_course) + b"\n"
    again = import_zip(new, "lab00", fresh_course)  # the same zip twice: nothing changes, and it says so
    assert again.imported == {} and again.unchanged == ["2024301"]


def test_ties_are_reported_as_ties_not_as_more_recent(fresh_course, tmp_path):
    one, two = tmp_path / "one.zip", tmp_path / "two.zip"
    with zipfile.ZipFile(one, "w") as zf:
        add(zf, "2024302/lab00.ipynb", nb_bytes(fresh_course))
        add(zf, "2024302_again.ipynb", nb_bytes(fresh_course) + b" ")
    report = import_zip(one, "lab00", fresh_course)
    [(name, reason)] = report.skipped
    assert name == "2024302/lab00.ipynb" and "더 최근" not in reason and "제출 시각" in reason and "같아" in reason
    with zipfile.ZipFile(two, "w") as zf:
        add(zf, "2024302_fixed.ipynb", nb_bytes(fresh_course) + b"  ")
    across = import_zip(two, "lab00", fresh_course)
    assert list(across.imported) == ["2024302"] and "같아" in across.notes[0]
    kept = list((fresh_course / "grader/work/replaced/lab00").glob("2024302-*/lab00.ipynb"))
    assert [p.read_bytes() for p in kept] == [nb_bytes(fresh_course) + b" "]  # the earlier file is kept aside
