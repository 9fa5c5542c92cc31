"""A lab of several notebooks (lab02: lab02-1 and lab02-2) through release, collect, intake and submit.

Grading, feedback and export of such a lab are pinned on real lab02 submissions in
test_lab02_grading.py (one batch); here is what needs no kernel: which file is which notebook,
and what a student is told when the file is the wrong one.
"""
from __future__ import annotations

import zipfile

import nbformat
import pytest

from grader.autograde import submit
from grader.collect import import_zip, notebook_of
from grader.config import ROOT
from grader.intake import read_submission
from grader.release import check_release, release_in_copy
from grader.results import Outcome
from grader.worker import _fix_notebook_names

LAB, NOTEBOOKS = "lab02", ["lab02-1", "lab02-2"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return release_in_copy(LAB, tmp_path_factory.mktemp("multi") / "course")


def release(course, name: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "labs" / LAB / f"{name}.ipynb", as_version=4)


def add(zf: zipfile.ZipFile, name: str, nb: nbformat.NotebookNode, when=(2026, 3, 2, 10, 0, 0)) -> None:
    zf.writestr(zipfile.ZipInfo(name, date_time=when), nbformat.writes(nb).encode())


def test_release_makes_every_notebook_of_the_lab(course):
    assert sorted(p.stem for p in (course / "labs" / LAB).glob("*.ipynb")) == NOTEBOOKS
    assert all(release(course, n).metadata["course"]["lab"] == LAB for n in NOTEBOOKS)


def test_release_refuses_a_graded_id_in_two_notebooks(course, tmp_path):
    import shutil

    copy = tmp_path / "course"
    shutil.copytree(course / "solutions", copy / "solutions")
    shutil.copytree(course / "labs", copy / "labs")
    path = copy / "solutions" / LAB / "lab02-2.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_code_cell("assert True")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "check_1_1", "locked": True, "points": 1,
                                 "schema_version": 3, "solution": False, "task": False}
    nb.cells.append(cell)
    nbformat.write(nb, path)
    problems = check_release(LAB, copy)
    assert any(p.cell == "check_1_1" and "lab02-1.ipynb에도 있습니다" in p.what for p in problems), problems


def test_which_notebook_a_file_is_comes_from_its_name():
    assert notebook_of("2024001_김민준_lab02-1.ipynb", NOTEBOOKS) == "lab02-1"
    assert notebook_of("lab02-2 (1).ipynb", NOTEBOOKS) == "lab02-2"
    assert notebook_of("2024003_박서준_lab02.ipynb", NOTEBOOKS) is None
    assert notebook_of("anything.ipynb", ["lab00"]) == "lab00"  # a lab of one takes any name


def test_an_lms_zip_gives_each_student_the_notebooks_they_handed_in(course, tmp_path):
    one, two = release(course, "lab02-1"), release(course, "lab02-2")
    first = tmp_path / "lms.zip"
    with zipfile.ZipFile(first, "w") as zf:
        add(zf, "2024001_김민준_lab02-1.ipynb", one, when=(2026, 3, 2, 10, 0, 0))
        add(zf, "2024001_김민준_lab02-2.ipynb", two, when=(2026, 3, 2, 11, 0, 0))
        add(zf, "2024001_김민준_lab02-1 (1).ipynb", one, when=(2026, 3, 1, 9, 0, 0))   # older copy of the same notebook
        add(zf, "2024002_이서연_lab02-2.ipynb", two)                                    # only the second notebook
        add(zf, "2024003_박서준_lab02.ipynb", one)                                      # which notebook? nobody knows
    report = import_zip(first, LAB, course)
    sub = course / "grader/work/submitted"
    assert sorted(p.name for p in (sub / "2024001/lab02").glob("*.ipynb")) == ["lab02-1.ipynb", "lab02-2.ipynb"]
    assert sorted(p.name for p in (sub / "2024002/lab02").glob("*.ipynb")) == ["lab02-2.ipynb"]
    assert not (sub / "2024003").exists()
    assert report.names == {"2024001": "김민준", "2024002": "이서연"}  # the names LMS file names carry
    reasons = dict(report.skipped)
    assert "어느 노트북인지 알 수 없어" in reasons["2024003_박서준_lab02.ipynb"]
    assert "lab02-1.ipynb와 lab02-2.ipynb" in reasons["2024003_박서준_lab02.ipynb"]
    assert "2024001의 lab02-1.ipynb의 더 최근 제출물(2024001_김민준_lab02-1.ipynb)" in reasons["2024001_김민준_lab02-1 (1).ipynb"]
    # nbgrader reads one time per submission: the later notebook's (11:00 in Seoul).
    assert (sub / "2024001/lab02/timestamp.txt").read_text() == "2026-03-02 02:00:00.000000 UTC"

    # A later zip: a newer lab02-2 replaces that notebook only; an older lab02-1 does not replace the newer one.
    later = tmp_path / "later.zip"
    changed = nbformat.from_dict(two)
    changed.cells[-1].source += "\n# 다시 냄"
    with zipfile.ZipFile(later, "w") as zf:
        add(zf, "2024001_김민준_lab02-2.ipynb", changed, when=(2026, 3, 3, 9, 0, 0))
        draft = nbformat.from_dict(one)
        draft.cells[-1].source += "\n# 초안"
        add(zf, "2024001_김민준_lab02-1.ipynb", draft, when=(2026, 3, 1, 8, 0, 0))
    report = import_zip(later, LAB, course)
    assert "# 다시 냄" in (sub / "2024001/lab02/lab02-2.ipynb").read_text(encoding="utf-8")
    assert "이미 가져온 2024001의 lab02-1.ipynb 제출물" in dict(report.skipped)["2024001_김민준_lab02-1.ipynb"]
    assert (sub / "2024001/lab02/timestamp.txt").read_text() == "2026-03-03 00:00:00.000000 UTC"

    # Same time, other content: this notebook is replaced, its old copy kept, the other notebook left alone.
    tie = tmp_path / "tie.zip"
    again = nbformat.from_dict(changed)
    again.cells[-1].source += "\n# 같은 시각"
    with zipfile.ZipFile(tie, "w") as zf:
        add(zf, "2024001_김민준_lab02-2.ipynb", again, when=(2026, 3, 3, 9, 0, 0))
    report = import_zip(tie, LAB, course)
    assert "# 같은 시각" in (sub / "2024001/lab02/lab02-2.ipynb").read_text(encoding="utf-8")
    assert (sub / "2024001/lab02/lab02-1.ipynb").exists() and "이전 것은" in report.notes[0]
    [kept] = (course / "grader/work/replaced/lab02").glob("2024001-lab02-2-*/lab02-2.ipynb")
    assert "# 다시 냄" in kept.read_text(encoding="utf-8") and "# 같은 시각" not in kept.read_text(encoding="utf-8")


def test_the_other_notebook_of_the_lab_is_refused_naming_both(course, tmp_path):
    path = tmp_path / "lab02-1.ipynb"
    nbformat.write(release(course, "lab02-2"), path)
    intake = read_submission(path, release(course, "lab02-1"), LAB, root=course)
    assert intake.refused and [n.code for n in intake.notes] == ["wrong_notebook"]
    assert "lab02-1.ipynb 자리에 낸 파일이 lab02의 다른 노트북인 lab02-2.ipynb(" in intake.notes[0].text
    assert "lab02-1.ipynb와 lab02-2.ipynb" in intake.notes[0].text
    nbformat.write(release(course, "lab02-1"), path)  # the right one passes
    assert not read_submission(path, release(course, "lab02-1"), LAB, root=course).refused


def test_another_labs_notebook_names_the_lab_s_notebooks(course, tmp_path):
    path = tmp_path / "lab02-1.ipynb"
    nbformat.write(nbformat.read(ROOT / "labs" / "lab00" / "lab00.ipynb", as_version=4), path)
    intake = read_submission(path, release(course, "lab02-1"), LAB, root=ROOT)
    assert intake.refused and intake.notes[0].code == "wrong_lab"
    assert intake.notes[0].text.endswith("lab02 과제에는 lab02-1.ipynb와 lab02-2.ipynb 노트북을 제출하십시오.")


def test_submit_and_renamed_files_keep_each_notebook_apart(course, tmp_path):
    paths = []
    for name in NOTEBOOKS:
        paths.append(tmp_path / f"{name}.ipynb")
        nbformat.write(release(course, name), paths[-1])
    placed = submit(LAB, "s1", paths, course)
    assert [p.name for p in placed] == ["lab02-1.ipynb", "lab02-2.ipynb"]
    folder = tmp_path / "renamed"
    folder.mkdir()
    (folder / "lab02-2 (1).ipynb").write_bytes(paths[1].read_bytes())   # a browser's copy number
    (folder / "lab02-1.ipynb").write_bytes(paths[0].read_bytes())
    outcome = Outcome(LAB, "s1", "graded")
    _fix_notebook_names(folder, NOTEBOOKS, outcome)
    assert sorted(p.name for p in folder.glob("*.ipynb")) == ["lab02-1.ipynb", "lab02-2.ipynb"]
    assert [n.text for n in outcome.notes] == ["lab02-2 (1).ipynb를 lab02-2.ipynb로 보고 채점했습니다."]
