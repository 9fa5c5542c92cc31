"""Submissions that read the hidden test calling them: nothing of the test reaches their feedback.

A function a hidden test calls runs inside the test, so it can read the test's code (its
caller's frame and `linecache`, `inspect`, `traceback`, IPython's `In`) and try to bring it back
in an exception message, an exception's class name, a check failure of its own or a value a
check message interpolates. The review found whole hidden tests in such a submission's
feedback, and a hidden test's input in an honest `FileNotFoundError`. Graded here on the real
lab00 and lab01 notebooks, then `feedback` writes each page (HTML and Markdown).
"""
from __future__ import annotations

import re
import shutil

import nbformat
import pytest

from grader.batch import autograde_all
from grader.config import Limits
from grader.feedback import write_feedback
from grader.release import release_in_copy

from .conftest import TEST_LIMITS
from .helpers import hidden_test_inputs, hidden_test_lines
from .hostile import leak_submissions

LIMITS = {"lab00": TEST_LIMITS, "lab01": Limits(cell_timeout=40, notebook_timeout=150)}


@pytest.fixture(scope="module", params=["lab00", "lab01"])
def leaks(request, tmp_path_factory):
    lab = request.param
    course = release_in_copy(lab, tmp_path_factory.mktemp(f"leaks-{lab}") / "course")
    subs = leak_submissions(course, lab)
    for student, nb in subs.items():
        dest = course / "grader/work/submitted" / student / lab
        dest.mkdir(parents=True)
        nbformat.write(nb, dest / f"{lab}.ipynb")
    report = autograde_all(lab, course, jobs=2, limits=LIMITS[lab], progress=False)
    assert not report.errors, [o.error[-800:] for o in report.errors]
    write_feedback(lab, course)
    yield {"lab": lab, "course": course, "outcomes": {o.student: o for o in report.graded}}
    shutil.rmtree(course, ignore_errors=True)


def pages(leaks, student):
    folder = leaks["course"] / "grader/work/feedback" / student / leaks["lab"]
    return {"html": (folder / f"{leaks['lab']}.html").read_text(encoding="utf-8"),
            "md": (folder / "feedback.md").read_text(encoding="utf-8")}


def test_no_line_or_input_of_a_hidden_test_reaches_the_feedback(leaks):
    import html

    lines, inputs = hidden_test_lines(leaks["lab"]), hidden_test_inputs(leaks["lab"])
    assert lines and inputs
    for student in leaks["outcomes"]:
        for kind, page in pages(leaks, student).items():
            text = html.unescape(page)
            assert "BEGIN HIDDEN" not in text and "Traceback" not in text, (student, kind)
            assert [l for l in lines if l in text] == [], (student, kind)
            assert [i for i in inputs if i in text] == [], (student, kind)
            # ...nor a hidden input carried out as numbers (a syllable's index, ord - 0xAC00).
            # (Three digits or more: "0" or "12" also stand in scores and times.)
            numbers = {str(ord(c) - 0xAC00) for i in inputs for c in i if "가" <= c <= "힣"} - {str(n) for n in range(100)}
            words = re.sub(r"<style.*?</style>", "", text, flags=re.S)  # the embedded font is data, not text
            assert [n for n in numbers if re.search(rf"(?<!\d){n}(?!\d)", words)] == [], (student, kind)


def test_the_leaking_code_lost_the_hidden_points_and_the_feedback_says_why(leaks):
    for student, outcome in leaks["outcomes"].items():
        hidden = [c for c in outcome.cells if c.hidden and c.score == 0]
        assert hidden, student
        for cell in hidden:
            assert cell.message, (student, cell.grade_id)
            assert len(cell.message) < 200, (student, cell.grade_id, cell.message)


def test_reading_frames_or_source_is_flagged_for_the_instructor(leaks):
    for student, outcome in leaks["outcomes"].items():
        codes = {n.code for n in outcome.notes}
        if student in ("honest_bug", "number_channel"):  # neither reads frames or source
            assert not outcome.flagged and "inspects_frames" not in codes
        else:
            assert outcome.flagged and "inspects_frames" in codes, student
