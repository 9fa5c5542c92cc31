"""Suite-wide test running: how `./course test` shares the tests between two pytest-xdist
workers, and the wall-time line that keeps the 20-minute budget visible in every CI log.

`./course test` runs `pytest -n 2 --dist loadgroup`. Each test module is one work unit (so a
module-scoped fixture, such as a batch of graded submissions, is built once, on one worker);
the groups below tie together modules that share a session fixture or must not overlap.
`./course test -n 0` (or `-p no:xdist`) runs everything in one process, as before.
"""
from __future__ import annotations

import time

import pytest

# Modules that must run on the same worker, one after another (paths from the repository root).
GROUPS: dict[str, tuple[str, ...]] = {
    # One `mkdocs build` (the session fixture site_build) and one Chromium serve every site test.
    "site": ("tests/site/",),
    # One parallel batch of hostile submissions (the session fixture hostile_batch).
    "hostile": ("tests/grading/test_hostile_",),
    # Tests that assert on wall time or CPU share (a lab notebook under a minute, a cgroup's
    # quota, a kill at its deadline): never two of them side by side.
    "timing": (
        "tests/labs/test_lab01_notebook.py",
        "tests/labs/test_lab02_notebook.py",
        "tests/cloud/test_resource_limits.py",
        "tests/cloud/test_process_isolation.py",
        "tests/cloud/test_stepfunctions.py",
    ),
}

SLOWEST_SHOWN = 15
_started = time.monotonic()


def group_of(nodeid: str) -> str:
    """The xdist work unit of a test: its named group, else its own module."""
    for name, prefixes in GROUPS.items():
        if nodeid.startswith(prefixes):
            return name
    return nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the marks (it must see ours)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(group_of(item.nodeid)))


def pytest_configure(config: pytest.Config) -> None:
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
