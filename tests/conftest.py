"""Suite-wide test running: how `./course test` shares the tests between two pytest-xdist
workers, and the wall-time line that keeps the 20-minute budget visible in every CI log.

`./course test` runs `pytest -n 2 --dist loadgroup`. Each test module is one work unit (so a
module-scoped fixture, such as a batch of graded submissions, is built once, on one worker);
GROUPS ties together modules that share a session fixture or must not overlap, and the units
that take minutes are handed out first.
`./course test -n 0` (or `-p no:xdist`) runs everything in one process, as before.
"""
from __future__ import annotations

import signal
import time
from fnmatch import fnmatch

import pytest

# Modules that must run on the same worker, one after another: fnmatch patterns of their paths
# from the repository root.
GROUPS: dict[str, tuple[str, ...]] = {
    # Tests that assert on wall time or CPU share (a lab notebook within its minutes, a cgroup's
    # quota, a kill at its deadline): never two of them side by side.
    "timing": (
        "tests/labs/test_lab*_notebook.py",
        "tests/cloud/test_resource_limits.py",
        "tests/cloud/test_process_isolation.py",
        "tests/cloud/test_stepfunctions.py",
        "tests/hub/test_room_end_to_end.py",  # a hub, three learners' servers, chromium and a grading batch
    ),
    # One `mkdocs build` (the session fixture site_build) and one Chromium serve every site test.
    "site": ("tests/site/*",),
    # One parallel batch of hostile submissions (the session fixture hostile_batch).
    "hostile": ("tests/grading/test_hostile_*",),
}

# Work units that take minutes go to the workers first, so that no long one starts last while
# the other worker sits idle (the rest follow, the larger modules first). Patterns match a
# group's name; a lab added later is matched by its file name.
LONG_FIRST: tuple[str, ...] = (
    "timing",                             # every lab's notebook, run end to end
    "site",                               # mkdocs build, axe-core on every page, light and dark
    "tests/workshop/test_preflight.py",   # grades three labs' solutions
    "tests/grading/test_gradebook_postgres.py",  # a real PostgreSQL server, two graders at once
    "tests/grading/test_lab*_grading.py",  # one batch of a lab's submissions each
    "hostile",
)

SLOWEST_SHOWN = 15
_started = time.monotonic()


def group_of(nodeid: str) -> str:
    """The xdist work unit of a test: its named group, else its own module."""
    path = nodeid.split("::", 1)[0]
    for name, patterns in GROUPS.items():
        if any(fnmatch(path, pattern) for pattern in patterns):
            return name
    return path


def long_rank(group: str) -> int:
    return next((i for i, pattern in enumerate(LONG_FIRST) if fnmatch(group, pattern)), len(LONG_FIRST))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if hasattr(config, "workerinput"):  # the order xdist hands out the work units (./course test)
        groups = {item.nodeid: group_of(item.nodeid) for item in items}
        sizes: dict[str, int] = {}
        for group in groups.values():
            sizes[group] = sizes.get(group, 0) + 1
        items.sort(key=lambda item: (long_rank(groups[item.nodeid]), -sizes[groups[item.nodeid]]))


@pytest.hookimpl(optionalhook=True)  # -p no:xdist leaves the hook unknown
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadgroup` with GROUPS as the work units.

    xdist 3.8.0 finds a test's group in a suffix it writes into the test's node id, which
    pytest 9.2 no longer lets it change (pytest-xdist issue #1386): every test would be its own
    unit. This scheduler asks group_of instead, so no xdist_group mark is needed.
    """
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class CourseGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return CourseGroups(config, log)


def pytest_configure(config: pytest.Config) -> None:
    # Started as a background job of a script (`.ci/run &`), the suite inherits SIGINT ignored,
    # and so would every server and kernel it starts: the tests that stop them with Ctrl+C's
    # SIGINT then waited out their timeouts. Give the default handler back (children get SIG_DFL).
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # The slowest tests in every run's summary (CI's log too); `--durations=N` on the command
    # line still wins.
    if config.option.durations is None:
        config.option.durations = SLOWEST_SHOWN


@pytest.hookimpl(trylast=True)  # the last line of the summary, under the slowest tests
def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    seconds = time.monotonic() - _started
    workers = getattr(config.option, "numprocesses", None) or 0
    terminalreporter.write_sep(
        "=", f"suite wall time {seconds / 60:.1f} min ({seconds:.0f} s) on {workers or 1} "
             f"{'worker' if not workers else 'xdist workers'}; budget 20 min for the whole suite")
