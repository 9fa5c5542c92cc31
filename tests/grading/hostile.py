"""Hostile and broken lab00 submissions, graded together in one batch with short limits.

Each entry: student id -> how to build the submission. Unless it says otherwise, a submission
has every answer right, so any point it loses is the hostile part's doing (or the sandbox's).
"""
from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path

import nbformat

from grader.config import ROOT

from .helpers import answered, insert_after, release_notebook

MARK = uuid.uuid4().hex[:8]  # names this run's escape attempts so the test can look for them


def hostile_submissions(course: Path, port: int) -> dict[str, object]:
    outside = [str(course / "grader" / "work" / f"pwned-{MARK}.txt"), str(ROOT / f"pwned-{MARK}.txt"),
               f"/tmp/pwned-{MARK}.txt", str(Path.home() / f"pwned-{MARK}.txt")]
    secrets = [str(course / "grader" / "work" / "gradebook.db"), str(ROOT / "solutions" / "lab00" / "lab00.ipynb"),
               str(course / "solutions" / "lab00" / "lab00.ipynb"),
               str(course / "grader" / "work" / "submitted" / "full" / "lab00" / "lab00.ipynb"),
               str(ROOT / "grader" / "work" / "gradebook.db")]
    subs: dict[str, object] = {}
    full = lambda: answered(course)  # noqa: E731

    subs["full"] = full()
    subs["infinite_loop"] = insert_after(full(), "check_1_2", "while True:\n    pass")
    subs["stuck_kernel"] = insert_after(full(), "check_1_2",
                                        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")
    subs["os_exit"] = insert_after(full(), "check_1_2", "import os\nos._exit(3)")
    subs["segfault"] = insert_after(full(), "check_1_2", "import ctypes\nctypes.string_at(0)")
    subs["memory_bomb"] = insert_after(full(), "check_1_2",
                                       "hog = []\nwhile True:\n    hog.append(bytearray(64 * 2**20))")
    subs["fork_bomb"] = insert_after(full(), "check_1_2",
                                     "import os, time\nwhile True:\n    if os.fork() == 0:\n"
                                     "        time.sleep(120)\n        os._exit(0)")
    subs["output_flood"] = insert_after(full(), "check_1_2",
                                        "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 2**20)")
    subs["network"] = insert_after(full(), "check_1_2",
                                   f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)")
    subs["write_outside"] = insert_after(full(), "check_1_2",
                                         "import os\nfor p in " + json.dumps(outside) + ":\n    try:\n"
                                         "        open(p, 'w').write('pwned')\n        print('WROTE', p)\n"
                                         "    except OSError as exc:\n        print('blocked', p, type(exc).__name__)\n"
                                         "open('/etc/passwd-pwned', 'w')")
    subs["read_secrets"] = insert_after(full(), "check_1_2",
                                        "for p in " + json.dumps(secrets) + ":\n    try:\n"
                                        "        print('READ', p, open(p, 'rb').read()[:20000])\n"
                                        "    except OSError as exc:\n        print('blocked', p, type(exc).__name__)\n"
                                        "open(" + json.dumps(secrets[0]) + ", 'rb')")
    cheat = full()
    insert_after(cheat, "setup", "check = lambda *args, **kwargs: None  # every check passes")
    for cell in cheat.cells:  # ...and no answer at all
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = "pass"
    subs["fake_checks"] = cheat

    edited = answered(course, {})
    for cell in edited.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "check_1_1":
            cell.source = "pass  # the check is gone"
    subs["edited_check"] = edited
    deleted = full()
    deleted.cells = [c for c in deleted.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") not in ("check_2_1", "check_3_2")]
    subs["deleted_checks"] = deleted
    dup = answered(course, {k: v for k, v in _answers().items() if k != "task2_solution"})
    idx = next(i for i, c in enumerate(dup.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "task2_solution")
    copy_of_answer = nbformat.from_dict(json.loads(json.dumps(dup.cells[idx])))
    copy_of_answer.source = _answers()["task2_solution"]
    copy_of_answer["id"] = "copy-task2"
    dup.cells.insert(idx + 1, copy_of_answer)
    check_idx = next(i for i, c in enumerate(dup.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "check_1_1")
    copy_of_check = nbformat.from_dict(json.loads(json.dumps(dup.cells[check_idx])))
    copy_of_check["id"] = "copy-check"
    dup.cells.insert(check_idx + 1, copy_of_check)
    subs["duplicated_cells"] = dup

    subs["invalid_file"] = b'{"cells": [ {"cell_type": "code", '
    subs["empty_file"] = b""
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    other.cells[0].metadata["nbgrader"] = {"grade": True, "grade_id": "lab99_check", "locked": True, "points": 3,
                                           "schema_version": 3, "solution": False, "task": False}
    subs["other_lab"] = other
    subs["blank"] = release_notebook(course)
    return subs


def _answers() -> dict[str, str]:
    from .helpers import solution_answers

    return solution_answers()


def listening_socket() -> socket.socket:
    """A TCP server on this machine's loopback: the sandbox must not reach it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    return server
