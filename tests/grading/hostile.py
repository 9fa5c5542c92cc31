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


# Answer code that reads the hidden test calling it and tries to get the text into the feedback.
# `_the_test()` returns the source of the nearest calling cell that holds checks, found by
# walking the frames (the leaks the review found: sys._getframe + linecache).
LEAKER = '''import sys, linecache
from labkit.checks import CheckFailed

def _the_test():
    mine = sys._getframe(0).f_code.co_filename
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        text = "".join(linecache.getlines(name))
        if name != mine and "check(" in text:
            return text[text.find("BEGIN HIDDEN"):] if "BEGIN HIDDEN" in text else text
        frame = frame.f_back
    return ""
'''
INSPECT_LEAKER = '''import inspect

def _the_test():
    for info in inspect.stack()[1:]:
        try:
            text = inspect.getsource(info.frame)
        except (OSError, TypeError):
            continue
        if "check(" in text:
            return text[text.find("BEGIN HIDDEN"):] if "BEGIN HIDDEN" in text else text
    return ""
'''
OBFUSCATED_LEAKER = '''import sys
_frame_of = getattr(sys, "_get" + "frame")
_lines_of = getattr(__builtins__, "__im" + "port__")("line" + "cache")

def _the_test():
    frame = _frame_of(2)
    while frame is not None:
        text = "".join(getattr(_lines_of, "get" + "lines")(getattr(getattr(frame, "f_" + "code"), "co_" + "filename")))
        if "check(" in text:
            return text
        frame = getattr(frame, "f_" + "back")
    return ""
'''
TRACEBACK_LEAKER = '''import traceback

def _the_test():
    lines = [f.line or "" for f in traceback.extract_stack()[:-1]]
    return " | ".join(lines[::-1])
'''
# How each leak tries to reach the feedback, given the text `t`.
EMITS = {
    "raise": "raise ValueError(t)",
    "class_name": "raise type(t.replace(chr(10), ' ')[:400] or 'x', (Exception,), {})()",
    "check_message": "raise CheckFailed('[2-2 다른 객체 읽기] ' + t)",
}


def _wrap_answers(nb, emit: str) -> None:
    """After each lab00 answer, replace its function with one that leaks the caller's test."""
    body = "\n    ".join(["t = _the_test()", emit])
    insert_after(nb, "task2_solution", f"def read_text(bucket, key):\n    {body}")
    insert_after(nb, "task3_solution", f"def list_keys(bucket, prefix=''):\n    {body}")


def leak_submissions(course: Path, lab: str) -> dict[str, nbformat.NotebookNode]:
    """Submissions of `lab` that try to put a hidden test's source or input into their feedback.

    Each but `honest_bug` and `number_channel` also reads frames or source, so each of those must be flagged.
    """
    subs: dict[str, nbformat.NotebookNode] = {}
    if lab == "lab00":
        for how, emit in EMITS.items():
            nb = insert_after(answered(course), "setup", LEAKER)
            _wrap_answers(nb, emit)
            subs[f"frames_{how}"] = nb
        for name, leaker in (("inspect_stack", INSPECT_LEAKER), ("traceback_stack", TRACEBACK_LEAKER)):
            nb = insert_after(answered(course), "setup", leaker)
            _wrap_answers(nb, EMITS["raise"])
            subs[name] = nb
        # The same walk with every telling name computed at run time.
        nb = insert_after(answered(course), "setup", OBFUSCATED_LEAKER)
        _wrap_answers(nb, EMITS["raise"])
        subs["obfuscated"] = nb
        # A value the test compares: its __eq__ raises a check failure with the test's source, so
        # the message is not wrapped by attempt().
        nb = insert_after(answered(course), "setup", LEAKER + '''
class _Sly(str):
    def __eq__(self, other):
        raise CheckFailed("[2-2 다른 객체 읽기] " + _the_test())
    __hash__ = str.__hash__
''')
        insert_after(nb, "task2_solution", "def read_text(bucket, key):\n    return _Sly('')")
        subs["sly_equality"] = nb
        # IPython keeps every cell it ran in `In`: a later visible check interpolates what
        # list_keys returns ({keys!r}), and the hidden test 2-2 ran before it.
        nb = answered(course)
        insert_after(nb, "task3_solution", "def list_keys(bucket, prefix=''):\n"
                                           "    return [c[c.find('BEGIN HIDDEN'):] for c in In if 'BEGIN HIDDEN' in c]")
        subs["input_history"] = nb
        # An honest mistake: read_text opens the key as a local file, so FileNotFoundError names
        # the key the hidden test 2-2 uses.
        nb = answered(course)
        insert_after(nb, "task2_solution", "def read_text(bucket, key):\n    return open(key, encoding='utf-8').read()")
        subs["honest_bug"] = nb
        # No frames, no source: read_text remembers the keys it is given (the hidden test 2-2's
        # too), and list_keys, which a later visible check prints, returns the first syllable of
        # the last Hangul key as a number (ord - 0xAC00). The independent check got 3668 ('메') out.
        nb = answered(course)
        insert_after(nb, "task2_solution", "_seen = []\n_real_read_text = read_text\n"
                                           "def read_text(bucket, key):\n    _seen.append(key)\n"
                                           "    return _real_read_text(bucket, key)")
        insert_after(nb, "task3_solution", "def list_keys(bucket, prefix=''):\n"
                                           "    hangul = [k for k in _seen if any('가' <= c <= '힣' for c in k)]\n"
                                           "    return ord(next(c for c in hangul[-1] if '가' <= c <= '힣')) - 0xAC00 if hangul else 0")
        subs["number_channel"] = nb
    else:
        # lab01's hidden tests call requests and the offline cloud from the kernel: patch them.
        for how in ("raise", "class_name"):
            emit = EMITS[how]
            patch = LEAKER + f'''
import requests

def _leaky(real):
    def call(*args, **kwargs):
        t = _the_test()
        if "BEGIN HIDDEN" in t:
            {emit}
        return real(*args, **kwargs)
    return call

requests.post, requests.get = _leaky(requests.post), _leaky(requests.get)
cloud.run_until_idle = _leaky(cloud.run_until_idle)
'''
            subs[f"frames_{how}"] = insert_after(answered(course, None, lab), "setup", patch)
    return subs
