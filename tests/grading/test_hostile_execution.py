"""Submissions that hang, crash or exhaust resources: each is graded, the batch goes on.

All of them come from one parallel batch (the `hostile_batch` fixture). Each hostile cell sits
after task 1's checks in an otherwise fully correct notebook, so the scores show exactly what
the hostile part cost and nothing more.
"""
from __future__ import annotations

import nbformat
import pytest

from grader.results import GRADED


def outcome(batch, student):
    return batch["outcomes"][student]


def notes(batch, student):
    return {n.code: n.text for n in outcome(batch, student).notes}


def test_every_submission_was_graded_and_none_failed_the_grader(hostile_batch):
    report = hostile_batch["report"]
    assert {o.student for o in report.graded} == hostile_batch["students"]
    assert report.errors == [], [o.error[-500:] for o in report.errors]
    assert outcome(hostile_batch, "full").score == 7


def test_infinite_loop_is_interrupted_and_the_rest_still_counts(hostile_batch):
    o = outcome(hostile_batch, "infinite_loop")
    assert o.score == 7
    assert "6초" in notes(hostile_batch, "infinite_loop")["cell_timeout"]


def test_a_kernel_that_ignores_the_interrupt_is_stopped(hostile_batch):
    o = outcome(hostile_batch, "stuck_kernel")
    assert o.score == 2  # task 1 was checked before the hostile cell
    assert "kernel_stuck" in notes(hostile_batch, "stuck_kernel")
    assert {c.status for c in o.cells if c.score == 0} == {"not_run"}


@pytest.mark.parametrize("student", ["os_exit", "segfault"])
def test_a_dying_kernel_keeps_earlier_marks_and_zeroes_the_rest(hostile_batch, student):
    o = outcome(hostile_batch, student)
    assert o.status == GRADED and o.score == 2
    assert "커널이 멈췄습니다" in notes(hostile_batch, student)["kernel_died"]
    not_run = [c for c in o.cells if c.grade_id.startswith(("check_2", "check_3"))]
    assert all(c.score == 0 and c.status == "not_run" for c in not_run)
    assert "실행하지 않았습니다" in not_run[0].message


def test_memory_bomb_hits_the_memory_limit_not_the_machine(hostile_batch):
    assert "1536 MB" in notes(hostile_batch, "memory_bomb")["memory_limit"]
    assert outcome(hostile_batch, "memory_bomb").status == GRADED


def test_fork_bomb_hits_the_process_limit(hostile_batch):
    assert "process_limit" in notes(hostile_batch, "fork_bomb")
    assert outcome(hostile_batch, "fork_bomb").score == 7


def test_100_mb_of_output_is_cut_to_the_limit(hostile_batch):
    o = outcome(hostile_batch, "output_flood")
    assert o.score == 7 and "256 KB" in notes(hostile_batch, "output_flood")["output_truncated"]
    path = hostile_batch["course"] / "grader/work/autograded/output_flood/lab00/lab00.ipynb"
    assert path.stat().st_size < 2 * 2**20  # not 100 MB
    text = "".join(o_.get("text", "") for c in nbformat.read(path, as_version=4).cells
                   for o_ in c.get("outputs", []))
    assert "출력이" in text and "버렸습니다" in text
