"""The Lambda runtime: how invocations become running handler code on execution environments.

An execution environment ("instance") is created on demand: its INIT phase loads the handler's
module (a cold start). It then serves one invocation at a time and is reused while warm, and is
reclaimed after it has been idle for the keep-alive the policy gives, measured on the runtime's
clock. Concurrent invocations need several instances; reserved concurrency caps how many may
run at once (the rest are throttled); provisioned concurrency keeps N instances initialised
ahead of traffic.

Three isolation modes decide what an instance is (`LocalCloud.deploy(..., isolation=...)`), in
`ENVIRONMENTS`:
- "inprocess" (default): `inprocess.ExecutionEnvironment` runs the handler in the notebook's
  process (see `inprocess.py` for what keeps instances apart). Fast; Max Memory Used is the peak
  resident set of the whole host process (the notebook included), because threads of one
  process share their memory.
- "subprocess": `processes.ProcessEnvironment`, a real process per instance, so cold starts,
  memory and timeouts are real.
- "snapshot": `processes.SnapshotEnvironment`, instances forked from an initialised template
  (SnapStart-like), with Restore Duration instead of Init Duration.
All three produce the same START / END / REPORT lines and CloudWatch Logs here, with INIT_START
(RESTORE_START ... RESTORE_REPORT for a snapshot restore) first in a new instance's log stream:
Duration and Init Duration are measured with `time.perf_counter`, Billed Duration follows AWS's
rules, and a timed-out invocation reports its configured timeout, as AWS does.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import json
import os
import shutil
import tempfile
import threading
import time
import zipfile
from collections import deque
from typing import Any, Callable

from ..core.clock import Clock
from ..core.errors import MAX_RESPONSE_BYTES, FunctionNotFound, TooManyRequestsException
from .context import LambdaContext
from .inprocess import Capture, ExecutionEnvironment, Watchdog
from .keepalive import FixedKeepAlive, KeepAlivePolicy
from .logs import LogWriter, Report, billed_ms
from .models import FunctionSpec, Invocation, check_isolation, new_request_id
from .payloads import init_error_for, log_line_for, response_too_large_payload, timed_out_duration_ms
from .processes.environment import ProcessEnvironment
from .processes.snapshot import SnapshotEnvironment, SnapshotTemplates

__all__ = ["ENVIRONMENTS", "LambdaRuntime"]

# What an instance is, by isolation mode (models.ISOLATION_MODES names them).
ENVIRONMENTS: dict[str, type[ExecutionEnvironment]] = {
    "inprocess": ExecutionEnvironment,
    "subprocess": ProcessEnvironment,
    "snapshot": SnapshotEnvironment,
}

# --------------------------------------------------------------------------- code


class CodeStore:
    """Extracts each distinct deployment package once, keyed by its SHA-256."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._lock = threading.Lock()

    def folder(self, code_sha: str, code_bytes: bytes) -> str:
        safe = base64.urlsafe_b64decode(code_sha + "==").hex()[:24] if code_sha else "empty"
        target = os.path.join(self.root, safe)
        with self._lock:
            if not os.path.isdir(target):
                staging = tempfile.mkdtemp(dir=self.root)
                with zipfile.ZipFile(io.BytesIO(code_bytes)) as archive:
                    archive.extractall(staging)
                os.rename(staging, target)
        return target


# --------------------------------------------------------------------------- the runtime


class LambdaRuntime:
    """Keeps the instances of every function version and runs invocations on them."""

    def __init__(self, clock: Clock, account_id: str, region: str, keep_alive: KeepAlivePolicy | None = None) -> None:
        self.clock = clock
        self.account_id = account_id
        self.region = region
        self.keep_alive: KeepAlivePolicy = keep_alive or FixedKeepAlive()
        self.workdir = tempfile.mkdtemp(prefix="labkit-lambda-")
        self.code = CodeStore(self.workdir)
        self.watchdog = Watchdog()
        self.logs = LogWriter(account_id, region)
        self._pools: dict[tuple[str, str], list[ExecutionEnvironment]] = {}
        self._last_finished: dict[str, float] = {}
        self._lock = threading.RLock()
        self.history: deque[Invocation] = deque(maxlen=10_000)  # recent results, for labs
        self._specs: dict[int, tuple[tuple[Any, ...], dict[str, str], FunctionSpec]] = {}
        self.default_isolation = "inprocess"
        self._isolation: dict[str, str] = {}
        self._endpoint: Any = None
        self.templates = SnapshotTemplates(self)
        self._live: set[Any] = set()  # everything that owns a process, for close()
        self._live_lock = threading.Lock()
        self._backend: Any = None
        self.concurrency_watch: Callable[[str, str, int], None] | None = None  # autoscaling.py's metric

    # ---- moto lookups

    @property
    def backend(self) -> Any:
        if self._backend is None:
            from moto.awslambda.models import lambda_backends

            self._backend = lambda_backends[self.account_id][self.region]
        return self._backend

    def resolve(self, function_name: str, qualifier: str | None = None) -> Any:
        """The moto function object for a name/ARN and optional version or alias."""
        try:
            return self.backend.get_function(function_name, qualifier)
        except Exception as exc:
            # Imported only here: an import statement costs 0.6 µs, and every cloud.invoke resolves.
            from moto.awslambda.exceptions import UnknownFunctionException

            if not isinstance(exc, UnknownFunctionException):
                raise
            shown = f"{function_name}:{qualifier}" if qualifier else function_name
            from ...korean import josa

            raise FunctionNotFound(
                f"함수 {josa(shown, '을')} 찾을 수 없습니다. 이름과 버전/별칭을 확인하거나 cloud.deploy(...)로 먼저 배포하십시오."
            ) from exc

    # ---- isolation

    def set_isolation(self, function_name: str, isolation: str | None) -> None:
        """Run every version of a function "inprocess", in a "subprocess" per instance, or
        restored from a "snapshot"; None goes back to the default. Takes effect at the next
        cold start: instances of the old mode are not reused."""
        if isolation is None:
            self._isolation.pop(function_name, None)
            return
        self._isolation[function_name] = check_isolation(isolation, process_modes=True)

    def isolation_of(self, function_name: str) -> str:
        return self._isolation.get(function_name, self.default_isolation)

    def spec_for(self, fn: Any) -> FunctionSpec:
        """The spec of a moto function version, reused while nothing it is made of has changed.

        Reuse matters on the warm path: building a spec costs 3 µs, and instances compare their
        spec with the invocation's (an identical object compares at once).
        """
        isolation = self._isolation.get(fn.function_name, self.default_isolation)
        key = (
            fn.function_arn, fn.version, fn.code_sha_256, fn.handler, fn.run_time,
            fn.memory_size, fn.timeout, isolation,
        )
        cached = self._specs.get(id(fn))
        if cached is not None and cached[0] == key and cached[1] == (fn.environment_vars or {}):
            return cached[2]
        spec = FunctionSpec.from_moto(fn, isolation)
        self._specs[id(fn)] = (key, dict(fn.environment_vars or {}), spec)
        return spec

    def _new_instance(self, spec: FunctionSpec, code_dir: str, provisioned: bool) -> ExecutionEnvironment:
        return ENVIRONMENTS[spec.isolation](self, spec, code_dir, provisioned)

    @property
    def endpoint(self) -> Any:
        """The moto server that handler processes call (started on first use)."""
        with self._live_lock:
            if self._endpoint is None:
                from ..endpoint import MotoEndpoint

                self._endpoint = MotoEndpoint()
        return self._endpoint

    def snapshots(self, function_name: str | None = None) -> list[Any]:
        """The live snapshot templates (of one function, if given), for labs to inspect."""
        return self.templates.live(function_name)

    def track(self, owner: Any) -> None:
        with self._live_lock:
            self._live.add(owner)

    def untrack(self, owner: Any) -> None:
        with self._live_lock:
            self._live.discard(owner)

    # ---- instances

    def instances(self, function_name: str, version: str | None = None) -> list[ExecutionEnvironment]:
        """Live instances of a function (all versions unless one is given)."""
        with self._lock:
            return [
                inst
                for (name, ver), pool in self._pools.items()
                if name == function_name and (version is None or ver == version)
                for inst in pool
            ]

    def reclaim_idle(self) -> int:
        """Drop instances idle longer than the keep-alive; returns how many were reclaimed."""
        now = self.clock.now()
        dropped: list[ExecutionEnvironment] = []
        with self._lock:
            for (name, _), pool in self._pools.items():
                window = self.keep_alive.keep_alive_seconds(name)
                keep = [i for i in pool if i.busy or i.provisioned or now - i.last_used < window]
                dropped += [i for i in pool if i not in keep]
                pool[:] = keep
        _close_all(dropped)
        return len(dropped)

    def _acquire(self, spec: FunctionSpec, fn: Any) -> tuple[ExecutionEnvironment, bool]:
        """A warm idle instance of this version, or a new one (True: a cold start); throttles."""
        now = self.clock.now()
        stale: list[ExecutionEnvironment] = []
        try:
            with self._lock:
                pool = self._pools.setdefault((spec.name, spec.version), [])
                idle = self._sweep(pool, spec, now, stale)
                self._admit(spec, now)
                if idle is not None:
                    idle.busy = True
                    if idle.provisioned and self.concurrency_watch is not None:
                        self.concurrency_watch(spec.name, spec.version, sum(1 for i in pool if i.busy and i.provisioned))
                    return idle, False
                inst = self._new_instance(spec, self.code.folder(spec.code_sha, fn.code_bytes), provisioned=False)
                pool.append(inst)
            return inst, True
        finally:
            if stale:  # outside the lock: ending a process takes milliseconds
                _close_all(stale)

    def _sweep(self, pool: list[ExecutionEnvironment], spec: FunctionSpec, now: float, stale: list[ExecutionEnvironment]) -> ExecutionEnvironment | None:
        """The idle instance to reuse (provisioned first, as AWS routes to them before spilling
        over, then the most recently used); expired, outdated or dead ones move from `pool` to
        `stale`. One pass: this runs on every warm invoke (call with the lock held)."""
        window = self.keep_alive.keep_alive_seconds(spec.name)
        keep: list[ExecutionEnvironment] = []
        idle: ExecutionEnvironment | None = None
        for i in pool:
            if i.busy:
                keep.append(i)
            elif (i.spec is spec or i.spec == spec) and not i.dead and (i.provisioned or now - i.last_used < window):
                keep.append(i)
                if idle is None or (i.provisioned, i.last_used) > (idle.provisioned, idle.last_used):
                    idle = i
            else:
                stale.append(i)
        if stale:
            pool[:] = keep
        return idle

    def _admit(self, spec: FunctionSpec, now: float) -> None:
        """Throttle past reserved concurrency; tell the keep-alive policy how long the function
        had been idle (what adaptive policies learn from). Call with the lock held."""
        reserved = self._reserved(spec.name)
        if reserved is not None and sum(1 for i in self.instances(spec.name) if i.busy) >= reserved:
            raise TooManyRequestsException(spec.name, reserved)
        last = self._last_finished.get(spec.name)
        if last is not None:
            self.keep_alive.observe_idle(spec.name, max(0.0, now - last))

    def _reserved(self, function_name: str) -> int | None:
        try:
            value = self.backend.get_function(function_name).reserved_concurrency
        except Exception:  # deleted meanwhile
            return None
        return None if value is None else int(value)

    def _release(self, inst: ExecutionEnvironment, discard: bool) -> None:
        with self._lock:
            inst.busy = False
            inst.last_used = self._last_finished[inst.spec.name] = self.clock.now()
            if discard:
                pool = self._pools.get((inst.spec.name, inst.spec.version), [])
                if inst in pool:
                    pool.remove(inst)
        if discard:
            inst.close()

    def set_provisioned(self, fn: Any, count: int) -> list[ExecutionEnvironment]:
        """Keep `count` initialised instances of this version (created and initialised now)."""
        spec = self.spec_for(fn)
        key = (spec.name, spec.version)
        removed: list[ExecutionEnvironment] = []
        with self._lock:
            pool = self._pools.setdefault(key, [])
            have = [i for i in pool if i.provisioned and i.spec == spec and not i.dead]
            for extra in have[count:]:
                if not extra.busy:
                    pool.remove(extra)
                    removed.append(extra)
            new = [
                self._new_instance(spec, self.code.folder(spec.code_sha, fn.code_bytes), provisioned=True)
                for _ in range(max(0, count - len(have)))
            ]
            pool.extend(new)
        _close_all(removed)
        for inst in new:
            inst.initialise()
            self._release(inst, discard=inst.init_error is not None)
        return new

    # ---- invoke

    def invoke(
        self,
        fn: Any,
        payload: bytes | str | None,
        invoked_arn: str | None = None,
        request_id: str | None = None,
    ) -> Invocation:
        """Run one invocation of a resolved function version in the calling thread.

        Raises `TooManyRequestsException` when reserved concurrency is exhausted.
        """
        spec = self.spec_for(fn)
        request_id = request_id or new_request_id()
        if isinstance(payload, str):
            payload = payload.encode()
        inst, cold = self._acquire(spec, fn)
        if cold:
            try:
                inst.initialise()
            except BaseException:
                self._release(inst, discard=True)
                raise
        clock_ms = self.clock.now_millis
        events: list[tuple[int, str]] = [(clock_ms(), f"START RequestId: {request_id} Version: {spec.version}")]
        capture = Capture(request_id, clock_ms)
        init_ms = None if inst.init_reported else inst.init_duration_ms
        restore_ms = inst.restore_duration_ms if cold else None
        inst.init_reported = True
        result, error, timed_out, duration_ms, discard = self._run_on(inst, payload or b"", request_id, invoked_arn, capture)
        oversized = error is None and len(result) > MAX_RESPONSE_BYTES
        if oversized:  # the handler finished; Lambda refuses to return what it returned
            error, result = response_too_large_payload(len(result)), b""
        capture.flush()
        events.extend(capture.events)
        report = self._report(inst, request_id, error, timed_out, oversized, duration_ms, init_ms, restore_ms, events)
        inst.invocations += 1
        self._release(inst, discard)
        self._log_events(inst, request_id, report, events)
        invocation = Invocation(
            request_id=request_id,
            function_name=spec.name,
            executed_version=spec.version,
            payload=json.dumps(error).encode() if error is not None else result,
            function_error="Unhandled" if error is not None else None,
            log_lines=[message for _, message in events],
            report=report,
            cold_start=cold,
            instance_id=inst.id,
            timed_out=timed_out,
        )
        self.history.append(invocation)
        return invocation

    def _run_on(
        self, inst: ExecutionEnvironment, payload: bytes, request_id: str, invoked_arn: str | None, capture: Capture
    ) -> tuple[bytes, dict[str, Any] | None, bool, float, bool]:
        """Phase 1, the handler on the instance: (payload, error, timed out, duration ms, discard
        the instance). A failed INIT is the result (AWS retries INIT inside this invoke)."""
        spec = inst.spec
        if inst.init_error is not None:
            return b"", init_error_for(inst.init_error, request_id), False, 0.0, True
        context = LambdaContext(
            aws_request_id=request_id,
            function_name=spec.name,
            function_version=spec.version,
            invoked_function_arn=invoked_arn or spec.unqualified_arn,
            memory_limit_in_mb=str(spec.memory_mb),
            log_group_name=spec.log_group,
            log_stream_name=inst.log_stream,
            deadline_monotonic=time.monotonic() + spec.timeout_s,
        )
        try:
            result, error, timed_out, duration_ms = inst.run(payload, context, capture)
        except BaseException:
            self._release(inst, discard=True)
            raise
        # AWS resets the environment after a timeout or a crash (an exited runtime included).
        discard = timed_out or inst.dead or (error is not None and error.get("errorType") == "Runtime.ExitError")
        return result, error, timed_out, duration_ms, discard

    def _report(
        self, inst: ExecutionEnvironment, request_id: str, error: dict[str, Any] | None, timed_out: bool,
        oversized: bool, duration_ms: float, init_ms: float | None, restore_ms: float | None,
        events: list[tuple[int, str]],
    ) -> Report:
        """Phase 2, the REPORT figures; the line Lambda logs for a timeout or an error goes to
        `events` first. Figures are rounded as the line prints them; billing uses the exact ones."""
        spec = inst.spec
        status = error_type = None
        if timed_out:  # AWS names the configured timeout and reports a Duration of about that
            duration_ms = timed_out_duration_ms(duration_ms, spec.timeout_s)
            line = f"{_iso(self.clock.now())} {request_id} Task timed out after {spec.timeout_s:.2f} seconds"
            events.append((self.clock.now_millis(), line))
            status = "timeout"
        elif error is not None and not oversized:
            events.append((self.clock.now_millis(), log_line_for(error)))
            if inst.init_error is not None or error["errorType"] in _ENVIRONMENT_ERRORS:
                status, error_type = "error", error["errorType"]
                if getattr(inst, "out_of_memory", False):  # killed at its memory limit (cgroups.py)
                    error_type = "Runtime.OutOfMemory"
        return Report(
            request_id=request_id,
            duration_ms=round(duration_ms, 2),
            billed_duration_ms=billed_ms(duration_ms, init_ms),
            memory_size_mb=spec.memory_mb,
            max_memory_used_mb=inst.max_memory_used_mb(),
            init_duration_ms=None if init_ms is None else round(init_ms, 2),
            restore_duration_ms=None if restore_ms is None else round(restore_ms, 2),
            billed_restore_duration_ms=inst.billed_restore_ms if restore_ms is not None else None,
            status=status,
            error_type=error_type,
        )

    def _log_events(self, inst: ExecutionEnvironment, request_id: str, report: Report, events: list[tuple[int, str]]) -> None:
        """Phase 3: END and REPORT close the invocation's events, which go to its log stream."""
        ended = self.clock.now_millis()
        events.append((ended, f"END RequestId: {request_id}"))
        events.append((ended, report.line))
        self.logs.write(inst.spec.log_group, inst.log_stream, events)  # what write_log does, one call fewer

    def write_log(self, inst: ExecutionEnvironment, events: list[tuple[int, str]]) -> None:
        self.logs.write(inst.spec.log_group, inst.log_stream, events)

    def close(self) -> None:
        """Stop every worker process (instances, snapshot templates) and the moto endpoint."""
        self.watchdog.stop()
        with self._lock:
            instances = [i for pool in self._pools.values() for i in pool]
            self._pools.clear()
        _close_all(instances)
        self.templates.close()
        with self._live_lock:
            leftovers = list(self._live)
        for owner in leftovers:  # instances being initialised while the cloud stopped
            owner.close()
        if self._endpoint is not None:
            self._endpoint.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


# Errors of the execution environment, not of the handler: REPORT shows "Status: error".
_ENVIRONMENT_ERRORS = frozenset({"Runtime.ExitError", "SnapStartException", "SnapStartTimeoutException", "Runtime.Unknown"})


def _close_all(instances: list[ExecutionEnvironment]) -> None:
    for inst in instances:
        try:
            inst.close()
        except Exception:  # noqa: BLE001 - one stuck process must not keep the others alive
            pass


def _iso(epoch: float) -> str:
    return _dt.datetime.fromtimestamp(epoch, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
