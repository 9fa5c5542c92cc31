"""A notebook of another lab is refused as `wrong_lab`, scores 0 and is exported; never a grader error.

The labs share grade ids (`intro`, `setup`, `task1`, `check_1_1`...), so only the real other
lab's notebook shows the problem: every ordered pair of the labs in solutions/ is tried, so a
new lab is covered as soon as it exists. A lab of several notebooks (lab02) is tried through its
first notebook, and its note names all of them.
"""
from __future__ import annotations

import csv
import itertools
import shutil

import nbformat
import pytest

from grader.config import lab_ids
from grader.intake import expected_files, read_submission, stamped_lab
from grader.release import release_in_copy

from .conftest import TEST_LIMITS
from .helpers import answered, notebooks_of, release_notebook

LABS = lab_ids()
PAIRS = list(itertools.permutations(LABS, 2))


def first(lab: str) -> str:
    """The lab's first notebook (lab00 -> lab00, lab02 -> lab02-1)."""
    return notebooks_of(lab)[0]


@pytest.fixture(scope="module")
def all_labs(tmp_path_factory):
    """Every lab released into one throw-away course, as in the real course."""
    course = tmp_path_factory.mktemp("all-labs") / "course"
    for lab in LABS:
        release_in_copy(lab, course)
    return course


def submit(course, lab: str, student: str, nb) -> None:
    dest = course / "grader" / "work" / "submitted" / student / lab
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest / f"{first(lab)}.ipynb")
    (dest / "timestamp.txt").write_text("2026-12-01 10:00:00")


def unstamped(nb):
    nb.metadata.pop("course", None)
    return nb


def intake(course, tmp_path, lab, nb):
    path = tmp_path / f"{first(lab)}.ipynb"
    nbformat.write(nb, path)
    return read_submission(path, release_notebook(course, lab, first(lab)), lab, root=course)


def test_every_release_says_which_lab_it_is(all_labs):
    for lab in LABS:
        for name in notebooks_of(lab):
            assert stamped_lab(release_notebook(all_labs, lab, name)) == lab


@pytest.mark.parametrize("strip", [False, True], ids=["stamped", "metadata-deleted"])
@pytest.mark.parametrize("lab,other", PAIRS)
def test_the_other_labs_notebook_is_refused_and_named(all_labs, tmp_path, lab, other, strip):
    nb = answered(all_labs, lab=other, notebook=first(other))
    got = intake(all_labs, tmp_path, lab, unstamped(nb) if strip else nb)
    assert got.refused and [n.code for n in got.notes] == ["wrong_lab"]
    assert f"{other}(" in got.notes[0].text
    assert f"{lab} 과제에는 {expected_files(lab, notebooks_of(lab))} 노트북을" in got.notes[0].text


@pytest.mark.parametrize("strip", [False, True], ids=["stamped", "metadata-deleted"])
@pytest.mark.parametrize("lab", LABS)
def test_the_right_labs_notebook_is_accepted(all_labs, tmp_path, lab, strip):
    nb = answered(all_labs, lab=lab, notebook=first(lab))
    got = intake(all_labs, tmp_path, lab, unstamped(nb) if strip else nb)
    assert not got.refused and got.notes == []


def test_a_stamp_of_another_lab_on_this_labs_content_is_not_refused(all_labs, tmp_path):
    """A student who copied their cells into a renamed file still gets graded."""
    lab, other = PAIRS[0]
    nb = answered(all_labs, lab=lab, notebook=first(lab))
    nb.metadata["course"]["lab"] = other
    assert not intake(all_labs, tmp_path, lab, nb).refused


@pytest.mark.parametrize("lab,other", PAIRS)
def test_grading_the_other_labs_notebook_gives_zero_and_an_export_row(all_labs, tmp_path, lab, other):
    from grader.batch import autograde_all
    from grader.export import export

    course = tmp_path / "course"
    shutil.copytree(all_labs, course)
    submit(course, lab, "2024401", unstamped(answered(course, lab=other, notebook=first(other))))
    report = autograde_all(lab, course, limits=TEST_LIMITS, progress=False)
    assert report.errors == []
    [outcome] = report.graded
    assert outcome.status == "rejected" and outcome.score == 0
    # A lab of several notebooks also says the others were not handed in.
    assert [n.code for n in outcome.notes] == ["wrong_lab"] + ["missing_notebook"] * (len(notebooks_of(lab)) - 1)
    assert other in outcome.notes[0].text
    grades, _ = export(tmp_path / "out", course, labs=[lab])
    with open(grades, encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["student_id"] == "2024401"]
    assert [(r["assignment"], float(r["score"])) for r in rows] == [(lab, 0.0)]


@pytest.mark.parametrize("lab", LABS)
def test_this_labs_notebook_with_every_cells_metadata_stripped_is_not_called_another_lab(all_labs, tmp_path, lab):
    """A tool that drops unknown metadata removes nbgrader's cell metadata too: the file is still this
    lab's (its text says so), so the note must not tell the student it is another lab's notebook."""
    nb = unstamped(answered(all_labs, lab=lab, notebook=first(lab)))
    for cell in nb.cells:
        cell.metadata = {}
    got = intake(all_labs, tmp_path, lab, nb)
    assert got.refused and [n.code for n in got.notes] == ["grade_ids_lost"]
    text = got.notes[0].text
    assert f"{lab}의 노트북이지만" in text and "다른 실습" not in text and f"{first(lab)}.ipynb" in text
