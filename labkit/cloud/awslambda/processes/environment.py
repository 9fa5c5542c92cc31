"""Subprocess isolation: an execution environment that is one worker process, and how worker
processes (instances and snapshot templates) are spawned.
"""

from __future__ import annotations

import os
import signal
import site
import socket
import subprocess
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any

from .. import cgroups
from ..bootstrap.labkit_bootstrap import RUNTIME_DIR as BOOTSTRAP_DIR
from ..inprocess import Capture, ExecutionEnvironment
from ..models import FunctionSpec
from ..payloads import exit_error_payload, timeout_payload
from .channel import WorkerChannel, WorkerGone, WorkerTimeout

if TYPE_CHECKING:
    from ..context import LambdaContext
    from ..runtime import LambdaRuntime

__all__ = ["INIT_TIMEOUT_S", "ProcessEnvironment", "python_executable", "spawn_worker", "worker_environment"]

_BOOT = f"import sys;sys.path[0]={BOOTSTRAP_DIR!r};import labkit_bootstrap as b;b.main()"
INIT_TIMEOUT_S = 10.0  # AWS: the INIT phase of an on-demand function gets 10 s


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


def spawn_worker(runtime: "LambdaRuntime", spec: FunctionSpec, code_dir: str, mode: str, env: dict[str, str]) -> tuple["subprocess.Popen[bytes]", WorkerChannel, Any]:
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


def read_output(output: Any, position: int, now_ms: int, capture: Capture) -> int:
    """Append what the process wrote to fd 1/2 since `position` to `capture`; the new position."""
    fd = output.fileno()
    size = os.fstat(fd).st_size
    if size <= position:
        return position
    data = os.pread(fd, size - position, position)
    for line in data.decode("utf-8", "replace").splitlines():
        capture.events.append((now_ms, line))
    return size


def exit_code(status: int | None) -> int:
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

    # ---- INIT

    def _spawn(self, mode: str, env: dict[str, str]) -> None:
        self._process, self.channel, self._output = spawn_worker(self.runtime, self.spec, self.code_dir, mode, env)
        self.pid = self._process.pid
        self.cgroup = cgroups.confine(self.pid, self.spec.memory_mb)  # memory limit from the start
        self.runtime.track(self)

    def _await_ready(self, capture: Capture, deadline: float, request_id: str = "") -> tuple[tuple | None, dict[str, Any] | None]:
        """Read frames until the worker is ready: (its "ready" frame, error payload or None)."""
        assert self.channel is not None
        try:
            frame = self.channel.recv_until("ready", deadline, capture)
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
        env = worker_environment(self.runtime, self.env, self.spec.region)  # starts the moto endpoint: not part of the cold start
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
            frame = self.channel.recv_until("done", deadline, capture, self._note_memory)
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

    def _note_memory(self, frame: tuple) -> None:
        if frame[0] == "memory":  # the handler is ending the process (sys.exit): its last peak
            self.peak_kb = frame[1]

    def max_memory_used_mb(self) -> int:
        if self.peak_kb is None:
            return 0
        return int(self.peak_kb // 1024)

    # ---- output written below Python (C extensions, child processes of the handler)

    def _collect_output(self, capture: Capture) -> None:
        if self._output is not None:
            self._output_read = read_output(self._output, self._output_read, self.runtime.clock.now_millis(), capture)

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
            return exit_code(self._process.wait(timeout=5))
        except subprocess.TimeoutExpired:
            self._process.kill()
            return exit_code(self._process.wait())

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
