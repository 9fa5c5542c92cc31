"""Intake: what is refused, repaired and flagged before a notebook is run (no kernel needed)."""
from __future__ import annotations

import json

import nbformat
import pytest

from grader.intake import read_submission

from .helpers import answered, release_notebook


@pytest.fixture
def release(released_lab00):
    return release_notebook(released_lab00)


def write(tmp_path, content) -> object:
    path = tmp_path / "lab00.ipynb"
    if isinstance(content, nbformat.NotebookNode):
        nbformat.write(content, path)
    else:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def codes(intake):
    return [n.code for n in intake.notes]


def ids(nb):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


def test_a_clean_answer_passes_untouched(released_lab00, release, tmp_path):
    intake = read_submission(write(tmp_path, answered(released_lab00)), release, "lab00")
    assert not intake.refused and intake.notes == [] and not intake.flagged
    assert ids(intake.notebook) == ids(release)


@pytest.mark.parametrize("content,code,words", [
    (b"", "empty_file", "비어"),
    (b"   \n", "empty_file", "비어"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not_notebook", "UTF-8"),
    (b'{"cells": [', "not_notebook", "1번째 줄"),
    (b'["a list"]', "not_notebook", "셀 목록"),
    (json.dumps({"cells": [{"cell_type": "nonsense"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode(),
     "not_notebook", "형식"),
])
def test_unusable_files_are_refused_with_a_korean_reason(release, tmp_path, content, code, words):
    intake = read_submission(write(tmp_path, content), release, "lab00")
    assert intake.refused and codes(intake) == [code] and words in intake.notes[0].text


def test_a_notebook_of_another_lab_is_refused(release, tmp_path):
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    intake = read_submission(write(tmp_path, other), release, "lab00")
    assert intake.refused and codes(intake) == ["wrong_lab"]


def test_deleted_cells_come_back_in_their_place(released_lab00, release, tmp_path):
    nb = answered(released_lab00)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in ("check_1_2", "setup")]
    intake = read_submission(write(tmp_path, nb), release, "lab00")
    assert ids(intake.notebook) == ids(release)
    assert codes(intake) == ["restored_cells"] and "check_1_2" in intake.notes[0].text


def test_duplicates_keep_one_locked_copy_and_every_answer(released_lab00, release, tmp_path):
    nb = answered(released_lab00)
    i = ids(nb).index("check_1_1")
    nb.cells.insert(i + 1, nbformat.from_dict(json.loads(json.dumps(nb.cells[i]))))
    j = ids(nb).index("task3_solution")
    extra = nbformat.from_dict(json.loads(json.dumps(nb.cells[j])))
    extra.source = "print('my second try')"
    nb.cells.insert(j + 1, extra)
    intake = read_submission(write(tmp_path, nb), release, "lab00")
    got = ids(intake.notebook)
    assert got.count("check_1_1") == 1 and got.count("task3_solution") == 1
    assert any(c.source == "print('my second try')" for c in intake.notebook.cells)  # still runs
    assert codes(intake) == ["duplicated_cells"]


def test_points_and_cell_kinds_are_the_instructors(released_lab00, release, tmp_path):
    nb = answered(released_lab00)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "check_3_3":
            meta["points"] = 100
        if meta.get("grade_id") == "check_2_1":
            cell.cell_type, cell.metadata["nbgrader"]["grade"] = "markdown", False
            del cell["outputs"], cell["execution_count"]
    intake = read_submission(write(tmp_path, nb), release, "lab00")
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in intake.notebook.cells if "nbgrader" in c.metadata}
    assert cells["check_3_3"].metadata["nbgrader"]["points"] == 1
    assert cells["check_2_1"].cell_type == "code" and cells["check_2_1"].metadata["nbgrader"]["grade"]
    assert "metadata_changed" in codes(intake)


@pytest.mark.parametrize("source,flagged", [
    ("check = lambda *a, **k: None", True),
    ("def attempt(name, f, *a):\n    return None", True),
    ("import labkit.checks as lc\nlc.check = print", True),
    ("get_ipython().run_line_magic('reset', '-f')", True),
    ("from labkit.checks import check as c", False),
    ("from labkit.checks import check as attempt", True),
    ("import labkit.checks\nfrom labkit.checks import check", False),
    ("result = sorted(keys)\nchecked = True", False),
    # every kind of binding `_bound_names` reads
    ("first, (second, check) = 1, (2, 3)", True),
    ("quiet: int = 0", True),
    ("labkit += 1", True),
    ("class CheckFailed(Exception):\n    pass", True),
    ("async def summary():\n    return None", True),
    ("import os as labkit", True),
    ("from os import path as summary", True),
    ("from os import path", False),
])
def test_code_that_rewrites_the_checks_is_flagged(released_lab00, release, tmp_path, source, flagged):
    nb = answered(released_lab00)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "task1_solution":
            cell.source += "\n" + source
    intake = read_submission(write(tmp_path, nb), release, "lab00")
    assert intake.flagged is flagged
