"""Execution environments: how Lambda turns invocations into running handler code.

An execution environment ("instance") is created on demand: its INIT phase loads the handler's
module (a cold start). It then serves one invocation at a time and is reused while warm, and is
reclaimed after it has been idle for the keep-alive the policy gives, measured on the runtime's
clock. Concurrent invocations need several instances; reserved concurrency caps how many may
run at once (the rest are throttled); provisioned concurrency keeps N instances initialised
ahead of traffic.

Three isolation modes decide what an instance is (`LocalCloud.deploy(..., isolation=...)`):
- "inprocess" (default): `ExecutionEnvironment` here runs the handler in the notebook's process
  (see `inprocess.py` for what keeps instances apart). Fast; Max Memory Used is the peak
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
import hashlib
import io
import json
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from . import arns
from .bootstrap.labkit_bootstrap import RUNTIME_DIR as BOOTSTRAP_DIR
from .bootstrap.labkit_bootstrap import load_handler
from .clock import Clock
from .context import LambdaContext
from .credentials import fake_aws_environment
from .errors import (
    MAX_RESPONSE_BYTES,
    FunctionNotFound,
    TooManyRequestsException,
    error_payload,
    response_too_large_payload,
    exit_error_payload,
    timed_out_duration_ms,
    import_error_payload,
    log_line_for,
    timeout_payload,
)
from .inprocess import Capture, InvocationTimeout, ModuleSpace, Watchdog, current, ensure_streams
from .logs import LogWriter, Report, billed_ms

__all__ = [
    "ExecutionEnvironment",
    "FixedKeepAlive",
    "FunctionSpec",
    "Invocation",
    "KeepAlivePolicy",
    "LambdaRuntime",
]

_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))  # frames under it are the runtime's own
# What Lambda's execution role gives a function (AWS sets these three; here fake, in every mode).
_ROLE_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
ISOLATION_MODES = ("inprocess", "subprocess", "snapshot")


# --------------------------------------------------------------------------- what runs


@dataclass(frozen=True)
class FunctionSpec:
    """An immutable snapshot of a function version: what its instances are built from.

    Instances built from an older snapshot (code or configuration changed since) are never
    reused, as on AWS where an update replaces the environments.
    """

    name: str
    version: str
    unqualified_arn: str
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: float
    env: tuple[tuple[str, str], ...]
    code_sha: str
    account_id: str
    region: str
    isolation: str = "inprocess"

    @classmethod
    def from_moto(cls, fn: Any, isolation: str = "inprocess") -> "FunctionSpec":
        return cls(
            name=fn.function_name,
            version=str(fn.version),
            unqualified_arn=arns.unqualified_function_arn(fn.function_arn),
            handler=fn.handler or "",
            runtime=fn.run_time or "",
            memory_mb=int(fn.memory_size),
            timeout_s=float(fn.timeout),
            env=tuple(sorted((fn.environment_vars or {}).items())),
            code_sha=fn.code_sha_256,
            account_id=fn.account_id,
            region=fn.region,
            isolation=isolation,
        )

    @property
    def qualified_arn(self) -> str:
        return f"{self.unqualified_arn}:{self.version}"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"


@dataclass
class Invocation:
    """The outcome of one invocation: what the caller got and what Lambda logged."""

    request_id: str
    function_name: str
    executed_version: str
    payload: bytes
    function_error: str | None = None
    log_lines: list[str] = field(default_factory=list)
    report: Report | None = None
    cold_start: bool = False
    instance_id: str | None = None
    timed_out: bool = False
    status_code: int = 200

    @property
    def result(self) -> Any:
        """The payload decoded from JSON (None for an empty payload)."""
        return json.loads(self.payload) if self.payload else None

    @property
    def ok(self) -> bool:
        return self.function_error is None

    def log_result(self) -> str:
        """Base64 of the last 4 KB of the log, what `LogType="Tail"` returns."""
        text = "\n".join(self.log_lines) + "\n"
        return base64.b64encode(text.encode()[-4096:]).decode()

    def __repr__(self) -> str:
        state = "ok" if self.ok else f"error={self.function_error}"
        cold = " cold" if self.cold_start else ""
        return (
            f"<Invocation {self.function_name}:{self.executed_version} {state}{cold} "
            f"payload={self.payload[:80]!r}>"
        )


# --------------------------------------------------------------------------- keep-alive


class KeepAlivePolicy(Protocol):
    """How long an idle instance is kept before it is reclaimed."""

    def keep_alive_seconds(self, function_name: str) -> float: ...

    def observe_idle(self, function_name: str, idle_seconds: float) -> None:
        """Told, before each invocation, how long the function had been idle (for adaptive policies)."""


@dataclass
class FixedKeepAlive:
    """The same idle window for every function (AWS does not publish its own)."""

    seconds: float = 600.0

    def keep_alive_seconds(self, function_name: str) -> float:
        return self.seconds

    def observe_idle(self, function_name: str, idle_seconds: float) -> None:
        return None


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


_ids = random.Random()  # seeded from os.urandom once


_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))  # the version nibble and the variant bits
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)  # version 4, RFC 4122 variant


def new_request_id() -> str:
    """A random (version 4) UUID for a request: unique, not secret, so no urandom syscall per call.

    Formatted by hand: `str(uuid.UUID(...))` costs 1.1 µs more, 3% of a warm in-process invoke.
    """
    h = "%032x" % ((_ids.getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def day_stream_prefix(epoch: float) -> str:
    """The date part of a Lambda log stream name (YYYY/MM/DD, UTC)."""
    return f"{_dt.datetime.fromtimestamp(epoch, tz=_dt.timezone.utc):%Y/%m/%d}"


def lambda_environment(spec: FunctionSpec, code_dir: str, init_type: str, log_stream: str | None) -> dict[str, str]:
    """The environment variables Lambda sets for a function, over the function's own.

    SnapStart functions get no AWS_LAMBDA_LOG_GROUP_NAME / AWS_LAMBDA_LOG_STREAM_NAME (AWS
    documents this): pass `log_stream=None` for them.
    """
    env = dict(spec.env)
    fake = fake_aws_environment(spec.region)
    env.update({name: fake[name] for name in _ROLE_CREDENTIALS})
    env.update(
        {
            "_HANDLER": spec.handler,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": init_type,
            "LAMBDA_TASK_ROOT": code_dir,
            "LAMBDA_RUNTIME_DIR": BOOTSTRAP_DIR,  # one runtime, whatever the isolation mode
            "TZ": ":UTC",
        }
    )
    if log_stream is not None:
        env["AWS_LAMBDA_LOG_GROUP_NAME"] = spec.log_group
        env["AWS_LAMBDA_LOG_STREAM_NAME"] = log_stream
    return env


RUNTIME_VERSION_BUILD = 38  # the "v38" of python:3.12.v38: AWS's own build number, fixed here


def runtime_version_line(spec: FunctionSpec) -> str:
    """What INIT_START and RESTORE_START name: the runtime version and its ARN, as on AWS
    (`Runtime Version: python:3.12.v38\tRuntime Version ARN: arn:aws:lambda:<region>::runtime:<hash>`).

    The version follows the function's Runtime (the notebook's Python if it has none); the build
    number and the ARN's hash are made up, the same for every function of a runtime.
    """
    name = spec.runtime or f"python{sys.version_info[0]}.{sys.version_info[1]}"
    found = re.fullmatch(r"([a-z]+)(\d[\d.]*?)(?:\.x)?", name)
    label = f"{found.group(1)}:{found.group(2)}" if found else name.replace(".", ":", 1)
    label = f"{label}.v{RUNTIME_VERSION_BUILD}"
    digest = hashlib.sha256(label.encode()).hexdigest()
    return f"Runtime Version: {label}\tRuntime Version ARN: arn:aws:lambda:{spec.region}::runtime:{digest}"


def init_log_events(
    spec: FunctionSpec,
    started_ms: int,
    captured: list[tuple[int, str]],
    now: Callable[[], int],
    error: dict[str, Any] | None,
    init_duration_ms: float | None,
    *,
    restore: bool = False,
    restore_duration_ms: float | None = None,
    report_success: bool = False,
) -> list[tuple[int, str]]:
    """A new execution environment's first log lines, as Lambda writes them (every mode).

    INIT_START (RESTORE_START for a snapshot restore) at `started_ms`, what INIT (or the
    after-restore hooks) printed, then on failure the error and INIT_REPORT with its status;
    INIT_REPORT also on success with `report_success` (a SnapStart snapshot's INIT, whose Init
    Duration no REPORT line shows); RESTORE_REPORT after a restore.
    """
    phase = "RESTORE_START" if restore else "INIT_START"
    events = [(started_ms, f"{phase} {runtime_version_line(spec)}"), *captured]
    if error is not None:
        # No request exists during INIT: drop the empty "RequestId:" a process error carries.
        events.append((now(), log_line_for(error).replace("RequestId:  Error: ", "Error: ", 1)))
    if init_duration_ms is not None and (error is not None or report_success):
        line = f"INIT_REPORT Init Duration: {init_duration_ms:.2f} ms\tPhase: init"
        if error is not None:
            line += f"\tStatus: error\tError Type: {error['errorType']}"
        events.append((now(), line))
    if restore and restore_duration_ms is not None:
        line = f"RESTORE_REPORT Restore Duration: {restore_duration_ms:.2f} ms"
        if error is not None:
            kind = error.get("errorType", "")
            line += "\tStatus: timeout" if kind == "SnapStartTimeoutException" else f"\tStatus: error\tError Type: {kind}"
        events.append((now(), line))
    return events


def _max_memory_used_mb() -> int:
    # ru_maxrss is in KiB on Linux. Whole host process: see the module docstring.
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


# --------------------------------------------------------------------------- instances


class ExecutionEnvironment:
    """One instance of a function version: its own modules, environment variables and log stream.

    This class runs the handler in-process; `processes.py` subclasses it for the process modes
    (they override `initialise`, `run`, `max_memory_used_mb` and `close`).
    """

    isolation = "inprocess"

    def __init__(self, runtime: "LambdaRuntime", spec: FunctionSpec, code_dir: str, provisioned: bool) -> None:
        now = runtime.clock.now()
        self.runtime = runtime
        self.spec = spec
        self.code_dir = code_dir
        self.provisioned = provisioned
        self.id = uuid.uuid4().hex
        self.log_stream = f"{day_stream_prefix(now)}/[{spec.version}]{self.id}"
        self.created_at = now
        self.last_used = now
        self.busy = True
        self.invocations = 0
        self.space: ModuleSpace | None = None
        self.handler: Callable[[Any, Any], Any] | None = None
        self.init_duration_ms: float | None = None
        self.init_error: dict[str, Any] | None = None
        self.init_reported = provisioned  # provisioned init is not part of any invoke
        self.restore_duration_ms: float | None = None  # snapshot isolation only
        self.billed_restore_ms: int | None = None
        self.dead = False  # the instance can serve no more invocations (its process ended)
        self.env = self._environment()

    def _environment(self) -> dict[str, str]:
        if self.isolation == "snapshot":
            return lambda_environment(self.spec, self.code_dir, "snap-start", None)
        init_type = "provisioned-concurrency" if self.provisioned else "on-demand"
        return lambda_environment(self.spec, self.code_dir, init_type, self.log_stream)

    def max_memory_used_mb(self) -> int:
        """Max Memory Used for the REPORT line (in-process: the whole host process, see above)."""
        return _max_memory_used_mb()

    def close(self) -> None:
        """Release what the instance holds (nothing in-process: its modules go with it)."""
        self.dead = True

    def _write_init_log(self, capture: Capture, started_ms: int) -> None:
        """The instance's first log lines (see `init_log_events`)."""
        capture.flush()
        events = init_log_events(
            self.spec, started_ms, capture.events, self.runtime.clock.now_millis, self.init_error,
            self.init_duration_ms, restore=self.isolation == "snapshot", restore_duration_ms=self.restore_duration_ms,
        )
        self.runtime.write_log(self, events)

    # ---- INIT phase

    def initialise(self) -> None:
        """Load the handler's module (the cold start). Records an AWS-shaped error on failure."""
        self.space = ModuleSpace(self.code_dir)
        started_ms = self.runtime.clock.now_millis()
        capture = Capture("", self.runtime.clock.now_millis)
        ensure_streams()
        saved = current.capture, current.env
        current.capture, current.env = capture, self.env
        started = time.perf_counter()
        try:
            self.handler, self.init_error = self._load_handler()
        except InvocationTimeout:  # pragma: no cover - init has no watchdog
            raise
        except SystemExit as exc:  # the runtime process would end, as in the process modes
            self.init_error = exit_error_payload("", _exit_code(exc))
        except BaseException as exc:  # noqa: BLE001 - init errors are reported, never raised
            self.init_error = error_payload(exc, "", (_RUNTIME_DIR,), self.code_dir)
        finally:
            self.init_duration_ms = (time.perf_counter() - started) * 1000
            current.capture, current.env = saved
        self._write_init_log(capture, started_ms)

    def _load_handler(self) -> tuple[Callable[[Any, Any], Any] | None, dict[str, Any] | None]:
        """The handler and INIT's error payload, loaded as the worker process loads it (one
        `load_handler` for both), from this environment's private module table."""
        assert self.space is not None
        function, error, fault = load_handler(self.spec.handler, self.code_dir, self.space.load, (_RUNTIME_DIR,))
        if fault is not None:  # reported at every invoke, as AWS does
            missing_fault = _Fault(*fault)

            def missing(event: Any, context: Any) -> Any:
                raise missing_fault

            return missing, None
        return function, error

    # ---- INVOKE phase

    def run(self, payload: bytes, context: LambdaContext, capture: Capture) -> tuple[bytes, dict[str, Any] | None, bool, float]:
        """Call the handler once with the JSON `payload`; returns (payload, error, timed out, duration ms)."""
        assert self.handler is not None
        event = json.loads(payload) if payload else {}
        request_id = context.aws_request_id
        ensure_streams()
        saved = current.capture, current.env
        current.capture, current.env = capture, self.env
        deadline = self.runtime.watchdog.arm(context._deadline_monotonic)
        timed_out = False
        error: dict[str, Any] | None = None
        result: Any = None
        started = time.perf_counter()
        try:
            try:
                result = self.handler(event, context)
                if self.runtime.watchdog.disarm(deadline):
                    raise InvocationTimeout()
            except InvocationTimeout as exc:
                self.runtime.watchdog.disarm(deadline)
                mine = type(exc) is InvocationTimeout or (
                    deadline.exc_type is not None and isinstance(exc, deadline.exc_type)
                )
                if not mine:
                    raise  # an outer invocation's deadline (nested sync invoke): not ours
                timed_out = True
            except _Fault as exc:
                self.runtime.watchdog.disarm(deadline)
                error = import_error_payload(exc.kind, exc.message, request_id, exc.stack)
            except SystemExit as exc:  # sys.exit() in a handler ends Lambda's runtime process
                self.runtime.watchdog.disarm(deadline)
                error = exit_error_payload(request_id, _exit_code(exc))
            except Exception as exc:  # noqa: BLE001 - the handler's error is the result
                self.runtime.watchdog.disarm(deadline)
                error = error_payload(exc, request_id, (_RUNTIME_DIR,), self.code_dir)
            duration_ms = (time.perf_counter() - started) * 1000
        finally:
            current.capture, current.env = saved
        if not timed_out and duration_ms > self.spec.timeout_s * 1000:
            timed_out = True  # finished, but only after the deadline (blocked in C code)
        if timed_out:
            return b"", timeout_payload(request_id, self.spec.timeout_s), True, duration_ms
        if error is not None:
            return b"", error, False, duration_ms
        try:
            payload = json.dumps(result).encode()
        except (TypeError, ValueError) as exc:
            error = import_error_payload("Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id)
            return b"", error, False, duration_ms
        return payload, None, False, duration_ms


def _exit_code(exc: SystemExit) -> int:
    """The exit status `sys.exit(code)` gives a process (an int, None: 0, anything else: 1)."""
    return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)


class _Fault(Exception):
    """A runtime fault with an AWS error type (import errors, missing handler)."""

    def __init__(self, kind: str, message: str, stack: list[str] | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.stack = stack or []


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
        self._streams: set[tuple[str, str]] = set()
        self._specs: dict[int, tuple[tuple[Any, ...], dict[str, str], FunctionSpec]] = {}
        self.default_isolation = "inprocess"
        self._isolation: dict[str, str] = {}
        self._endpoint: Any = None
        self._templates: dict[tuple[str, str], Any] = {}
        self._retired_templates: list[Any] = []
        self._template_lock = threading.Lock()
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
        from moto.awslambda.exceptions import UnknownFunctionException

        try:
            return self.backend.get_function(function_name, qualifier)
        except UnknownFunctionException as exc:
            shown = f"{function_name}:{qualifier}" if qualifier else function_name
            from ..korean import josa

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
        if spec.isolation == "inprocess":
            return ExecutionEnvironment(self, spec, code_dir, provisioned)
        from .processes import ProcessEnvironment, SnapshotEnvironment

        cls = SnapshotEnvironment if spec.isolation == "snapshot" else ProcessEnvironment
        return cls(self, spec, code_dir, provisioned)

    @property
    def endpoint(self) -> Any:
        """The moto server that handler processes call (started on first use)."""
        with self._live_lock:
            if self._endpoint is None:
                from .endpoint import MotoEndpoint

                self._endpoint = MotoEndpoint()
        return self._endpoint

    def snapshot_template(self, spec: FunctionSpec, code_dir: str) -> Any:
        """The initialised template of a function version, created (INIT runs) on first need."""
        from .processes import SnapshotTemplate

        key = (spec.name, spec.version)
        with self._template_lock:
            template = self._templates.get(key)
            if template is not None and template.spec != spec:
                self._retire(template)
                template = None
            fresh = template is None
            if fresh:
                template = self._templates[key] = SnapshotTemplate(self, spec, code_dir)
        if fresh:
            try:
                template.start()
            finally:
                if template.init_error is not None:
                    with self._template_lock:
                        if self._templates.get(key) is template:
                            del self._templates[key]  # the next cold start tries again
        else:
            template.ready.wait()
        return template

    def snapshots(self, function_name: str | None = None) -> list[Any]:
        """The live snapshot templates (of one function, if given), for labs to inspect."""
        with self._template_lock:
            return [t for t in self._templates.values() if function_name is None or t.spec.name == function_name]

    def _retire(self, template: Any) -> None:
        """A template of an outdated spec: closed once its last instance has gone."""
        template.retired = True
        if template.instances:
            self._retired_templates.append(template)
        else:
            template.close()

    def template_released(self, template: Any) -> None:
        with self._template_lock:
            if template.retired and not template.instances and template in self._retired_templates:
                self._retired_templates.remove(template)
                template.close()

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
        now = self.clock.now()
        stale: list[ExecutionEnvironment] = []
        try:
            with self._lock:
                pool = self._pools.setdefault((spec.name, spec.version), [])
                window = self.keep_alive.keep_alive_seconds(spec.name)
                keep: list[ExecutionEnvironment] = []
                idle: ExecutionEnvironment | None = None
                for i in pool:  # one pass: this runs on every warm invoke
                    if i.busy:
                        keep.append(i)
                    elif (i.spec is spec or i.spec == spec) and not i.dead and (i.provisioned or now - i.last_used < window):
                        keep.append(i)
                        # Provisioned instances first (AWS routes to them before spilling over).
                        if idle is None or (i.provisioned, i.last_used) > (idle.provisioned, idle.last_used):
                            idle = i
                    else:
                        stale.append(i)
                if stale:
                    pool[:] = keep
                reserved = self._reserved(spec.name)
                if reserved is not None:
                    running = sum(1 for i in self.instances(spec.name) if i.busy)
                    if running >= reserved:
                        raise TooManyRequestsException(spec.name, reserved)
                last = self._last_finished.get(spec.name)
                if last is not None:  # idle time between invocations, what adaptive policies learn from
                    self.keep_alive.observe_idle(spec.name, max(0.0, now - last))
                if idle is not None:
                    idle.busy = True
                    if idle.provisioned and self.concurrency_watch is not None:
                        self.concurrency_watch(spec.name, spec.version, sum(1 for i in pool if i.busy and i.provisioned))
                    return idle, False
                code_dir = self.code.folder(spec.code_sha, fn.code_bytes)
                inst = self._new_instance(spec, code_dir, provisioned=False)
                pool.append(inst)
            return inst, True
        finally:
            _close_all(stale)

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
        payload = payload or b""
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
        if inst.init_error is not None:
            # A failed INIT is retried inside this invoke on AWS; the error is the result.
            error = _init_error_for(inst.init_error, request_id)
            result_payload, timed_out, duration_ms = b"", False, 0.0
            discard = True
        else:
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
                result_payload, error, timed_out, duration_ms = inst.run(payload, context, capture)
            except BaseException:
                self._release(inst, discard=True)
                raise
            # AWS resets the environment after a timeout or a crash (an exited runtime included).
            discard = timed_out or inst.dead or (error is not None and error.get("errorType") == "Runtime.ExitError")
        oversized = error is None and len(result_payload) > MAX_RESPONSE_BYTES
        if oversized:  # the handler finished; Lambda refuses to return what it returned
            error, result_payload = response_too_large_payload(len(result_payload)), b""
        capture.flush()
        events.extend(capture.events)
        status = error_type = None
        if timed_out:  # AWS names the configured timeout and reports a Duration of about that
            duration_ms = timed_out_duration_ms(duration_ms, spec.timeout_s)
            events.append((clock_ms(), f"{_iso(self.clock.now())} {request_id} Task timed out after {spec.timeout_s:.2f} seconds"))
            status = "timeout"
        elif error is not None and not oversized:
            events.append((clock_ms(), log_line_for(error)))
            if inst.init_error is not None or error["errorType"] in _ENVIRONMENT_ERRORS:
                status, error_type = "error", error["errorType"]
                if getattr(inst, "out_of_memory", False):  # killed at its memory limit (cgroups.py)
                    error_type = "Runtime.OutOfMemory"
        report = Report(  # figures rounded as the line prints them; billing uses the exact ones
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
        ended = clock_ms()
        events.append((ended, f"END RequestId: {request_id}"))
        events.append((ended, report.line))
        inst.invocations += 1
        self._release(inst, discard)
        self.write_log(inst, events)
        result = Invocation(
            request_id=request_id,
            function_name=spec.name,
            executed_version=spec.version,
            payload=json.dumps(error).encode() if error is not None else result_payload,
            function_error="Unhandled" if error is not None else None,
            log_lines=[message for _, message in events],
            report=report,
            cold_start=cold,
            instance_id=inst.id,
            timed_out=timed_out,
        )
        self.history.append(result)
        return result

    def write_log(self, inst: ExecutionEnvironment, events: list[tuple[int, str]]) -> None:
        self.write_log_stream(inst.spec.log_group, inst.log_stream, events)

    def write_log_stream(self, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        if not events:
            return
        key = (group, stream)
        if key not in self._streams:
            self.logs.ensure_stream(*key)
            self._streams.add(key)
        try:
            self.logs.put(*key, events)
        except Exception:  # the lab deleted the group or stream: create it again, as Lambda does
            self.logs.ensure_stream(*key)
            self.logs.put(*key, events)

    def close(self) -> None:
        """Stop every worker process (instances, snapshot templates) and the moto endpoint."""
        self.watchdog.stop()
        with self._lock:
            instances = [i for pool in self._pools.values() for i in pool]
            self._pools.clear()
        _close_all(instances)
        with self._template_lock:
            templates = list(self._templates.values()) + self._retired_templates
            self._templates.clear()
            self._retired_templates.clear()
        for template in templates:
            template.close()
        with self._live_lock:
            leftovers = list(self._live)
        for owner in leftovers:  # instances being initialised while the cloud stopped
            owner.close()
        if self._endpoint is not None:
            self._endpoint.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


# Errors of the execution environment, not of the handler: REPORT shows "Status: error".
_ENVIRONMENT_ERRORS = frozenset({"Runtime.ExitError", "SnapStartException", "SnapStartTimeoutException", "Runtime.Unknown"})


def _init_error_for(init_error: dict[str, Any], request_id: str) -> dict[str, Any]:
    """A recorded INIT failure as the payload of this invocation (with its request id)."""
    error = dict(init_error)
    message = error.get("errorMessage", "")
    if message.startswith("RequestId:  Error:"):  # recorded before any request existed
        error["errorMessage"] = f"RequestId: {request_id} " + message[len("RequestId:  "):]
    if "stackTrace" in error:  # the Python runtime's own shape; Runtime.ExitError has neither
        error["requestId"] = request_id
    return error


def check_isolation(isolation: str, process_modes: bool = False) -> str:
    """Validate an isolation mode name (Korean message for a wrong one).

    With `process_modes`, also that this machine can run the process modes (they need fork and
    Unix sockets: Linux or macOS, or WSL on Windows).
    """
    from .errors import CloudUsageError

    if isolation not in ISOLATION_MODES:
        raise CloudUsageError(
            f"isolation={isolation!r}는 없는 격리 방식입니다. 'inprocess', 'subprocess', 'snapshot' 중 하나를 쓰십시오."
        )
    if process_modes and isolation != "inprocess" and not hasattr(os, "fork"):
        raise CloudUsageError(
            f"isolation={isolation!r}는 Linux나 macOS에서만 쓸 수 있습니다. Windows에서는 WSL 안에서 실습을 실행하거나 "
            "isolation='inprocess'를 쓰십시오."
        )
    return isolation


def _close_all(instances: list[ExecutionEnvironment]) -> None:
    for inst in instances:
        try:
            inst.close()
        except Exception:  # noqa: BLE001 - one stuck process must not keep the others alive
            pass


def _iso(epoch: float) -> str:
    return _dt.datetime.fromtimestamp(epoch, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
