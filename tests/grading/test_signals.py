"""A grader that is stopped by a signal leaves no process and no temporary folder behind.

SIGHUP is what a closed terminal or a dropped ssh session sends (to the whole process group);
SIGKILL is a crash or the OOM killer. Each run gets a TMPDIR of its own, so the test looks only
at what this grader made.
"""
from __future__ import annotations

import os
import signal

import pytest

from grader.batch import BATCH_PREFIX, autograde_all, remove_stale_batches
from grader.results import GRADED, ResultStore

from .conftest import TEST_LIMITS
from .helpers import answered, put
from .processes import kill_all, start_grader, wait_for_results, wait_until_gone

SLOW = {"task1_solution": "import time\ntime.sleep(3)"}  # each submission takes a few seconds


def _submit(course, count=4):
    for i in range(count):
        put(course, f"s{i}", answered(course, SLOW))


@pytest.mark.parametrize("how", ["hup_group", "hup_parent", "kill_parent"])
def test_a_signal_leaves_no_process_and_no_folder(fresh_course, own_tmpdir, how):
    _submit(fresh_course)
    tmpdir = own_tmpdir
    proc = start_grader(fresh_course, tmpdir, "lab00", "-j", "2", "--quiet", "--cell-timeout", "6",
                        "--notebook-timeout", "45", start_new_session=True)
    try:
        wait_for_results(fresh_course, "lab00")
        if how == "hup_group":
            os.killpg(proc.pid, signal.SIGHUP)  # the terminal closed
        elif how == "hup_parent":
            proc.send_signal(signal.SIGHUP)
        else:
            proc.kill()
        _, err = proc.communicate(timeout=60)
        left = wait_until_gone(str(tmpdir))
        assert left == [], f"{how}: processes outlived the grader: {left}"
        if how == "kill_parent":
            assert proc.returncode == -signal.SIGKILL
        else:
            assert proc.returncode == 128 + signal.SIGHUP, err
            assert "[중단]" in err and "다시 실행하면 남은 것만 채점합니다" in err
            assert not list(tmpdir.glob(f"{BATCH_PREFIX}*")), "batch folder left behind"
        saved = ResultStore(fresh_course).all("lab00")
        assert saved and all(o.status == GRADED for o in saved)
    finally:
        kill_all(str(tmpdir))


def test_the_next_batch_removes_the_folder_a_killed_grader_left(fresh_course, tmp_path):
    tmpdir = tmp_path / "own-tmp"
    tmpdir.mkdir()
    dead = tmpdir / f"{BATCH_PREFIX}999999999-abc"  # no such pid
    dead.mkdir()
    (dead / "template.db").write_bytes(b"x")
    alive = tmpdir / f"{BATCH_PREFIX}{os.getpid()}-def"  # a grader still running
    alive.mkdir()
    other = tmpdir / f"{BATCH_PREFIX}not-a-pid"
    other.mkdir()
    assert remove_stale_batches(tmpdir) == [dead]
    assert not dead.exists() and alive.exists() and other.exists()


def test_a_failed_autograde_leaves_no_batch_folder(fresh_course, tmp_path, monkeypatch):
    import tempfile

    from grader.gradebook import GradebookError

    put(fresh_course, "a", answered(fresh_course))
    put(fresh_course, "b", answered(fresh_course))
    (fresh_course / "grader/work/gradebook.db").unlink()  # as before `release`: the snapshot fails
    own = tmp_path / "own-tmp"
    own.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own))
    with pytest.raises(GradebookError):
        autograde_all("lab00", fresh_course, jobs=2, limits=TEST_LIMITS, progress=False)
    assert list(own.iterdir()) == []
