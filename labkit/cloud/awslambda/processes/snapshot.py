"""Snapshot isolation (SnapStart-like): instances forked from an initialised template process.

`SnapshotTemplates` keeps one `SnapshotTemplate` per function version (its zygote runs INIT once,
then the before-snapshot hooks); a `SnapshotEnvironment` is an instance restored from it.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from .. import cgroups
from ..bootstrap.labkit_bootstrap import encode_frame
from ..inprocess import Capture
from ..logs import init_log_events
from ..models import FunctionSpec, day_stream_prefix, environment_for
from ..payloads import exit_error_payload, import_error_payload
from .channel import WorkerChannel, WorkerGone, WorkerTimeout
from .environment import ProcessEnvironment, exit_code, read_output, spawn_worker, worker_environment

if TYPE_CHECKING:
    from ..runtime import LambdaRuntime

__all__ = ["RESTORE_TIMEOUT_S", "SNAPSHOT_INIT_TIMEOUT_S", "SnapshotEnvironment", "SnapshotTemplate", "SnapshotTemplates"]

SNAPSHOT_INIT_TIMEOUT_S = 130.0  # AWS: 130 s (or the function timeout, if longer) to create a snapshot
RESTORE_TIMEOUT_S = 10.0  # AWS: the runtime must load and run after-restore hooks within 10 s


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
        # Starts the moto endpoint first: not part of INIT.
        env = worker_environment(self.runtime, environment_for(self.spec, self.code_dir, False, self.log_stream), self.spec.region)
        started_ms = self.runtime.clock.now_millis()
        capture = Capture("", self.runtime.clock.now_millis)
        started = time.perf_counter()
        self._process, self.channel, self._output = spawn_worker(self.runtime, self.spec, self.code_dir, "template", env)
        self.runtime.track(self)
        limit = max(SNAPSHOT_INIT_TIMEOUT_S, self.spec.timeout_s)
        try:
            self.init_error = self.channel.recv_until("ready", time.monotonic() + limit, capture)[2]
        except WorkerTimeout:
            self.init_error = import_error_payload(
                "SnapStartTimeoutException", f"Snapshot INIT did not finish within {limit:.0f} seconds."
            )
        except WorkerGone:
            self.init_error = exit_error_payload("", exit_code(self._process.wait()))
        self.init_duration_ms = (time.perf_counter() - started) * 1000
        read_output(self._output, 0, self.runtime.clock.now_millis(), capture)
        # For SnapStart functions AWS reports Init Duration in INIT_REPORT, not in any REPORT line.
        events = init_log_events(
            self.spec, started_ms, capture.events, self.runtime.clock.now_millis, self.init_error,
            self.init_duration_ms, report_success=True,
        )
        self.runtime.logs.write(self.spec.log_group, self.log_stream, events)
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


class SnapshotTemplates:
    """The snapshot templates of a runtime, one per function version: created (INIT runs) on
    first need, retired when the version's spec changes, closed once their last instance has gone."""

    def __init__(self, runtime: "LambdaRuntime") -> None:
        self.runtime = runtime
        self._templates: dict[tuple[str, str], SnapshotTemplate] = {}
        self._retired: list[SnapshotTemplate] = []
        self._lock = threading.Lock()

    def get(self, spec: FunctionSpec, code_dir: str) -> SnapshotTemplate:
        """The initialised template of a function version, created on first need."""
        key = (spec.name, spec.version)
        with self._lock:
            template = self._templates.get(key)
            if template is not None and template.spec != spec:
                self._retire(template)
                template = None
            fresh = template is None
            if fresh:
                template = self._templates[key] = SnapshotTemplate(self.runtime, spec, code_dir)
        assert template is not None
        if not fresh:
            template.ready.wait()
            return template
        try:
            template.start()
        finally:
            if template.init_error is not None:
                self._forget(key, template)  # the next cold start tries again
        return template

    def _forget(self, key: tuple[str, str], template: SnapshotTemplate) -> None:
        with self._lock:
            if self._templates.get(key) is template:
                del self._templates[key]

    def live(self, function_name: str | None = None) -> list[SnapshotTemplate]:
        """The live templates (of one function, if given)."""
        with self._lock:
            return [t for t in self._templates.values() if function_name is None or t.spec.name == function_name]

    def _retire(self, template: SnapshotTemplate) -> None:
        """A template of an outdated spec: closed once its last instance has gone (lock held)."""
        template.retired = True
        if template.instances:
            self._retired.append(template)
        else:
            template.close()

    def released(self, template: SnapshotTemplate) -> None:
        """An instance of `template` has closed: close a retired template it was the last of."""
        with self._lock:
            if template.retired and not template.instances and template in self._retired:
                self._retired.remove(template)
                template.close()

    def close(self) -> None:
        """Stop every template (each zygote kills and reaps its instances)."""
        with self._lock:
            templates = list(self._templates.values()) + self._retired
            self._templates.clear()
            self._retired.clear()
        for template in templates:
            template.close()


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
        template = self.runtime.templates.get(self.spec, self.code_dir)
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
            self.runtime.templates.released(self.template)
