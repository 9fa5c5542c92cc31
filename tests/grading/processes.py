"""Find what a grader started, by the temporary folder it was given (its own TMPDIR)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def leftovers(marker: str) -> list[str]:
    """Processes whose environment, command line or working folder names `marker` (a unique folder)."""
    found = []
    me = os.getpid()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == me:
            continue
        try:
            stat = (proc / "stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                continue  # a zombie holds nothing and waits only for its reaper
            texts = [(proc / "cmdline").read_bytes(), (proc / "environ").read_bytes(),
                     os.readlink(proc / "cwd").encode()]
        except (OSError, IndexError):
            continue
        if any(marker.encode() in t for t in texts):
            command = texts[0].replace(b"\0", b" ")[:120].decode(errors="replace")
            found.append(f"{proc.name}: {command}")
    return found


def wait_until_gone(marker: str, seconds: float = 15) -> list[str]:
    """The processes still there after `seconds` (an empty list as soon as none is left)."""
    deadline = time.monotonic() + seconds
    while True:
        left = leftovers(marker)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def start_grader(course: Path, tmpdir: Path, *args: str, **popen) -> subprocess.Popen:
    """`python -m grader --root course autograde ...` with `tmpdir` as its TMPDIR."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    cmd = [sys.executable, "-m", "grader", "--root", str(course), "autograde", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, **popen)


def wait_for_results(course: Path, lab: str, count: int = 1, seconds: float = 120) -> None:
    results = course / "grader/work/results" / lab
    deadline = time.monotonic() + seconds
    while not (results.is_dir() and len(list(results.glob("*.json"))) >= count):
        assert time.monotonic() < deadline, "no grade was saved in time"
        time.sleep(0.2)


def kill_all(marker: str) -> None:
    """Clean up after a failed test: kill by pid what it left."""
    for line in leftovers(marker):
        try:
            os.kill(int(line.split(":")[0]), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
