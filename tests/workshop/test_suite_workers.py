"""`./course test` on two xdist workers: a test module, or a group of tests/conftest.py, runs on one
worker (its module- and session-scoped fixtures are built once), and the summary shows the time."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from workshop.start import ROOT

RECORD = """
import os, pathlib
def record(name):
    out = pathlib.Path(os.environ["WORKERS_OUT"])
    (out / name).write_text(os.environ.get("PYTEST_XDIST_WORKER", "main"))
"""


def module(tag: str, count: int) -> str:
    tests = "".join(f"\ndef test_{i}():\n    record('{tag}-{i}')\n" for i in range(count))
    return RECORD + tests


def test_a_module_and_a_named_group_each_run_on_one_worker(tmp_path):
    tree = tmp_path / "suite"
    (tree / "tests" / "site").mkdir(parents=True)
    (tree / "tests" / "cloud").mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", tree / "tests" / "conftest.py")
    (tree / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    # Two site modules (the "site" group shares one mkdocs build) and two plain modules.
    (tree / "tests" / "site" / "test_one.py").write_text(module("site1", 6))
    (tree / "tests" / "site" / "test_two.py").write_text(module("site2", 6))
    (tree / "tests" / "cloud" / "test_a.py").write_text(module("a", 8))
    (tree / "tests" / "cloud" / "test_b.py").write_text(module("b", 8))
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup",
                           "--no-loadscope-reorder", "-p", "no:cacheprovider", "-q"],
                          cwd=tree, env={**os.environ, "WORKERS_OUT": str(out)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ran = {p.name: p.read_text() for p in out.iterdir()}
    assert len(ran) == 28 and set(ran.values()) <= {"gw0", "gw1"}, ran
    workers = {prefix: {w for name, w in ran.items() if name.startswith(prefix)} for prefix in ("site", "a-", "b-")}
    assert all(len(w) == 1 for w in workers.values()), workers  # each unit on one worker
    assert workers["site"] != workers["a-"], workers  # the first two units go to the two workers
    assert "suite wall time" in proc.stdout and "slowest 15 durations" in proc.stdout
