"""In-process isolation: what keeps execution environments apart inside one Python process.

Lambda gives every execution environment its own process. The in-process mode runs handlers in
the notebook's process (fast, no Docker), so it rebuilds the parts of that separation a lab can
observe, each per thread so that concurrent invocations (Step Functions Map/Parallel, a burst from
a thread pool) do not see each other:

- `ModuleSpace`: each environment loads the function's modules privately (its own module
  objects, its own globals), through an `__import__` of its own; `sys.modules` is never touched,
  so two environments of one function, or two functions that both have an `app.py`, stay apart.
  Limits: modules outside the code folder (boto3, the standard library) are shared with the host
  process, so importing them costs nothing after the first time; `importlib.import_module()` of a
  code-folder module bypasses the private import.
- `LayeredEnviron`: `os.environ` reads the invoking environment's variables first (a thread-local
  layer), then the host's; a handler that sets a variable changes only its own environment.
- `ThreadOutput` / `LambdaLogHandler`: `print` and `logging` go to the current invocation's
  capture, per thread; threads with no invocation write to the real stream as before.
- `Watchdog`: enforces the timeout by raising `InvocationTimeout` inside the handler's thread at
  the deadline. CPython delivers it at the next bytecode, so a handler blocked in C
  (`time.sleep`, a socket read) is stopped only when that call returns; either way the
  invocation is reported as timed out.
"""

from __future__ import annotations

import builtins
import ctypes
import heapq
import importlib.machinery
import importlib.util
import itertools
import json
import logging
import os
import resource
import sys
import threading
import time
import uuid
from collections.abc import Iterator, MutableMapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable

from .bootstrap.labkit_bootstrap import load_handler, log_formatter
from .logs import init_log_events
from .models import FunctionSpec, day_stream_prefix, environment_for
from .payloads import error_payload, exit_error_payload, import_error_payload, timeout_payload

if TYPE_CHECKING:
    from .context import LambdaContext
    from .runtime import LambdaRuntime

__all__ = [
    "Capture",
    "ExecutionEnvironment",
    "HostHooks",
    "InvocationTimeout",
    "LambdaLogHandler",
    "LayeredEnviron",
    "ModuleSpace",
    "ThreadOutput",
    "Watchdog",
    "current",
]

_real_import = builtins.__import__
# Frames under labkit/cloud are the local cloud's own: left out of a handler's stack trace.
_RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Current(threading.local):
    """What the current thread is running: capture buffer and environment layer."""

    capture: "Capture | None" = None
    env: "dict[str, str] | None" = None


current = _Current()


# --------------------------------------------------------------------------- modules


class ModuleSpace:
    """The private module table of one execution environment."""

    def __init__(self, code_dir: str) -> None:
        self.code_dir = code_dir
        self.modules: dict[str, ModuleType] = {}
        self._owned: dict[str, bool] = {}
        self._lock = threading.RLock()
        self.builtins: dict[str, Any] = dict(builtins.__dict__)
        self.builtins["__import__"] = self._import

    def _owns(self, top: str) -> bool:
        owned = self._owned.get(top)
        if owned is None:
            owned = importlib.machinery.PathFinder.find_spec(top, [self.code_dir]) is not None
            self._owned[top] = owned
        return owned

    def load(self, fullname: str) -> ModuleType:
        """Import `fullname` from the code folder into this space (parents first)."""
        module = self.modules.get(fullname)
        if module is not None:
            return module
        with self._lock:
            module = self.modules.get(fullname)
            if module is not None:
                return module
            parent_name, _, child = fullname.rpartition(".")
            if parent_name:
                parent = self.load(parent_name)
                search = getattr(parent, "__path__", None)
                if search is None:
                    raise ModuleNotFoundError(
                        f"No module named '{fullname}'; '{parent_name}' is not a package",
                        name=fullname,
                    )
                try:
                    spec = importlib.machinery.PathFinder.find_spec(fullname, list(search))
                except KeyError:
                    # A namespace package inside a namespace package: Python's _NamespacePath looks
                    # its parent up in sys.modules, which this space never fills. Only a namespace
                    # portion gets there (a module or regular package returns first), so build it.
                    spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
                    spec.submodule_search_locations = [os.path.join(b, child) for b in search
                                                       if os.path.isdir(os.path.join(b, child))]
            else:
                spec = importlib.machinery.PathFinder.find_spec(fullname, [self.code_dir])
            # A folder without __init__.py is a namespace package (spec without a loader, with
            # search locations): Python imports it, and so does AWS (`handler: src/api.handler`).
            namespace = spec is not None and spec.loader is None and spec.submodule_search_locations is not None
            if spec is None or (spec.loader is None and not namespace):
                raise ModuleNotFoundError(f"No module named '{fullname}'", name=fullname)
            if namespace:
                spec.submodule_search_locations = list(spec.submodule_search_locations)
            module = importlib.util.module_from_spec(spec)
            module.__dict__["__builtins__"] = self.builtins
            self.modules[fullname] = module
            try:
                if not namespace:
                    spec.loader.exec_module(module)
            except BaseException:
                self.modules.pop(fullname, None)
                raise
            if parent_name:
                setattr(self.modules[parent_name], child, module)
            return module

    def _fromlist(self, module: ModuleType, fromlist: Any) -> None:
        if not hasattr(module, "__path__"):
            return
        names = list(fromlist)
        if "*" in names:
            names = [n for n in names if n != "*"] + list(getattr(module, "__all__", []))
        for name in names:
            if not hasattr(module, name):
                try:
                    self.load(f"{module.__name__}.{name}")
                except ModuleNotFoundError:
                    pass  # `from pkg import attr` that is not a module: let Python raise

    def _import(
        self,
        name: str,
        globals: dict[str, Any] | None = None,
        locals: Any = None,
        fromlist: Any = (),
        level: int = 0,
    ) -> ModuleType:
        if level:
            package = (globals or {}).get("__package__") or ""
            base = package.rsplit(".", level - 1)[0] if level > 1 else package
            absolute = f"{base}.{name}" if name else base
            if not base or absolute.partition(".")[0] not in self.modules:
                return _real_import(name, globals, locals, fromlist, level)
            module = self.load(absolute)
            if fromlist:
                self._fromlist(module, fromlist)
            return module
        top = name.partition(".")[0]
        if not self._owns(top):
            return _real_import(name, globals, locals, fromlist, level)
        module = self.load(name)
        if fromlist:
            self._fromlist(module, fromlist)
            return module
        return self.modules[top]


# --------------------------------------------------------------------------- environment

_DELETED = object()


class LayeredEnviron(MutableMapping[str, str]):
    """`os.environ` that shows the current execution environment's variables first."""

    def __init__(self, base: MutableMapping[str, str]) -> None:
        self.base = base

    def __getitem__(self, key: str) -> str:
        layer = current.env
        if layer is not None and key in layer:
            value = layer[key]
            if value is _DELETED:
                raise KeyError(key)
            return value
        return self.base[key]

    def __setitem__(self, key: str, value: str) -> None:
        layer = current.env
        if layer is not None:
            if not isinstance(value, str):
                raise TypeError(f"str expected, not {type(value).__name__}")
            layer[key] = value
        else:
            self.base[key] = value

    def __delitem__(self, key: str) -> None:
        layer = current.env
        if layer is not None:
            if key not in self:
                raise KeyError(key)
            layer[key] = _DELETED  # type: ignore[assignment]
        else:
            del self.base[key]

    def __iter__(self) -> Iterator[str]:
        layer = current.env
        if layer is None:
            yield from self.base
            return
        for key in self.base:
            if key not in layer:
                yield key
        for key, value in list(layer.items()):
            if value is not _DELETED:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        layer = current.env
        if layer is not None and key in layer:
            return layer[key] is not _DELETED  # type: ignore[index]
        return key in self.base

    def copy(self) -> dict[str, str]:
        return dict(self.items())

    def __repr__(self) -> str:
        return f"LayeredEnviron({self.copy()!r})"


# --------------------------------------------------------------------------- output


class Capture:
    """The log events of one invocation (or one init phase), with their timestamps."""

    def __init__(self, request_id: str, clock_ms: Callable[[], int]) -> None:
        self.request_id = request_id
        self.events: list[tuple[int, str]] = []
        self._partial = ""
        self._clock_ms = clock_ms

    def write(self, text: str) -> None:
        self._partial += text
        if "\n" in self._partial:
            *lines, self._partial = self._partial.split("\n")
            now = self._clock_ms()
            self.events.extend((now, line) for line in lines)

    def event(self, message: str) -> None:
        """One log event even if it spans lines (how the runtime sends a logging record)."""
        self.flush()
        self.events.append((self._clock_ms(), message))

    def flush(self) -> None:
        if self._partial:
            self.events.append((self._clock_ms(), self._partial))
            self._partial = ""


class ThreadOutput:
    """A stand-in for sys.stdout/sys.stderr that routes writes to the thread's capture."""

    def __init__(self, target: Any) -> None:
        self.target = target

    def write(self, text: str) -> int:
        capture = current.capture
        if capture is None:
            return self.target.write(text)
        capture.write(text)
        return len(text)

    def flush(self) -> None:
        if current.capture is None:
            self.target.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


class LambdaLogHandler(logging.Handler):
    """Root-logger handler in the format of the Lambda Python runtime (text format)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(log_formatter())  # the worker process's, so the two cannot drift

    def emit(self, record: logging.LogRecord) -> None:
        capture = current.capture
        if capture is None:
            return
        record.aws_request_id = capture.request_id
        try:
            capture.event(self.format(record))
        except Exception:  # pragma: no cover - logging must never break a handler
            self.handleError(record)


# --------------------------------------------------------------------------- timeouts


class InvocationTimeout(BaseException):
    """Raised inside a handler at its deadline. BaseException so `except Exception` misses it."""


# Two separate function objects (item access does not cache): one raises, one clears.
_set_async_exc = ctypes.pythonapi["PyThreadState_SetAsyncExc"]
_set_async_exc.argtypes = [ctypes.c_ulong, ctypes.py_object]
_clear_async = ctypes.pythonapi["PyThreadState_SetAsyncExc"]
_clear_async.argtypes = [ctypes.c_ulong, ctypes.c_void_p]


class _Deadline:
    __slots__ = ("thread_id", "done", "fired", "exc_type", "lock")

    def __init__(self, thread_id: int) -> None:
        self.thread_id = thread_id
        self.done = False
        self.fired = False
        self.exc_type: type[InvocationTimeout] | None = None
        self.lock = threading.Lock()


class Watchdog:
    """One thread that interrupts handlers that run past their deadline."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="labkit-watchdog", daemon=True)
        self._thread.start()

    def arm(self, deadline_monotonic: float) -> _Deadline:
        entry = _Deadline(threading.get_ident())
        with self._cond:
            wake = not self._heap or deadline_monotonic < self._heap[0][0]
            heapq.heappush(self._heap, (deadline_monotonic, next(self._seq), entry))
            if wake:
                self._cond.notify()
        return entry

    @staticmethod
    def disarm(entry: _Deadline) -> bool:
        """Mark the invocation finished; True if the deadline had already fired."""
        with entry.lock:
            entry.done = True
        if entry.fired:
            # The exception may still be pending in this thread: clear it so it cannot fire
            # later in the runtime's own code.
            _clear_async_exc(entry.thread_id)
        return entry.fired

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                # Finished invocations leave their deadline behind: drop them here, so that
                # the thread wakes once per live deadline, not once per past invocation (a loop
                # of 10,000 fast invokes would otherwise wake it 10,000 times, 3 s later).
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                due, _, entry = self._heap[0]
                delay = due - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                with entry.lock:
                    if entry.done:
                        continue
                    entry.exc_type = type("LambdaTimeout", (InvocationTimeout,), {})
                    entry.fired = True
                    _set_async_exc(entry.thread_id, entry.exc_type)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()


def _clear_async_exc(thread_id: int) -> None:
    _clear_async(thread_id, None)


# --------------------------------------------------------------------------- installation


def ensure_streams() -> None:
    """Wrap sys.stdout/stderr again if the host replaced them (pytest does, per test phase)."""
    if type(sys.stdout) is not ThreadOutput:
        sys.stdout = ThreadOutput(sys.stdout)  # type: ignore[assignment]
    if type(sys.stderr) is not ThreadOutput:
        sys.stderr = ThreadOutput(sys.stderr)  # type: ignore[assignment]


class HostHooks:
    """Installs and removes the process-wide pieces (os.environ, stdout/stderr, root logger)."""

    def __init__(self) -> None:
        self._saved: dict[str, Any] = {}
        self.log_handler = LambdaLogHandler()

    def install(self) -> None:
        if self._saved:
            return
        self._saved = {"environ": os.environ, "stdout": sys.stdout, "stderr": sys.stderr}
        os.environ = LayeredEnviron(os.environ)  # type: ignore[assignment]
        ensure_streams()
        logging.getLogger().addHandler(self.log_handler)

    def uninstall(self) -> None:
        if not self._saved:
            return
        logging.getLogger().removeHandler(self.log_handler)
        # Unwrap what is ours; a host that swapped its streams meanwhile keeps its own.
        while isinstance(sys.stdout, ThreadOutput):
            sys.stdout = sys.stdout.target
        while isinstance(sys.stderr, ThreadOutput):
            sys.stderr = sys.stderr.target
        if isinstance(os.environ, LayeredEnviron):
            os.environ = self._saved["environ"]
        self._saved = {}


# --------------------------------------------------------------------------- the execution environment


def _max_memory_used_mb() -> int:
    # ru_maxrss is in KiB on Linux. Whole host process: see the module docstring.
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


# --------------------------------------------------------------------------- instances


class ExecutionEnvironment:
    """One instance of a function version: its own modules, environment variables and log stream.

    This class runs the handler in-process; `processes/` subclasses it for the process modes
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
        self.env = environment_for(spec, code_dir, provisioned, self.log_stream)

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
