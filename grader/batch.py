"""Autograde every submission of a lab in parallel, resumably.

- Parallel: a pool of worker processes, 1.5 per core by default (`default_jobs`); each grades
  in a private course copy with its own gradebook (`grader.worker`), so nbgrader's
  one-at-a-time limit (issue #174) does not apply. With bubblewrap each worker forks its
  kernels from a warm server (`grader.sandbox.warm`) instead of starting Python afresh.
- Resumable: each finished grade is merged into the gradebook and saved with a fingerprint of
  the submission at once, so Ctrl-C or a crash loses nothing finished, and the next run grades
  only what is missing, changed or failed on our side.
- Interruptible: SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal or the ssh session closed)
  get a handler of the batch's own for its duration.
  Python leaves SIGINT ignored when it starts with it ignored (a job started in the background
  by a non-interactive shell, some CI runners), so relying on the inherited KeyboardInterrupt
  once let a Ctrl-C be ignored and the batch exit 0. The handler only sets a flag, checked
  between grades, so the stop can never land half-way through saving a grade.
- Contained: a worker that dies is replaced and the others go on; a submission that fails is
  recorded as such and never stops the batch.
- Nothing outlives the grader: every worker asks the kernel to kill it when the grader dies
  (PR_SET_PDEATHSIG), and its sandboxes and kernels die with it in turn (`--die-with-parent`,
  the same request). Only SIGKILL can leave the batch's temporary folder behind; its name
  carries the grader's pid, and the next batch removes the folders of graders that are gone.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, TextIO

from .config import ROOT, SOURCE_DIR, WORK_DIR, Limits
from .final import before_batch, needs_sync, sync
from .late import load_policy
from .exchange import changed_since_collect
from .gradebook import merge, snapshot
from .progress import Progress
from .results import ERROR, Note, Outcome, ResultStore, fingerprint
from .sandbox.policy import SANDBOX_UID_BASE, Sandbox, detect_backend, die_with_parent
from .sandbox.warm import enabled as warm_enabled
from .sandbox.warm import server_for
from .worker import Task, grade


@dataclass
class BatchReport:
    lab: str
    backend: str
    graded: list[Outcome] = field(default_factory=list)   # graded in this run
    skipped: list[str] = field(default_factory=list)      # already up to date
    stuck: list[Outcome] = field(default_factory=list)    # the same grader error twice: not retried
    changed: dict[str, str] = field(default_factory=dict)  # student -> changed since collect (Korean)
    interrupted: bool = False
    signal: int = 0                                       # the signal that stopped it, if any
    seconds: float = 0.0

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.graded if o.status == ERROR]


def default_jobs() -> int:
    """Workers for a batch: one and a half per core.

    A worker alternates between its own CPU work (nbgrader, the gradebook) and waiting on its
    kernel's replies; with exactly one worker per core the cores sat idle about a fifth of
    the time (lab00, 2 cores), with 1.5 they stay busy.
    """
    cores = os.cpu_count() or 1
    return cores + cores // 2


def submissions(root: Path, lab: str) -> list[str]:
    """Students with a submitted folder for `lab`."""
    folder = Path(root) / WORK_DIR / "submitted"
    return sorted(p.parent.name for p in folder.glob(f"*/{lab}") if p.is_dir()) if folder.is_dir() else []


_slot: int | None = None
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
BATCH_PREFIX = "grader-batch-"
# A submission that met a grader error this many times in a row, unchanged, is not retried without
# --force: an error that repeats (a broken notebook the intake let through, a bug) would repeat forever.
MAX_ERROR_ATTEMPTS = 2


class Interrupted(Exception):
    """The batch was asked to stop (Ctrl-C, SIGTERM or SIGHUP); raised only between grades."""


@contextmanager
def _stop_on_signals(raise_now: bool = False) -> Iterator[threading.Event]:
    """Catch SIGINT, SIGTERM and SIGHUP for the batch, whatever was inherited; restore them after.

    The returned event is set, and `signum` recorded on it, when one arrives. With `raise_now`
    (one submission graded in this process, where waiting for the notebook to end could take
    minutes) the handler also raises KeyboardInterrupt. Off the main thread signals cannot be
    caught: the event then never fires and the caller's own handling applies.
    """
    stop = threading.Event()
    stop.signum = 0  # type: ignore[attr-defined]
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum, frame):
        stop.signum = signum  # type: ignore[attr-defined]
        stop.set()
        if raise_now:
            raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _init_worker(slots, tmpdir: str, warm: tuple | None = None, parent: int | None = None) -> None:
    # Ctrl-C and a closed terminal reach the whole process group; they are the parent's to
    # handle: it keeps what finished and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _exit_with_parent(parent)
    # Everything a worker (and its kernels) makes goes under the batch folder, which the parent
    # removes even when it had to kill the worker.
    tempfile.tempdir = tmpdir
    global _slot
    _slot = slots.get()
    if warm:  # start the warm-kernel server now: its imports overlap the first submission's set-up
        backend, limits, uid = warm
        server_for(Sandbox(backend, Limits(**limits), uid=None if uid is None else SANDBOX_UID_BASE + _slot))


def _exit_with_parent(parent: int | None = None) -> None:
    """Ask Linux to kill this process when its parent dies (SIGKILL of the grader included).

    If the parent is already gone (it died between fork and this call), exit now.
    """
    die_with_parent()
    if parent is not None and os.getppid() != parent:
        os._exit(1)


# A warm kernel's sockets sit four folders below the batch folder
# (grader-batch-…/grader-warm-…/grader-kernel-…/sock/k-4, 82 characters), and a Unix socket's
# path has at most 107 bytes: a longer TMPDIR (macOS, a deep CI folder) falls back to /tmp.
MAX_TMPDIR = 24


def _batch_parent() -> str:
    base = tempfile.gettempdir()
    if len(base) > MAX_TMPDIR and os.access("/tmp", os.W_OK | os.X_OK):
        return "/tmp"
    return base


def pid_alive(pid: int) -> bool:
    """Whether a process `pid` exists (another account's counts too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_batches(tmpdir: Path | None = None) -> list[Path]:
    """Remove batch folders left by a grader that was killed (SIGKILL, power loss); return them."""
    removed = []
    for folder in Path(tmpdir or tempfile.gettempdir()).glob(f"{BATCH_PREFIX}*-*"):
        pid = folder.name[len(BATCH_PREFIX):].split("-", 1)[0]
        try:
            owner = folder.lstat().st_uid
        except OSError:
            continue
        if pid.isdigit() and owner == os.geteuid() and folder.is_dir() and not folder.is_symlink() \
                and not pid_alive(int(pid)):
            _remove(folder)
            removed.append(folder)
    return removed


def _run(task: Task) -> Outcome:
    if task.uid is not None and _slot is not None:
        task.uid = SANDBOX_UID_BASE + _slot  # each worker's kernels get a uid of their own
    return grade(task)


def autograde_all(lab: str, root: Path = ROOT, *, students: list[str] | None = None, jobs: int | None = None,
                  force: bool = False, limits: Limits | None = None, backend: str | None = None,
                  progress: bool = True, stream: TextIO | None = None) -> BatchReport:
    """Grade the submissions of `lab` under `root` that are missing, changed or failed before."""
    started = time.monotonic()
    root = Path(root).resolve()
    limits = limits or Limits()
    backend = detect_backend(backend)
    report = BatchReport(lab, backend)
    policy = load_policy(root)  # a broken grader/grading.toml stops the batch before anything is graded
    store = ResultStore(root)
    available = submissions(root, lab)
    chosen = list(students) if students else available
    missing = sorted(set(chosen) - set(available))
    if missing:
        raise FileNotFoundError(f"{lab} 제출물이 없는 학생입니다: {', '.join(missing)} "
                                f"({root / WORK_DIR / 'submitted'} 아래에 <학생>/{lab}/ 폴더가 있어야 합니다)")
    report.changed = {s: msg for s in chosen if (msg := changed_since_collect(root, lab, s))}
    for msg in report.changed.values():
        print(f"[경고] {msg}", file=stream or sys.stderr)
    todo: list[tuple[str, str]] = []
    failed_before: dict[str, int] = {}  # student -> grader errors in a row on this same submission
    for student in chosen:
        fp = fingerprint(root / WORK_DIR / "submitted" / student / lab, root / SOURCE_DIR / lab, limits.as_dict())
        previous = store.load(lab, student)
        same = previous is not None and previous.fingerprint == fp
        if same and previous.status == ERROR:
            failed_before[student] = previous.attempts or 1
        if not force and same and previous.status != ERROR:
            report.skipped.append(student)
        elif not force and same and previous.status == ERROR and failed_before[student] >= MAX_ERROR_ATTEMPTS:
            report.stuck.append(previous)  # a third try would fail the same way: the instructor decides
        else:
            todo.append((student, fp))
    if not todo:
        report.seconds = time.monotonic() - started
        return report

    touched = before_batch(root, lab)  # formgrader's manual scores, before their notebooks are replaced
    remove_stale_batches(Path(_batch_parent()))
    staging = root / WORK_DIR / ".staging" / lab
    uid = SANDBOX_UID_BASE if backend == "bwrap" and os.geteuid() == 0 else None
    # Warm kernels pay off over many submissions per worker; one submission graded here gets a cold one.
    warm = backend == "bwrap" and len(todo) > 1 and warm_enabled()
    batch = Path(tempfile.mkdtemp(prefix=f"{BATCH_PREFIX}{os.getpid()}-", dir=_batch_parent()))
    try:  # the folder goes whatever happens next (a missing gradebook, a signal, a bug)
        template = snapshot(root, batch / "template.db", lab)
    except BaseException:
        _remove(batch)
        raise
    tasks = {student: Task(lab, student, str(root), str(template), str(staging / student), fp,
                           limits.as_dict(), backend, uid, warm) for student, fp in todo}
    bar = Progress(len(tasks), enabled=progress, stream=stream)

    def finish(outcome: Outcome) -> None:
        if outcome.status == ERROR and stop is not None and stop.is_set() and len(tasks) == 1:
            return  # graded here, the signal itself may have caused the error: grade it again next time
        if outcome.student in report.changed:  # graded, but not as the student handed it in: say so
            outcome.flagged = True
            outcome.notes.append(Note("changed_after_collect", "제출물이 모은 뒤에 바뀌어 강사가 직접 확인합니다."))
        if outcome.status == ERROR:
            outcome.attempts = failed_before.get(outcome.student, 0) + 1
        if outcome.status != ERROR:
            merge(root, outcome, policy.tz)
            _place_autograded(root, staging / outcome.student, lab, outcome.student)
        store.save(outcome)  # last: a crash before this only means grading it again
        if outcome.status != ERROR and needs_sync(root, lab, outcome.student, touched, policy):
            sync(root, lab, [outcome.student], adopt=False)  # manual scores that still apply, late penalty
        report.graded.append(outcome)
        shown = "채점 오류" if outcome.status == ERROR else f"{outcome.score:g}/{outcome.max_score:g}"
        bar.advance(f"{outcome.student} {shown}")

    jobs = max(1, min(jobs or default_jobs(), len(tasks)))
    stop: threading.Event | None = None
    try:
        with _stop_on_signals(raise_now=len(tasks) == 1) as stop:
            # One submission runs here (tests, pre-flight, release check); a batch always runs in
            # workers, which ignore Ctrl-C: only this process handles it, between grades.
            if len(tasks) == 1:
                for task in tasks.values():
                    finish(grade(task))
                if stop.is_set():
                    raise Interrupted
            else:
                _run_pool(tasks, jobs, finish, batch, stop)
    except (Interrupted, KeyboardInterrupt):
        report.interrupted = True
        report.signal = (stop.signum if stop is not None else 0) or signal.SIGINT
    finally:
        bar.close()
        _remove(batch)
        _remove(staging)
    # A sandbox that could not start a kernel says why (grader.sandbox.kernel.start_failure): once is enough.
    why = {line.strip() for o in report.errors for line in o.error.splitlines() if line.strip().startswith("[격리 환경]")}
    for line in sorted(why)[:3]:
        print(line, file=stream or sys.stderr)
    report.seconds = time.monotonic() - started
    return report


def _run_pool(tasks: dict[str, Task], jobs: int, finish, tmpdir: Path, stop: threading.Event) -> None:
    """Run `tasks` on `jobs` processes; a pool broken by a dying worker is rebuilt, twice at most.

    Raises `Interrupted` once `stop` is set, after saving every grade that had finished.
    """
    # fork starts workers with the grader already imported; elsewhere (macOS) it is not safe.
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    pending = dict(tasks)
    tries = {s: 0 for s in tasks}
    while pending:
        if stop.is_set():
            raise Interrupted
        slots = ctx.Queue()
        for i in range(jobs):
            slots.put(i)
        first = next(iter(tasks.values()))
        warm = (first.backend, first.limits, first.uid) if first.warm else None
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(pending)), mp_context=ctx,
                                   initializer=_init_worker, initargs=(slots, str(tmpdir), warm, os.getpid()))
        futures = {pool.submit(_run, task): student for student, task in pending.items()}
        broken = False
        try:
            waiting = set(futures)
            while waiting:
                # A signal handler cannot wake wait() (the lock wait is retried, PEP 475): poll.
                done, waiting = wait(waiting, timeout=0.25, return_when=FIRST_COMPLETED)
                for fut in done:
                    student = futures[fut]
                    try:
                        outcome = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        tries[student] += 1
                        continue
                    del pending[student]
                    finish(outcome)
                if stop.is_set():
                    raise Interrupted
        except (Interrupted, KeyboardInterrupt):
            _stop(pool)
            raise
        pool.shutdown(wait=not broken, cancel_futures=True)
        if broken:
            for student in [s for s in pending if tries[s] >= 2]:
                task = pending.pop(student)
                finish(Outcome(task.lab, student, ERROR, fingerprint=task.fingerprint, backend=task.backend,
                               error="worker process died twice",
                               notes=[Note("grader_error", "채점기에 문제가 생겨 이 제출물을 채점하지 못했습니다. 강사가 다시 채점합니다.")]))


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now; their kernels die with them (PR_SET_PDEATHSIG, --die-with-parent)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        try:
            proc.kill()
        except (OSError, ValueError):
            pass
    for proc in processes:
        try:
            proc.join(timeout=10)  # gone before its folder is removed
        except (OSError, ValueError, AssertionError):
            pass


def _remove(folder: Path) -> None:
    """Remove `folder`, retrying while dying sandboxes may still drop a file into it."""
    for _ in range(20):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.1)


def _place_autograded(root: Path, staged: Path, lab: str, student: str) -> None:
    """Move the worker's autograded folder to where nbgrader's tools (formgrader) look for it."""
    target = root / WORK_DIR / "autograded" / student / lab
    if not staged.is_dir():
        return
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, target)
