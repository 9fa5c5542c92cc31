"""Subprocess and snapshot isolation: execution environments that are real processes.

`subprocess`: every instance is its own Python process (`bootstrap/labkit_bootstrap.py`, started
with the venv interpreter by path and `-S`). Its cold start is real: Init Duration runs from
just before the process is spawned until the handler's module is loaded and the runtime says
ready, interpreter start-up and imports included. A warm invoke is one round trip over a Unix
socket. Max Memory Used is the process's own peak RSS. A timeout kills the process
(`Task timed out after N.NN seconds`, N.NN the configured timeout); the next invoke is a cold start.

`snapshot` (SnapStart-like): a template process runs INIT once, then the before-snapshot hooks
of `snapshot-restore-py`, and waits as a zygote. Each instance is `os.fork()`ed from it (the
"restore"): the child runs the after-restore hooks and serves invocations. The zygote keeps one
child forked ahead (a spare) whose socket it hands to this process, so a restore is one message
to the spare; a burst beyond it forks on demand. The REPORT line shows Restore Duration (from
the restore request until the instance is ready) and Billed Restore Duration
(the after-restore part, as AWS bills "loading the runtime and running the hooks"), never Init
Duration. The zygote is started by this module and forks with `os.fork` directly, not through
`multiprocessing`'s forkserver, which silently drops its preload for modules on a
runtime-added `sys.path` entry and so re-imports everything in each child.

Handler code in these processes reaches the same moto state as the notebook through
`endpoint.MotoEndpoint`, with fake credentials and that local endpoint only.

Where AWS differs (and the course says so):
- memory is measured but not limited (no `Runtime.OutOfMemory`), and CPU is not scaled with it;
- a restored instance is a fork of a live process, not a microVM snapshot: threads started
  during INIT do not survive it; sockets opened during INIT are replaced by unconnected ones, so
  clients reconnect (AWS also gives no guarantee for connections across a restore); the
  `random` module's state is restored as a snapshot would restore it (fork alone would re-seed);
- SnapStart applies here to every version, $LATEST included (AWS: published versions only);
- a failing after-restore hook is returned as a function error of type SnapStartException (AWS
  fails the Invoke API call itself with SnapStartException, HTTP 400);
- an INIT that outlives its 10 s is reported as `Runtime.Unknown`, not retried in the invoke.
"""

from __future__ import annotations

import collections
import math
import os
import select
import signal
import site
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from . import cgroups
from .bootstrap.labkit_bootstrap import RUNTIME_DIR as BOOTSTRAP_DIR
from .bootstrap.labkit_bootstrap import encode_frame, take_frame
from .errors import exit_error_payload, import_error_payload, timeout_payload
from .execution import ExecutionEnvironment, FunctionSpec, day_stream_prefix, init_log_events, lambda_environment
from .inprocess import Capture

if TYPE_CHECKING:
    from .context import LambdaContext
    from .execution import LambdaRuntime

__all__ = ["ProcessEnvironment", "SnapshotEnvironment", "SnapshotTemplate", "WorkerChannel", "INIT_TIMEOUT_S"]

_BOOT = f"import sys;sys.path[0]={BOOTSTRAP_DIR!r};import labkit_bootstrap as b;b.main()"
INIT_TIMEOUT_S = 10.0  # AWS: the INIT phase of an on-demand function gets 10 s
SNAPSHOT_INIT_TIMEOUT_S = 130.0  # AWS: 130 s (or the function timeout, if longer) to create a snapshot
RESTORE_TIMEOUT_S = 10.0  # AWS: the runtime must load and run after-restore hooks within 10 s
SPIN_SECONDS = 0.0002  # how long recv() polls before it blocks (see WorkerChannel.recv)


def python_executable() -> str:
    """The interpreter of this venv, by path: a pyenv shim would add ~60 ms to every cold start."""
    return sys.executable


def _base_environment() -> dict[str, str]:
    """The little a worker process inherits from the notebook's environment.

    Nothing else is passed on: the notebook's variables may hold real credentials or proxies.
    NO_PROXY keeps the local endpoint off any proxy (and on macOS keeps urllib from asking the
    system configuration, which is not safe to use across fork).
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    if sys.platform == "darwin":
        env["OBJC_DISABLE_INITIALIZE_FORK_SAFETY"] = "YES"
    return env


def worker_environment(runtime: "LambdaRuntime", lambda_env: dict[str, str], region: str) -> dict[str, str]:
    """A worker process's whole environment: the little it inherits, Lambda's variables, fake
    credentials and the local moto endpoint only, and where site-packages are (for -S).

    Nothing else of the notebook's environment is passed on (it may hold real secrets).
    """
    env = _base_environment()
    env.update(lambda_env)
    env.update(runtime.endpoint.child_environment(region))
    env["LABKIT_SITE_DIRS"] = _site_dirs()
    return env


def _site_dirs() -> str:
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return os.pathsep.join(d for d in dirs if os.path.isdir(d))


class WorkerGone(Exception):
    """The worker process closed its socket (it exited or crashed)."""


class WorkerTimeout(Exception):
    """No answer from the worker before the deadline."""


class WorkerChannel:
    """The parent's end of a worker's socket: framed `marshal` messages, reads with a deadline.

    With `fds=True` reads also collect file descriptors passed as SCM_RIGHTS (a plain read
    would drop them), in arrival order, in `self.fds`: the zygote's channel carries spares.
    """

    def __init__(self, sock: socket.socket, *, fds: bool = False) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.buffer = bytearray()
        self._poll = select.poll()
        self._poll.register(self.fd, select.POLLIN)
        self._chunk = bytearray(1 << 16)  # reused: a fresh 256 KiB bytes per read costs µs
        self.fds: collections.deque[int] | None = collections.deque() if fds else None

    def send(self, message: tuple) -> None:
        try:
            self.sock.sendall(encode_frame(message))
        except OSError as exc:  # EPIPE / ECONNRESET: the process has gone
            raise WorkerGone() from exc

    def send_with_fds(self, message: tuple, fds: list[int]) -> None:
        socket.send_fds(self.sock, [encode_frame(message)], fds)

    def recv(self, deadline: float | None) -> tuple:
        """The next frame; raises WorkerTimeout at `deadline` (monotonic), WorkerGone on EOF."""
        spin_until = None
        buffer = self.buffer
        while True:
            message = take_frame(buffer)
            if message is not None:
                return message
            if spin_until is None:
                spin_until = time.perf_counter() + SPIN_SECONDS
            if time.perf_counter() < spin_until:
                # A warm worker usually answers within tens of µs: polling for a moment saves
                # the scheduler's wake-up of a blocked parent, a large part of the round trip.
                if self._poll.poll(0):
                    self._read()
                continue
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._poll.poll(math.ceil(remaining * 1000)):
                    if deadline - time.monotonic() <= 0:
                        raise WorkerTimeout()
                    continue
            self._read()

    def _read(self) -> None:
        """One read from the socket into the buffer; WorkerGone on EOF."""
        try:
            if self.fds is None:
                count = os.readv(self.fd, [self._chunk])
                data: Any = self._chunk[:count] if count < len(self._chunk) else self._chunk
            else:
                data, fds, _, _ = socket.recv_fds(self.sock, len(self._chunk), 8)
                self.fds.extend(fds)
                count = len(data)
        except OSError as exc:
            raise WorkerGone() from exc
        if not count:
            raise WorkerGone()
        self.buffer += data

    def poll_frame(self) -> tuple | None:
        """A frame that has already arrived, or None: never waits."""
        while True:
            message = take_frame(self.buffer)
            if message is not None:
                return message
            if not self._poll.poll(0):
                return None
            self._read()

    def close(self) -> None:
        if self.fds:
            for fd in self.fds:
                os.close(fd)
            self.fds.clear()
        self.sock.close()


def _spawn_worker(runtime: "LambdaRuntime", spec: FunctionSpec, code_dir: str, mode: str, env: dict[str, str]) -> tuple["subprocess.Popen[bytes]", WorkerChannel, Any]:
    """Start `bootstrap/labkit_bootstrap.py` for a function: (process, channel, output file).

    fd 1 and 2 of the process go to a file of its own (what C code or a child process of the
    handler writes); Python-level output comes over the socket, one frame per line.
    """
    parent_end, child_end = socket.socketpair()
    output = tempfile.TemporaryFile(dir=runtime.workdir)
    try:
        process = subprocess.Popen(
            [python_executable(), "-S", "-c", _BOOT, str(child_end.fileno()), code_dir,
             spec.handler, mode, repr(runtime.clock.offset)],
            pass_fds=[child_end.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            cwd=code_dir,
            env=env,
        )
    except BaseException:
        parent_end.close()
        output.close()
        raise
    finally:
        child_end.close()
    return process, WorkerChannel(parent_end, fds=mode == "template"), output


def _read_output(output: Any, position: int, now_ms: int, capture: Capture) -> int:
    """Append what the process wrote to fd 1/2 since `position` to `capture`; the new position."""
    fd = output.fileno()
    size = os.fstat(fd).st_size
    if size <= position:
        return position
    data = os.pread(fd, size - position, position)
    for line in data.decode("utf-8", "replace").splitlines():
        capture.events.append((now_ms, line))
    return size


def _exit_code(status: int | None) -> int:
    """A wait status (or Popen return code) as an exit code; negative for a signal."""
    if status is None:
        return -signal.SIGKILL
    return status


def _peak_kb_of(pid: int) -> int | None:
    """VmHWM of a live process (read before a timeout kill, for the REPORT line)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


class ProcessEnvironment(ExecutionEnvironment):
    """An execution environment that is one worker process (subprocess isolation)."""

    isolation = "subprocess"
    bootstrap_mode = "on-demand"

    def __init__(self, runtime: "LambdaRuntime", spec: FunctionSpec, code_dir: str, provisioned: bool) -> None:
        super().__init__(runtime, spec, code_dir, provisioned)
        self.pid: int | None = None
        self.channel: WorkerChannel | None = None
        self.peak_kb: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._output: Any = None  # file that fd 1/2 of the process write to
        self._output_read = 0
        self._closed = False
        self.cgroup: cgroups.Cgroup | None = None  # CPU and memory limits (cgroups.py), if any
        self.out_of_memory = False

    # ---- environment

    def process_environment(self) -> dict[str, str]:
        """Lambda's variables for this instance, fake credentials and the local endpoint only.

        Nothing else of the notebook's environment is passed on (it may hold real secrets).
        """
        return worker_environment(self.runtime, self.env, self.spec.region)

    # ---- INIT

    def _spawn(self, mode: str, env: dict[str, str]) -> None:
        self._process, self.channel, self._output = _spawn_worker(self.runtime, self.spec, self.code_dir, mode, env)
        self.pid = self._process.pid
        self.cgroup = cgroups.confine(self.pid, self.spec.memory_mb)  # memory limit from the start
        self.runtime.track(self)

    def _await_ready(self, capture: Capture, deadline: float, request_id: str = "") -> tuple[tuple | None, dict[str, Any] | None]:
        """Read frames until the worker is ready: (its "ready" frame, error payload or None)."""
        assert self.channel is not None
        try:
            while True:
                frame = self.channel.recv(deadline)
                if frame[0] == "log":
                    capture.events.append((frame[1], frame[2]))
                elif frame[0] == "ready":
                    return frame, frame[2]
        except WorkerTimeout:
            self._kill()
            seconds = deadline - self._phase_started
            return None, {
                "errorType": "Runtime.Unknown" if self.isolation == "subprocess" else "SnapStartTimeoutException",
                "errorMessage": f"RequestId: {request_id} Error: INIT phase timed out after {seconds:.2f} seconds"
                if self.isolation == "subprocess"
                else f"Restore did not finish within {seconds:.0f} seconds.",
                "requestId": request_id,
                "stackTrace": [],
            }
        except WorkerGone:
            code = self._wait()
            return None, exit_error_payload(request_id, code)

    def initialise(self) -> None:
        """Start the process and wait until the handler is loaded (the measured cold start)."""
        env = self.process_environment()  # starts the moto endpoint first: not part of the cold start
        started_ms = self.runtime.clock.now_millis()
        capture = Capture("", self.runtime.clock.now_millis)
        self._phase_started = started = time.perf_counter()
        self._spawn(self.bootstrap_mode, env)
        _, error = self._await_ready(capture, time.monotonic() + INIT_TIMEOUT_S)
        self.init_duration_ms = (time.perf_counter() - started) * 1000
        cgroups.throttle(self.cgroup)  # the CPU quota starts after INIT
        self._collect_output(capture)
        if error is not None:
            self.init_error = error
            self.dead = True
        self._write_init_log(capture, started_ms)

    # ---- INVOKE

    def run(self, payload: bytes, context: "LambdaContext", capture: Capture) -> tuple[bytes, dict[str, Any] | None, bool, float]:
        assert self.channel is not None
        request_id = context.aws_request_id
        deadline = context._deadline_monotonic
        started = time.perf_counter()
        try:
            self.channel.send(
                ("invoke", request_id, context.invoked_function_arn, deadline, self.runtime.clock.offset, payload)
            )
            while True:
                frame = self.channel.recv(deadline)
                if frame[0] == "log":
                    capture.events.append((frame[1], frame[2]))
                elif frame[0] == "done":
                    break
                elif frame[0] == "memory":  # the handler is ending the process (sys.exit)
                    self.peak_kb = frame[1]
        except WorkerTimeout:
            self.peak_kb = (_peak_kb_of(self.pid) if self.pid else None) or self.peak_kb
            self._kill()
            elapsed = time.perf_counter() - started
            self._collect_output(capture)
            return b"", timeout_payload(request_id, self.spec.timeout_s), True, elapsed * 1000
        except WorkerGone:
            code = self._wait()
            cgroups.exited(self)  # over its memory: Runtime.OutOfMemory in REPORT
            elapsed_ms = (time.perf_counter() - started) * 1000
            self._collect_output(capture)
            return b"", exit_error_payload(request_id, code), False, elapsed_ms
        _, result, error, duration_ms, self.peak_kb = frame
        if self._output is not None and os.fstat(self._output.fileno()).st_size > self._output_read:
            self._collect_output(capture)
        return result, error, False, duration_ms

    def max_memory_used_mb(self) -> int:
        if self.peak_kb is None:
            return 0
        return int(self.peak_kb // 1024)

    # ---- output written below Python (C extensions, child processes of the handler)

    def _collect_output(self, capture: Capture) -> None:
        if self._output is not None:
            self._output_read = _read_output(self._output, self._output_read, self.runtime.clock.now_millis(), capture)

    # ---- ending

    def _end_process(self) -> None:
        """Kill and reap the process, for `close` (a restored instance is the zygote's child)."""
        if self._process is not None:
            self._kill()
            self._wait()

    def _kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            try:
                self._process.kill()
            except ProcessLookupError:
                pass

    def _wait(self) -> int:
        """Reap the process; its exit code (negative: killed by that signal)."""
        self.dead = True
        assert self._process is not None
        try:
            return _exit_code(self._process.wait(timeout=5))
        except subprocess.TimeoutExpired:
            self._process.kill()
            return _exit_code(self._process.wait())

    def close(self) -> None:
        """Kill and reap the process; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._end_process()
        cgroups.release(self.cgroup)
        self.dead = True
        if self.channel is not None:
            self.channel.close()
        if self._output is not None:
            self._output.close()
            self._output = None
        self.runtime.untrack(self)


# --------------------------------------------------------------------------- snapshot


class SnapshotTemplate:
    """The initialised process that restored instances are forked from (one per function version)."""

    def __init__(self, runtime: "LambdaRuntime", spec: FunctionSpec, code_dir: str) -> None:
        self.runtime = runtime
        self.spec = spec
        self.code_dir = code_dir
        self.id = uuid.uuid4().hex
        self.log_stream = f"{day_stream_prefix(runtime.clock.now())}/[{spec.version}]{self.id}"
        self.init_duration_ms: float | None = None
        self.init_error: dict[str, Any] | None = None
        self.instances: set[int] = set()  # pids of live restored instances
        self.retired = False
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self.channel: WorkerChannel | None = None
        self._output: Any = None
        self._spare: tuple[int, socket.socket] | None = None  # a forked child waiting to be an instance

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Run INIT and the before-snapshot hooks in a fresh process (the snapshot is taken).

        Other threads wait on `ready`; it is set however this ends.
        """
        try:
            self._start()
        except BaseException as exc:
            if self.init_error is None:
                self.init_error = import_error_payload("SnapStartException", f"The snapshot could not be created: {exc}")
            self.close()
            raise
        finally:
            self.ready.set()

    def _start(self) -> None:
        env = self._environment()  # starts the moto endpoint first: not part of INIT
        started_ms = self.runtime.clock.now_millis()
        capture = Capture("", self.runtime.clock.now_millis)
        started = time.perf_counter()
        self._process, self.channel, self._output = _spawn_worker(self.runtime, self.spec, self.code_dir, "template", env)
        self.runtime.track(self)
        limit = max(SNAPSHOT_INIT_TIMEOUT_S, self.spec.timeout_s)
        try:
            while True:
                frame = self.channel.recv(time.monotonic() + limit)
                if frame[0] == "log":
                    capture.events.append((frame[1], frame[2]))
                elif frame[0] == "ready":
                    self.init_error = frame[2]
                    break
        except WorkerTimeout:
            self.init_error = import_error_payload(
                "SnapStartTimeoutException", f"Snapshot INIT did not finish within {limit:.0f} seconds."
            )
        except WorkerGone:
            self.init_error = exit_error_payload("", _exit_code(self._process.wait()))
        self.init_duration_ms = (time.perf_counter() - started) * 1000
        _read_output(self._output, 0, self.runtime.clock.now_millis(), capture)
        # For SnapStart functions AWS reports Init Duration in INIT_REPORT, not in any REPORT line.
        events = init_log_events(
            self.spec, started_ms, capture.events, self.runtime.clock.now_millis, self.init_error,
            self.init_duration_ms, report_success=True,
        )
        self.runtime.write_log_stream(self.spec.log_group, self.log_stream, events)
        if self.init_error is not None:
            self.close()
            return
        # The zygote forks its first spare at once: wait for it (about a fork, ~1.5 ms), so that
        # the first restore is as fast as the later ones, as after SnapStart's publish step.
        with self._lock:
            try:
                deadline = time.monotonic() + 2.0
                while not self._take(self.channel.recv(deadline)):
                    pass
            except (WorkerGone, WorkerTimeout):
                pass  # no spare (the fork failed): restores fork on demand

    def _environment(self) -> dict[str, str]:
        return worker_environment(self.runtime, lambda_environment(self.spec, self.code_dir, "snap-start", None), self.spec.region)

    def _take(self, frame: tuple) -> bool:
        """Keep a spare the zygote handed over; True if `frame` was that (call with the lock held)."""
        if frame[0] != "spare":
            return False
        assert self.channel is not None and self.channel.fds
        link = socket.socket(fileno=self.channel.fds.popleft())
        if self._spare is not None:
            self._spare[1].close()  # not expected: the zygote forks one spare at a time
        self._spare = (frame[1], link)
        return True

    def fork(self, output_fd: int) -> tuple[WorkerChannel, int | None]:
        """A restored instance: our end of its socket, and the pid of the spare it was (or None).

        With a spare at hand the request goes straight to it (one message, no hop through the
        zygote); otherwise the zygote forks on demand. The instance itself says "ready" (with its
        pid) on its socket. A failed restore closes that socket.
        """
        with self._lock:
            if self.channel is None:
                raise WorkerGone()
            while (frame := self.channel.poll_frame()) is not None:
                self._take(frame)
            spare, self._spare = self._spare, None
        offset = self.runtime.clock.offset
        if spare is not None:
            pid, link = spare
            try:
                socket.send_fds(link, [encode_frame(("assign", offset))], [output_fd])
                return WorkerChannel(link), pid
            except OSError:  # the spare has gone: ask the zygote for a fork instead
                link.close()
        parent_end, child_end = socket.socketpair()
        try:
            with self._lock:
                if self.channel is None:
                    raise WorkerGone()
                self.channel.send_with_fds(("fork", offset), [child_end.fileno(), output_fd])
        finally:
            child_end.close()
        return WorkerChannel(parent_end), None

    def spare_used(self, pid: int) -> None:
        """Tell the zygote its spare became an instance, so that it forks the next one."""
        with self._lock:
            if self.channel is not None:
                try:
                    self.channel.send(("used", pid))
                except WorkerGone:
                    pass

    def reap(self, pid: int) -> int:
        """Exit code of a restored instance that has ended (the zygote is its parent)."""
        self.instances.discard(pid)
        with self._lock:
            if self.channel is None:
                return -signal.SIGKILL
            try:
                self.channel.send(("reap", pid))
                deadline = time.monotonic() + 5
                while self._take(reply := self.channel.recv(deadline)):
                    pass
            except (WorkerGone, WorkerTimeout):
                return -signal.SIGKILL
        status = reply[2]
        return -signal.SIGKILL if status is None else os.waitstatus_to_exitcode(status)

    def close(self) -> None:
        """Stop the zygote; it kills and reaps any instance still alive."""
        with self._lock:
            if self._spare is not None:
                self._spare[1].close()  # the spare sees EOF and exits (the zygote kills it anyway)
                self._spare = None
            if self.channel is not None:
                try:
                    self.channel.send(("exit",))
                except WorkerGone:
                    pass
                self.channel.close()
                self.channel = None
        if self._process is not None and self._process.returncode is None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._output is not None:
            self._output.close()
            self._output = None
        self.instances.clear()
        self.runtime.untrack(self)


class SnapshotEnvironment(ProcessEnvironment):
    """An instance restored from a `SnapshotTemplate` (snapshot isolation)."""

    isolation = "snapshot"
    bootstrap_mode = "template"

    def __init__(self, runtime: "LambdaRuntime", spec: FunctionSpec, code_dir: str, provisioned: bool) -> None:
        super().__init__(runtime, spec, code_dir, provisioned)
        self.init_reported = True  # a restored instance never reports Init Duration
        self.template: SnapshotTemplate | None = None
        self.from_spare = False  # restored from the zygote's forked spare (else forked on demand)

    def initialise(self) -> None:
        """Restore: fork from the template (created first if needed), run after-restore hooks."""
        template = self.runtime.snapshot_template(self.spec, self.code_dir)
        if template.init_error is not None:
            self.init_error = dict(template.init_error)
            self.dead = True
            return
        self.template = template
        started_ms = self.runtime.clock.now_millis()
        capture = Capture("", self.runtime.clock.now_millis)
        self._output = tempfile.TemporaryFile(dir=self.runtime.workdir)
        self._phase_started = started = time.perf_counter()
        try:
            self.channel, spare = template.fork(self._output.fileno())
        except WorkerGone:
            self.init_error = import_error_payload("SnapStartException", "The snapshot could not be restored.")
            self.dead = True
            return
        self.runtime.track(self)
        ready, error = self._await_ready(capture, time.monotonic() + RESTORE_TIMEOUT_S)
        self.restore_duration_ms = (time.perf_counter() - started) * 1000
        if spare is not None:
            self.from_spare = True
            template.spare_used(spare)  # after the restore: the next fork must not compete with it
        if ready is not None:
            self.pid = ready[3]
            template.instances.add(self.pid)
            self.cgroup = cgroups.confine(self.pid, self.spec.memory_mb)
            cgroups.throttle(self.cgroup)
            self.billed_restore_ms = max(1, math.ceil(ready[1]))
        self._collect_output(capture)
        if error is not None:
            self.init_error = error
            self.dead = True
        self._write_init_log(capture, started_ms)  # RESTORE_START ... RESTORE_REPORT

    def _kill(self) -> None:
        if self.pid is not None and not self.dead:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _wait(self) -> int:
        self.dead = True
        if self.pid is None or self.template is None:
            return -signal.SIGKILL
        pid, self.pid = self.pid, None
        return self.template.reap(pid)

    def _end_process(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._wait()

    def close(self) -> None:
        closed_before = self._closed
        super().close()
        if not closed_before and self.template is not None:
            self.runtime.template_released(self.template)
