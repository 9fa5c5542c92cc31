"""Parallel, resumable batch grading: every grade lands in the gradebook, only changes are regraded."""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
import signal
import subprocess
import sys
import time

import pytest


from grader.batch import autograde_all
from grader.config import Limits
from grader.gradebook import scores
from grader.progress import Progress
from grader.results import ERROR, GRADED, ResultStore
from grader.worker import Task, grade

from .conftest import TEST_LIMITS
from .helpers import PARTIAL_SCORES, answered, partial_answers, put, release_notebook
from .processes import kill_all, start_grader, wait_for_results, wait_until_gone


def test_parallel_batch_grades_everyone_into_the_gradebook(fresh_course):
    put(fresh_course, "full", answered(fresh_course))
    put(fresh_course, "blank", release_notebook(fresh_course))
    put(fresh_course, "partial", answered(fresh_course, partial_answers()))
    out = io.StringIO()
    report = autograde_all("lab00", fresh_course, jobs=2, limits=TEST_LIMITS, stream=out)
    got = {o.student: o.score for o in report.graded}
    assert got == {"full": 7, "blank": 0, "partial": 3}
    book = scores(fresh_course, "lab00")
    assert book["full"] == {k: 1.0 for k in PARTIAL_SCORES}
    assert book["partial"] == {k: float(v) for k, v in PARTIAL_SCORES.items()}
    # nbgrader's tools (formgrader) find the executed notebooks where they expect them.
    assert (fresh_course / "grader/work/autograded/partial/lab00/lab00.ipynb").exists()
    assert out.getvalue().count("\n") == 3 and "3/3" in out.getvalue()


def test_rerun_grades_only_what_changed_and_force_regrades_all(fresh_course):
    put(fresh_course, "a", answered(fresh_course))
    put(fresh_course, "b", release_notebook(fresh_course))
    first = autograde_all("lab00", fresh_course, jobs=2, limits=TEST_LIMITS, progress=False)
    assert len(first.graded) == 2
    again = autograde_all("lab00", fresh_course, jobs=2, limits=TEST_LIMITS, progress=False)
    assert again.graded == [] and sorted(again.skipped) == ["a", "b"]
    put(fresh_course, "b", answered(fresh_course))  # b resubmits, now right
    changed = autograde_all("lab00", fresh_course, jobs=2, limits=TEST_LIMITS, progress=False)
    assert [o.student for o in changed.graded] == ["b"] and changed.graded[0].score == 7
    assert scores(fresh_course, "lab00")["b"]["check_3_3"] == 1.0
    forced = autograde_all("lab00", fresh_course, jobs=2, limits=TEST_LIMITS, force=True, progress=False)
    assert sorted(o.student for o in forced.graded) == ["a", "b"]


def test_changed_limits_or_pipeline_mean_regrading(fresh_course):
    put(fresh_course, "a", release_notebook(fresh_course))
    autograde_all("lab00", fresh_course, jobs=1, limits=TEST_LIMITS, progress=False)
    other = TEST_LIMITS.__class__(**{**TEST_LIMITS.as_dict(), "cell_timeout": 7})
    assert len(autograde_all("lab00", fresh_course, jobs=1, limits=other, progress=False).graded) == 1


def test_a_failure_of_the_grader_is_recorded_not_raised_and_retried(fresh_course):
    bad = Task("lab00", "ghost", str(fresh_course), str(fresh_course / "no-such.db"), str(fresh_course / "stage"))
    outcome = grade(bad)
    assert outcome.status == ERROR and "no-such.db" in outcome.error
    assert outcome.notes[0].code == "grader_error"


def _start_with_sigint_ignored():
    # What a non-interactive shell does to a job it starts in the background (and some CI
    # runners to every job): Python then leaves SIGINT ignored. The grader once relied on the
    # inherited KeyboardInterrupt and, started like this, ignored the Ctrl-C and exited 0.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_ctrl_c_keeps_finished_grades_and_the_rerun_does_the_rest(fresh_course, own_tmpdir):
    # Each submission takes a few seconds (a slow answer cell), so the grader cannot finish all
    # four between the first saved grade and the Ctrl-C, however fast the machine is.
    slow = answered(fresh_course, {"task1_solution": "import time\ntime.sleep(3)"})
    for i in range(4):
        put(fresh_course, f"s{i}", slow)
    # Its own TMPDIR: what earlier runs (or other graders on this machine) left in the system's
    # temporary folder is not this test's business.
    tmpdir = own_tmpdir
    proc = start_grader(fresh_course, tmpdir, "lab00", "-j", "1", "--quiet", "--cell-timeout", "6",
                        "--notebook-timeout", "45", preexec_fn=_start_with_sigint_ignored)
    try:
        wait_for_results(fresh_course, "lab00")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "다시 실행하면 남은 것만 채점합니다" in err
        # Nothing outlived the interrupted grader: no temporary folder, no kernel (given a moment to die).
        assert not list(tmpdir.glob("grader-batch-*")), "batch folder left behind"
        assert wait_until_gone(str(tmpdir)) == [], "a kernel or a warm-kernel server outlived the interrupted grader"
    finally:
        kill_all(str(tmpdir))
    saved = ResultStore(fresh_course).all("lab00")
    assert 1 <= len(saved) < 4
    assert all(o.status == GRADED for o in saved), [o.error[-2000:] for o in saved]
    # No finished grade lost: each saved result is in the gradebook with its executed notebook.
    assert set(scores(fresh_course, "lab00")) >= {o.student for o in saved}
    assert all(o.status == GRADED for o in saved)
    for o in saved:
        assert (fresh_course / "grader/work/autograded" / o.student / "lab00/lab00.ipynb").exists()
    cli_limits = Limits(cell_timeout=6, notebook_timeout=45)  # what the command line above used
    rest = autograde_all("lab00", fresh_course, jobs=2, limits=cli_limits, progress=False)
    assert sorted(rest.skipped) == sorted(o.student for o in saved)
    assert len(rest.graded) == 4 - len(saved)


def test_progress_line_shows_count_and_time_left():
    out = io.StringIO()
    bar = Progress(4, stream=out)
    bar.advance("kim 7/7")
    line = out.getvalue()
    assert "1/4" in line and "25%" in line and "남은 시간" in line and "kim 7/7" in line


def test_the_faster_metadata_check_rejects_exactly_what_nbgrader_rejects():
    # grader.worker validates nbgrader's cell metadata without re-checking the schema each
    # time; a broken cell must still fail with the same message.
    import jsonschema
    from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

    from grader.worker import _SchemaOnce

    schema = MetadataValidatorV3().schema
    good = {"grade": True, "grade_id": "check_1_1", "locked": True, "points": 1, "schema_version": 3,
            "solution": False, "task": False}
    bad = [{**good, "points": "one"}, {**good, "schema_version": 2}, {**good, "grade": 1}]
    fast = _SchemaOnce()
    fast.validate(good, schema)
    for instance in bad:
        with pytest.raises(jsonschema.ValidationError) as slow_error:
            jsonschema.validate(instance, schema)
        with pytest.raises(jsonschema.ValidationError) as fast_error:
            fast.validate(instance, schema)
        assert fast_error.value.message == slow_error.value.message


def test_a_grader_error_that_repeats_is_not_retried_forever(fresh_course, monkeypatch):
    """The same submission failing twice with a grader error is left to the instructor, not looped."""
    from grader import batch
    from grader.results import Note, Outcome

    calls: list[str] = []

    def broken(task):
        calls.append(task.student)
        return Outcome(task.lab, task.student, ERROR, fingerprint=task.fingerprint, error="KeyError: 'grade_id'",
                       notes=[Note("grader_error", "채점기에 문제가 생겨 이 제출물을 채점하지 못했습니다.")])

    monkeypatch.setattr(batch, "grade", broken)
    put(fresh_course, "s", answered(fresh_course))
    for attempt in (1, 2):
        report = autograde_all("lab00", fresh_course, limits=TEST_LIMITS, progress=False)
        assert [o.student for o in report.errors] == ["s"] and report.errors[0].attempts == attempt
    third = autograde_all("lab00", fresh_course, limits=TEST_LIMITS, progress=False)
    assert third.graded == [] and [o.student for o in third.stuck] == ["s"] and calls == ["s", "s"]
    autograde_all("lab00", fresh_course, limits=TEST_LIMITS, progress=False, force=True)
    assert calls == ["s", "s", "s"]  # --force tries again
    put(fresh_course, "s", release_notebook(fresh_course))  # a resubmission is graded again by itself
    monkeypatch.undo()
    fresh = autograde_all("lab00", fresh_course, limits=TEST_LIMITS, progress=False)
    assert [(o.student, o.status) for o in fresh.graded] == [("s", GRADED)] and fresh.stuck == []
