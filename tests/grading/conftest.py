import shutil
from pathlib import Path

import pytest

from grader.config import Limits
from grader.release import release_in_copy
from grader.sandbox.policy import backend_works

# Short limits keep hostile submissions quick; lab00's solution needs about 3 s.
TEST_LIMITS = Limits(cell_timeout=6, notebook_timeout=45, memory_mb=1536, max_output_kb=256)


@pytest.fixture(scope="session")
def released_lab00(tmp_path_factory):
    """lab00 released once into a throw-away course tree; copy it, never grade in it."""
    return release_in_copy("lab00", tmp_path_factory.mktemp("released") / "course")


@pytest.fixture(scope="session")
def lab00_course(released_lab00, tmp_path_factory):
    """A throw-away course tree with lab00 released, so grading never touches grader/work/."""
    dest = tmp_path_factory.mktemp("course") / "course"
    shutil.copytree(released_lab00, dest)
    return dest


@pytest.fixture
def fresh_course(released_lab00, tmp_path):
    """A course tree of this test's own (nothing graded yet)."""
    dest = tmp_path / "course"
    shutil.copytree(released_lab00, dest)
    return dest


@pytest.fixture
def own_tmpdir():
    """A TMPDIR of this test's own, short enough for the kernels' Unix sockets (see grader.batch)."""
    import tempfile

    from grader.batch import MAX_TMPDIR

    path = tempfile.mkdtemp(prefix="gt-", dir="/tmp")
    assert len(path) <= MAX_TMPDIR
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def empty_exchange(tmp_path, monkeypatch):
    """An exchange of this test's own: the session's one may hold a release of another test."""
    path = tmp_path / "exchange"
    path.mkdir()
    monkeypatch.setenv("COURSE_EXCHANGE", str(path))
    return path


def require_bwrap():
    """Skip where bubblewrap is missing, unless CI demands the full sandbox."""
    import os

    if not backend_works("bwrap"):
        if os.environ.get("COURSE_REQUIRE_SANDBOX"):
            pytest.fail("bubblewrap가 없습니다: .ci/run 이 설치해야 합니다 (apt-get install bubblewrap).")
        pytest.skip("bubblewrap가 없어 격리 시험을 건너뜁니다 (sudo apt-get install bubblewrap).")


def pytest_configure(config):
    # The exchange is outside the course (grader.exchange): every test run gets one of its own,
    # never the machine's /srv/nbgrader/exchange or the user's.
    import os
    import tempfile

    os.environ["COURSE_EXCHANGE"] = tempfile.mkdtemp(prefix="grader-test-exchange-")
    # nbgrader 0.9.6 on SQLAlchemy 2.1 warns on every gradebook access (grader/__init__.py
    # silences it at run time; pytest resets warning filters per test).
    config.addinivalue_line("filterwarnings", "ignore::sqlalchemy.exc.SAWarning")


def pytest_unconfigure(config):
    import os

    exchange = os.environ.pop("COURSE_EXCHANGE", "")
    if "grader-test-exchange-" in exchange:
        shutil.rmtree(exchange, ignore_errors=True)


@pytest.fixture(scope="session")
def hostile_batch(released_lab00, tmp_path_factory):
    """Every hostile submission graded in one parallel batch (the batch must survive all of them)."""
    require_bwrap()
    from grader.batch import autograde_all

    from .helpers import put
    from .hostile import hostile_submissions, listening_socket

    course = tmp_path_factory.mktemp("hostile") / "course"
    shutil.copytree(released_lab00, course)
    server = listening_socket()
    subs = hostile_submissions(course, server.getsockname()[1])
    for student, content in subs.items():
        put(course, student, content)
    report = autograde_all("lab00", course, jobs=2, limits=TEST_LIMITS, backend="bwrap", progress=False)
    try:
        connected = server.accept()
    except BlockingIOError:
        connected = None
    server.close()
    return {"course": course, "report": report, "outcomes": {o.student: o for o in report.graded},
            "connected": connected, "students": set(subs)}
