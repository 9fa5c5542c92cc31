"""Broken or tampered notebooks: repaired where fair, refused with a clear note where not."""
from __future__ import annotations

import pytest

from grader.results import GRADED, REJECTED


def notes(batch, student):
    return {n.code: n.text for n in batch["outcomes"][student].notes}


def test_edited_check_is_restored_so_a_blank_answer_still_fails(hostile_batch):
    o = hostile_batch["outcomes"]["edited_check"]
    assert o.score == 0
    assert "check_1_1" in notes(hostile_batch, "edited_check")["edited_locked"]


def test_deleted_checks_are_put_back_and_graded(hostile_batch):
    o = hostile_batch["outcomes"]["deleted_checks"]
    assert o.status == GRADED and o.score == 7 and len(o.cells) == 7
    assert "check_2_1" in notes(hostile_batch, "deleted_checks")["restored_cells"]


def test_duplicated_cells_neither_break_grading_nor_lose_the_answer(hostile_batch):
    o = hostile_batch["outcomes"]["duplicated_cells"]
    assert o.status == GRADED and o.score == 7  # the answer was in the copy of task 2's cell
    assert "duplicated_cells" in notes(hostile_batch, "duplicated_cells")


@pytest.mark.parametrize("student,code", [
    ("invalid_file", "not_notebook"), ("empty_file", "empty_file"), ("other_lab", "wrong_lab")])
def test_unusable_files_score_zero_with_a_note(hostile_batch, student, code):
    o = hostile_batch["outcomes"][student]
    assert o.status == REJECTED and o.score == 0 and o.max_score == 7
    assert code in notes(hostile_batch, student)
    assert all(c.score == 0 for c in o.cells)
