"""The Lambda runtime inside a worker process (subprocess and snapshot isolation).

The parent (`labkit/cloud/awslambda/processes/`) starts this with the venv interpreter and `-S`:

    python -S -c "import sys; sys.path[0] = BOOTSTRAP_DIR; import labkit_bootstrap as b; b.main()" \
        FD TASK_ROOT HANDLER MODE CLOCK_OFFSET

with the site-packages folders in the environment variable LABKIT_SITE_DIRS (os.pathsep-separated).

This file plays the part of Lambda's `/var/runtime/bootstrap.py`: it loads the handler (INIT),
then serves one invocation at a time over the socket FD. It imports only the standard library,
and only what every start needs, because its imports are part of every measured cold start.
`-S` skips `site` (in this venv its .pth files cost ~15 ms per start); the site-packages folders
go on `sys.path` by hand, so boto3 and the like stay importable.

Frames, both ways: 4-byte little-endian length + `marshal` data (a tuple).
  parent -> child: ("invoke", request_id, invoked_arn, deadline_monotonic, clock_offset, payload)
                   ("exit",)
  child -> parent: ("log", epoch_ms, text)        one log event, sent as it happens
                   ("ready", init_ms, error)      after INIT (error is None or an AWS payload)
                   ("ready", restore_ms, error, pid)  a restored instance, after its after-restore
                                                  hooks (restore_ms: Billed Restore Duration's part)
                   ("done", payload, error, duration_ms, max_rss_kb)
                   ("memory", max_rss_kb)         the handler ended the process (sys.exit, os._exit)

MODE "template" (snapshot isolation) runs the before-snapshot hooks after INIT and then becomes
a `Zygote`. It keeps one forked child in reserve (a spare) and hands the parent the spare's socket
(("spare", pid) with the socket as SCM_RIGHTS); the parent restores an instance by sending the
spare ("assign", clock_offset) with the instance's output file, and tells the zygote
(("used", pid)) afterwards, so the next spare is forked. Without a spare at hand the parent asks
for a fork: ("fork", clock_offset) with the instance socket and output file as SCM_RIGHTS. Either
way the new instance runs the after-restore hooks and serves invocations. The zygote also reaps
its instances for the parent: ("reap", pid) is answered with ("reaped", pid, wait status or None
if it was not the zygote's child).

The pieces both runtimes need (the frame codec, error payloads, handler loading, the context
object, the log format) are defined here once: the parent (`awslambda/processes/`,
`inprocess.py`, `context.py`, `payloads.py`) imports them as
`labkit.cloud.awslambda.bootstrap.labkit_bootstrap`, so the in-process runtime and the worker
process cannot drift apart, and the worker's cold start still imports nothing but this file and
the standard library.
"""

from __future__ import annotations

import json
import marshal
import os
import struct
import sys
import time

_HEADER = struct.Struct("<I")
SPARE_DELAY_S = 0.02
RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
TASK_ROOT_SHOWN = "/var/task"  # how stack traces name the code folder, as on AWS


# --------------------------------------------------------------------------- frames (shared)


def encode_frame(message: tuple) -> bytes:
    """A frame: 4-byte little-endian length, then the `marshal` data of the tuple."""
    data = marshal.dumps(message)
    return _HEADER.pack(len(data)) + data


def frame_ready(buffer: bytearray) -> bool:
    """True when `buffer` starts with a whole frame."""
    return len(buffer) >= 4 and len(buffer) >= 4 + _HEADER.unpack_from(buffer)[0]


def take_frame(buffer: bytearray) -> tuple | None:
    """The first whole frame of `buffer` (removed from it), or None if it has not fully arrived.

    Frames are never None themselves: every message is a tuple."""
    if len(buffer) >= 4:
        size = _HEADER.unpack_from(buffer)[0]
        if len(buffer) >= 4 + size:
            message = marshal.loads(bytes(buffer[4 : 4 + size]))
            del buffer[: 4 + size]
            return message
    return None


class Channel:
    """Length-prefixed marshal frames over a socket file descriptor."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()
        # One reusable read buffer: os.read(fd, 256 KiB) would allocate (and fault in) fresh
        # pages on every call, which costs µs and makes Memory re-read /proc every time.
        self._chunk = bytearray(1 << 16)

    def send(self, message: tuple) -> None:
        view = memoryview(encode_frame(message))
        while view:
            view = view[os.write(self.fd, view):]

    def recv(self) -> tuple | None:
        """The next frame, or None when the parent has gone (EOF)."""
        buffer = self.buffer
        while True:
            message = take_frame(buffer)
            if message is not None:
                return message
            count = os.readv(self.fd, [self._chunk])
            if not count:
                return None
            buffer += self._chunk[:count] if count < len(self._chunk) else self._chunk


class State:
    """What the current invocation's output is tagged with."""

    channel: Channel
    request_id = ""
    clock_offset = 0.0
    memory: "Memory | None" = None  # set once the process serves invocations
    invoking = False  # a handler is running: an exit now ends an invocation


def _now_ms() -> int:
    return int((time.time() + State.clock_offset) * 1000)


class LogStream:
    """sys.stdout / sys.stderr: each complete line becomes one log event, sent at once.

    Sending at once (not at the end of the invocation) keeps what a handler printed before it
    timed out or crashed, as CloudWatch Logs does on AWS.
    """

    encoding = "utf-8"
    errors = "strict"
    line_buffering = True

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._partial = ""

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if "\n" not in text:
            self._partial += text
            return len(text)
        *lines, rest = (self._partial + text).split("\n")
        self._partial = rest
        now = _now_ms()
        for line in lines:
            State.channel.send(("log", now, line))
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def end(self) -> None:
        """A partial last line is an event of its own when the invocation ends."""
        if self._partial:
            State.channel.send(("log", _now_ms(), self._partial))
            self._partial = ""

    def flush(self) -> None:
        return None

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False


_log_handler_installed = False

# The root logger's text format in the Python runtime (awslambdaric `_setup_logging`), in UTC.
LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
LOG_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


def log_formatter():  # -> logging.Formatter; `logging` is imported only once a handler uses it
    """The formatter of Lambda's root-logger handler (shared by both runtimes)."""
    import logging

    formatter = logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT)
    formatter.converter = time.gmtime
    return formatter



def _install_log_handler() -> None:
    """The Lambda Python runtime's root-logger format, installed once `logging` is in use.

    Importing `logging` costs a few ms; a handler that never uses it should not pay that at
    every cold start, so this runs only once the handler's code has imported it.
    """
    global _log_handler_installed
    import logging

    class LambdaLogHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            record.aws_request_id = State.request_id
            try:
                State.channel.send(("log", _now_ms(), self.format(record)))
            except Exception:  # noqa: BLE001 - logging must never break a handler
                self.handleError(record)

    handler = LambdaLogHandler()
    handler.setFormatter(log_formatter())
    logging.getLogger().addHandler(handler)
    _log_handler_installed = True


# --------------------------------------------------------------------------- errors


def _shown(text: str, task_root: str) -> str:
    return text.replace(task_root, TASK_ROOT_SHOWN) if task_root else text


def error_payload(exc: BaseException, request_id: str, task_root: str = "", runtime_dirs: tuple = (RUNTIME_DIR,)) -> dict:
    """The Python runtime's payload for an exception (awslambdaric `make_error`), without the
    runtime's own frames (those under `runtime_dirs`), the code folder shown as /var/task."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(runtime_dirs)]
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": [_shown(line, task_root) for line in traceback.format_list(frames)],
    }


def fault_payload(kind: str, message: str, request_id: str = "", stack: list | None = None) -> dict:
    """A runtime fault (`Runtime.ImportModuleError`, `Runtime.HandlerNotFound`, ...) as its payload."""
    return {"errorMessage": message, "errorType": kind, "requestId": request_id, "stackTrace": stack or []}



# --------------------------------------------------------------------------- INIT


def _import(name: str):
    __import__(name)
    return sys.modules[name]


def load_handler(handler: str, task_root: str, import_module=_import, runtime_dirs: tuple = (RUNTIME_DIR,)) -> tuple:
    """INIT as awslambdaric's `_get_handler` does it, with `import_module` (the in-process
    runtime passes its private module table's): (handler function or None, error payload or
    None, fault to raise at each invoke or None)."""
    module_name, _, function_name = handler.rpartition(".")
    if not module_name:
        message = f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)"
        return None, fault_payload("Runtime.MalformedHandlerName", message), None
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            message = f"Cannot use built-in module {module_name} as a handler module"
            return None, fault_payload("Runtime.BuiltInModuleConflict", message), None
        module = import_module(module_name.replace("/", "."))
    except SyntaxError as exc:
        stack = [f'  File "{_shown(exc.filename or "", task_root)}" Line {exc.lineno}\n    {exc.text}']
        message = f"Syntax error in module '{module_name}': {exc}"
        return None, fault_payload("Runtime.UserCodeSyntaxError", message, "", stack), None
    except ImportError as exc:
        message = f"Unable to import module '{module_name}': {exc}"
        return None, fault_payload("Runtime.ImportModuleError", message), None
    except Exception as exc:  # noqa: BLE001 - init errors are reported, never raised
        return None, error_payload(exc, "", task_root, runtime_dirs), None
    function = getattr(module, function_name, None)
    if function is None:  # AWS reports this at the first invoke, not at INIT
        return None, None, ("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return function, None, None


# --------------------------------------------------------------------------- memory


class Memory:
    """Peak RSS of this process in KiB, for Max Memory Used.

    ru_maxrss alone is wrong here: a child started with vfork inherits its parent's peak (the
    notebook's) through exec. VmHWM in /proc/self/status is this process's own peak, but reading
    it costs ~8 µs; RSS (and so its peak) only grows through page faults, so it is read again
    only when the fault counters have moved, or never once ru_maxrss outgrows the inherited
    figure (from then on ru_maxrss is our own peak).
    """

    def __init__(self) -> None:
        import resource

        self._getrusage = resource.getrusage
        self._self = resource.RUSAGE_SELF
        self._scale = 1024 if sys.platform == "darwin" else 1  # bytes there, KiB on Linux
        self._inherited = self._getrusage(self._self).ru_maxrss
        self._faults = -1
        self._peak = 0
        try:
            self._status = os.open("/proc/self/status", os.O_RDONLY)
        except OSError:
            self._status = -1

    def peak_kb(self) -> int:
        usage = self._getrusage(self._self)
        if usage.ru_maxrss > self._inherited or self._status < 0:
            return usage.ru_maxrss // self._scale
        faults = usage.ru_minflt + usage.ru_majflt
        if faults != self._faults:
            data = os.pread(self._status, 8192, 0)
            at = data.find(b"VmHWM:")
            self._peak = int(data[at + 6 : data.index(b"kB", at)]) if at >= 0 else usage.ru_maxrss
            self._faults = self._getrusage(self._self).ru_minflt + self._getrusage(self._self).ru_majflt
        return self._peak


# --------------------------------------------------------------------------- INVOKE


class CognitoIdentity:
    """`context.identity`: always an object, its fields None unless the caller was a Cognito
    identity (awslambdaric `make_obj_from_dict(CognitoIdentity, {})`)."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, cognito_identity_id: str | None = None, cognito_identity_pool_id: str | None = None) -> None:
        self.cognito_identity_id = cognito_identity_id
        self.cognito_identity_pool_id = cognito_identity_pool_id

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CognitoIdentity):
            return NotImplemented
        return (self.cognito_identity_id, self.cognito_identity_pool_id) == (other.cognito_identity_id, other.cognito_identity_pool_id)

    def __repr__(self) -> str:
        return f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},cognito_identity_pool_id={self.cognito_identity_pool_id}])"


class LambdaContext:
    """The context object of the Python runtime, for both runtimes.

    The same public attributes as awslambdaric's `LambdaContext` (a plain object, so
    `vars(context)` works as on AWS); `memory_limit_in_mb` is a string there, so it is here.
    The deadline is private: on monotonic time, where AWS keeps epoch milliseconds.
    """

    def __init__(
        self,
        aws_request_id: str,
        function_name: str | None,
        function_version: str | None,
        invoked_function_arn: str,
        memory_limit_in_mb: str | None,
        log_group_name: str | None,
        log_stream_name: str | None,
        deadline_monotonic: float,
        identity: CognitoIdentity | None = None,
        client_context: object = None,
        tenant_id: str | None = None,
    ) -> None:
        self.aws_request_id = aws_request_id
        self.log_group_name = log_group_name
        self.log_stream_name = log_stream_name
        self.function_name = function_name
        self.memory_limit_in_mb = memory_limit_in_mb
        self.function_version = function_version
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self.client_context = client_context
        self.identity = CognitoIdentity() if identity is None else identity
        self._deadline_monotonic = deadline_monotonic

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds until the function's timeout, never negative (as on AWS)."""
        return max(0, int((self._deadline_monotonic - time.monotonic()) * 1000))

    def log(self, msg: str) -> None:
        """Write to the invocation's log, like `context.log` in the Python runtime."""
        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},"
            f"identity={self.identity},tenant_id={self.tenant_id}])"
        )


_LOG_GROUP: str | None = None
_LOG_STREAM: str | None = None
_FUNCTION: tuple = (None, None, None)  # name, version, memory: read once, as the runtime does


def serve(channel: Channel, handler, fault, task_root: str) -> None:
    """Answer invocations until the parent closes the socket."""
    memory = State.memory = Memory()
    out, err = sys.stdout, sys.stderr
    perf = time.perf_counter
    loads, dumps = json.loads, json.dumps
    while True:
        message = channel.recv()
        if message is None or message[0] == "exit":
            os._exit(0)
        _, request_id, invoked_arn, deadline, State.clock_offset, payload = message
        State.request_id = request_id
        if not _log_handler_installed and "logging" in sys.modules:
            _install_log_handler()
        error = None
        result = b""
        started = perf()
        State.invoking = True
        try:
            if fault is not None:
                error = fault_payload(fault[0], fault[1], request_id)
            else:
                name, version, memory_mb = _FUNCTION
                context = LambdaContext(request_id, name, version, invoked_arn, memory_mb, _LOG_GROUP, _LOG_STREAM, deadline)
                value = handler(loads(payload) if payload else {}, context)
                try:
                    result = dumps(value).encode()
                except (TypeError, ValueError) as exc:
                    error = fault_payload("Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id)
        except Exception as exc:  # noqa: BLE001 - the handler's error is the result
            error = error_payload(exc, request_id, task_root)
        except SystemExit as exc:  # the runtime process exits: the parent reports Runtime.ExitError
            _end_streams(out, err)
            code = exc.code
            os._exit(code if isinstance(code, int) else (0 if code is None else 1))
        duration_ms = (perf() - started) * 1000
        State.invoking = False
        _end_streams(out, err)
        channel.send(("done", result, error, duration_ms, memory.peak_kb()))


def _end_streams(*streams: LogStream) -> None:
    for stream in streams:
        if isinstance(stream, LogStream):
            stream.end()


def _wrap_exit() -> None:
    """Flush a partial output line before `os._exit`, which skips every Python-level cleanup."""
    real_exit = os._exit

    def _exit(code: int) -> None:
        try:
            _end_streams(sys.stdout, sys.stderr)
            if State.invoking and State.memory is not None:
                # The invocation ends with the process: its REPORT line still needs the peak.
                State.channel.send(("memory", State.memory.peak_kb()))
        except OSError:
            pass  # the parent has gone
        finally:
            real_exit(code)

    os._exit = _exit


# --------------------------------------------------------------------------- snapshot


def _hooks(kind: str) -> list:
    hooks = sys.modules.get("snapshot_restore_py")
    if hooks is None:
        return []
    return list(hooks.get_before_snapshot() if kind == "before" else hooks.get_after_restore())


def _run_hooks(kind: str, task_root: str) -> dict | None:
    """Before-snapshot hooks in reverse order of registration, after-restore in order (AWS)."""
    entries = _hooks(kind)
    if kind == "before":
        entries.reverse()
    for func, args, kwargs in entries:
        try:
            func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            return error_payload(exc, "", task_root)
    return None


def _sever_sockets(keep: int) -> None:
    """Replace every socket opened during INIT by an unconnected one.

    A restored SnapStart environment cannot use connections from the snapshot. Forked instances
    would otherwise share the template's TCP connections (to the moto server) and interleave
    their requests on them; an unconnected socket looks dropped, so botocore/urllib3 reconnect.
    """
    import socket
    import stat

    for name in os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"):
        fd = int(name)
        if fd == keep or fd <= 2:
            continue
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            probe = socket.socket(fileno=fd)
            family, kind = probe.family, probe.type
            probe.detach()
            dead = socket.socket(family, kind)
            os.dup2(dead.fileno(), fd)
            dead.close()
        except OSError:
            continue


class Zygote:
    """The snapshot template after INIT: hands out restored instances on demand, reaps them for
    the parent.

    One forked child is kept in reserve (a "spare"), and its socket is handed to the parent: a
    restore is then one message from the parent to the spare, with no hop through the zygote.
    Forking a process with boto3 loaded takes ~1.3 ms (page tables, then a copy-on-write fault
    for every page the child writes), more than the whole restore should; the spare has paid
    that before it is needed. The next spare is forked once the parent reports the last one used
    and the zygote has been idle for SPARE_DELAY_S, so that its fork does not compete for the CPU
    with the instance just restored.
    """

    def __init__(self, control_fd: int, handler, fault, task_root: str) -> None:
        import socket

        self.control_fd = control_fd
        self.control = socket.socket(fileno=control_fd)
        self.channel = Channel(control_fd)
        self.handler, self.fault, self.task_root = handler, fault, task_root
        self.random_module = sys.modules.get("random")
        self.random_state = self.random_module.getstate() if self.random_module is not None else None
        self.children: set = set()
        self.exited: dict = {}  # pid -> status, collected before the parent asked for them
        self.passed: list = []  # descriptors received, in order; only "fork" frames carry any (two)
        self.spare: int | None = None  # the pid of the spare the parent holds, until reported used
        self.spare_due: float | None = None  # when to fork the next spare

    def serve(self) -> None:
        """Answer the parent until it says "exit" or goes; then end every instance and exit."""
        import select

        self.spare = self.make_spare()
        waiting = select.poll()
        waiting.register(self.control_fd, select.POLLIN)
        while True:
            if self.spare is None and self.spare_due is not None and not self.channel.buffer:
                if not waiting.poll(max(0, int((self.spare_due - time.monotonic()) * 1000))):
                    self.spare, self.spare_due = self.make_spare(), None
                    continue
            message, fds = self.command()
            self.collect()
            if not self.answer(message, fds):
                break
        self.end()

    def answer(self, message: tuple, fds: list) -> bool:
        """Act on one frame of the parent's; False once it says "exit" (or has gone)."""
        kind = message[0]
        if kind == "fork":
            self.fork(fds, message[1])
        elif kind == "used":
            if message[1] == self.spare:
                self.spare, self.spare_due = None, time.monotonic() + SPARE_DELAY_S
        elif kind == "reap":
            self.channel.send(("reaped", message[1], self.reap(message[1])))
        else:  # "exit", or EOF: the parent has gone
            for fd in fds:
                os.close(fd)
            return False
        return True

    def command(self) -> tuple:
        """The next frame and the descriptors it carried.

        One read can return several frames ("used" or "reap" before a "fork"), and the kernel
        hands over a frame's descriptors with the read that reaches it: they are queued and
        given to the "fork" frame they belong to, never to the frame read along with them.
        """
        import socket

        channel, passed = self.channel, self.passed
        while True:
            if frame_ready(channel.buffer):
                message = channel.recv()
                if message[0] != "fork":  # type: ignore[index]
                    return message, []
                fds = passed[:2]
                del passed[:2]
                return message, fds
            data, received, _, _ = socket.recv_fds(self.control, 1 << 16, 4)
            passed.extend(received)
            if not data:
                fds = passed[:]
                passed.clear()
                return ("exit",), fds
            channel.buffer += data

    def collect(self) -> None:
        """Reap instances that ended on their own (e.g. before they said ready)."""
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            self.exited[pid] = status

    def reap(self, pid: int) -> int | None:
        """Wait for an instance the parent has killed or seen exit (SIGKILL it after 2 s)."""
        import signal

        if pid in self.exited:
            return self.exited.pop(pid)
        deadline = time.monotonic() + 2.0
        while True:
            try:
                got, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                self.children.discard(pid)
                return None
            if got == pid:
                self.children.discard(pid)
                return status
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.0005)

    def fork(self, fds: list, clock_offset: float) -> None:
        """A restore the parent had no spare for: fork the instance now. A failed fork closes the
        instance's socket (with the rest of `fds`), which tells the parent."""
        started = time.perf_counter()
        try:
            pid = os.fork()
        except OSError:
            pid = -1
        if pid == 0:
            self.restore(fds, clock_offset, started)
        if pid > 0:
            self.children.add(pid)
        for fd in fds:
            os.close(fd)
        if self.spare is None:
            self.spare_due = time.monotonic() + SPARE_DELAY_S

    def make_spare(self) -> int | None:
        """Fork a spare and give the parent its socket; the spare waits for ("assign", offset)."""
        import socket

        ours, theirs = socket.socketpair()
        try:
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            return None
        if pid == 0:
            ours.close()
            data, fds, _, _ = socket.recv_fds(theirs, 1 << 16, 1)
            started = time.perf_counter()
            if not data or len(fds) != 1:
                os._exit(0)  # the parent closed our socket: the template is gone
            _, clock_offset = take_frame(bytearray(data))  # type: ignore[misc]
            self.restore([theirs.detach(), fds[0]], clock_offset, started)
        theirs.close()
        self.children.add(pid)
        try:
            socket.send_fds(self.control, [encode_frame(("spare", pid))], [ours.fileno()])
        except OSError:  # the parent has gone; the main loop sees EOF next
            pass
        ours.close()
        return pid

    def restore(self, fds: list, clock_offset: float, started: float) -> None:
        """In a forked child: become the instance whose socket and output file are `fds`, run
        the after-restore hooks, say ready, then serve invocations (never returns)."""
        instance_fd, output_fd = fds
        os.close(self.control_fd)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.close(output_fd)
        channel = Channel(instance_fd)
        State.channel = channel
        State.clock_offset = clock_offset
        State.request_id = ""
        if self.random_state is not None:
            # A memory snapshot restores the generator exactly; fork would re-seed it (random.py
            # registers an at-fork hook). Restoring the saved state keeps SnapStart's uniqueness trap.
            self.random_module.setstate(self.random_state)
        error = _run_hooks("after", self.task_root)
        if error is not None:
            error = fault_payload(
                "SnapStartException",
                f"The after-restore runtime hook failed: {error['errorType']}: {error['errorMessage']}",
                "",
                error["stackTrace"],
            )
        _end_streams(sys.stdout, sys.stderr)
        channel.send(("ready", (time.perf_counter() - started) * 1000, error, os.getpid()))
        if error is not None:
            os._exit(1)
        serve(channel, self.handler, self.fault, self.task_root)

    def end(self) -> None:
        """Kill and reap every instance still alive, then exit."""
        import signal

        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in list(self.children):
            self.reap(pid)
        os._exit(0)


# --------------------------------------------------------------------------- main


def main() -> None:
    global _LOG_GROUP, _LOG_STREAM, _FUNCTION
    started = time.perf_counter()
    fd = int(sys.argv[1])
    task_root, handler_name, mode = sys.argv[2], sys.argv[3], sys.argv[4]
    State.clock_offset = float(sys.argv[5])
    sys.argv = [""]
    # As on AWS: the code folder first, then the standard library, then site-packages.
    sys.path[0] = task_root
    sys.path.extend(d for d in os.environ.pop("LABKIT_SITE_DIRS", "").split(os.pathsep) if d)
    env = os.environ
    _FUNCTION = (
        env.get("AWS_LAMBDA_FUNCTION_NAME"),
        env.get("AWS_LAMBDA_FUNCTION_VERSION"),
        env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
    )
    # SnapStart functions have neither variable; awslambdaric's context reads both from the
    # environment, so it has neither a log group nor a log stream name then (None).
    _LOG_GROUP = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
    _LOG_STREAM = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
    channel = Channel(fd)
    State.channel = channel
    sys.stdout = LogStream(1)
    sys.stderr = LogStream(2)
    _wrap_exit()
    handler, error, fault = load_handler(handler_name, task_root)
    if error is None and mode == "template":
        error = _run_hooks("before", task_root)
    init_ms = (time.perf_counter() - started) * 1000
    if not _log_handler_installed and "logging" in sys.modules:
        _install_log_handler()
    _end_streams(sys.stdout, sys.stderr)
    if error is None and mode == "template":
        _sever_sockets(fd)
        # Move every object made so far out of the collector's reach: a collection in a restored
        # instance would otherwise write to (and so copy) every page of the snapshot.
        import gc

        gc.collect()
        gc.freeze()
    channel.send(("ready", init_ms, error))
    if error is not None:
        # Wait for the parent to collect the output and close the socket.
        while channel.recv() is not None:
            pass
        os._exit(1)
    if mode == "template":
        Zygote(fd, handler, fault, task_root).serve()
    else:
        serve(channel, handler, fault, task_root)
