"""The error payloads Lambda returns, byte for byte the shape of its Python runtime's.

What a caller of `Invoke` receives when a handler fails (FunctionError: Unhandled), so learners
write error handling that works on AWS, and the `[ERROR]` line the runtime logs for it. The
pieces the worker process needs too (`error_payload`, `fault_payload`) are defined once, in the
stdlib-only bootstrap, and used here.
"""

from __future__ import annotations

import signal
from typing import Any

from .bootstrap.labkit_bootstrap import error_payload as _runtime_error_payload
from .bootstrap.labkit_bootstrap import fault_payload
from ..core.errors import MAX_RESPONSE_BYTES

__all__ = [
    "TIMEOUT_OVERRUN_MS",
    "error_payload",
    "exit_error_payload",
    "import_error_payload",
    "init_error_for",
    "log_line_for",
    "response_too_large_payload",
    "timed_out_duration_ms",
    "timeout_payload",
]


def response_too_large_payload(size: int) -> dict[str, Any]:
    """The function error Lambda returns instead of a response over its quota."""
    return {
        "errorMessage": f"Response payload size ({size} bytes) exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }


def error_payload(
    exc: BaseException, request_id: str, runtime_dirs: tuple[str, ...] = (), task_root: str = ""
) -> dict[str, Any]:
    """The body Lambda returns for an unhandled exception (FunctionError: Unhandled).

    The same function as the worker process's (defined in the bootstrap): frames under
    `runtime_dirs` are left out, `task_root` is shown as /var/task."""
    return _runtime_error_payload(exc, request_id, task_root, runtime_dirs)


def import_error_payload(
    kind: str, message: str, request_id: str = "", stack: list[str] | None = None
) -> dict[str, Any]:
    """Init failures: `Runtime.ImportModuleError`, `Runtime.HandlerNotFound`, ..."""
    return fault_payload(kind, message, request_id, stack)


# How far past its timeout an invocation is reported to have run, at most. AWS stops a function
# at its deadline and reports a Duration just above the timeout; in-process a handler blocked in
# C code (time.sleep) only stops when that call returns, which AWS would never have let happen.
TIMEOUT_OVERRUN_MS = 10.0


def timed_out_duration_ms(measured_ms: float, timeout_s: float) -> float:
    """The Duration of a timed-out invocation: what was measured, kept within
    [timeout, timeout + TIMEOUT_OVERRUN_MS], as AWS would report it."""
    limit = timeout_s * 1000
    return min(max(measured_ms, limit), limit + TIMEOUT_OVERRUN_MS)


def timeout_payload(request_id: str, seconds: float) -> dict[str, Any]:
    """What a caller receives when the function ran past its timeout (`seconds`: the
    function's configured timeout, which is what AWS names: "after 3.00 seconds")."""
    return {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after {seconds:.2f} seconds",
    }


def exit_error_payload(request_id: str, exit_code: int) -> dict[str, Any]:
    """The runtime process ended during an invocation (subprocess/snapshot isolation).

    Worded as Lambda words it: an exit status, a signal (negative `exit_code`), or a clean exit
    that Lambda cannot explain.
    """
    if exit_code == 0:
        reason = "Runtime exited without providing a reason"
    elif exit_code > 0:
        reason = f"Runtime exited with error: exit status {exit_code}"
    else:
        name = signal.strsignal(-exit_code) or f"signal {-exit_code}"
        reason = f"Runtime exited with error: signal: {name.lower()}"
    return {"errorType": "Runtime.ExitError", "errorMessage": f"RequestId: {request_id} Error: {reason}"}


def log_line_for(payload: dict[str, Any]) -> str:
    """The `[ERROR] Type: message` line the Python runtime writes to the log on failure.

    Errors of the environment rather than the handler (Runtime.ExitError) are logged by Lambda
    itself, as the message followed by the error type.
    """
    if payload.get("errorType") == "Runtime.ExitError":
        return f"{payload['errorMessage']}\n{payload['errorType']}"
    lines = [f"[ERROR] {payload['errorType']}: {payload['errorMessage']}"]
    if payload.get("stackTrace") is not None:  # awslambdaric's log_error: an empty trace too
        lines.append("Traceback (most recent call last):")
        lines.extend(s.rstrip("\n") for s in payload["stackTrace"])
    return "\n".join(lines)


def init_error_for(init_error: dict[str, Any], request_id: str) -> dict[str, Any]:
    """A recorded INIT failure as the payload of this invocation (with its request id)."""
    error = dict(init_error)
    message = error.get("errorMessage", "")
    if message.startswith("RequestId:  Error:"):  # recorded before any request existed
        error["errorMessage"] = f"RequestId: {request_id} " + message[len("RequestId:  "):]
    if "stackTrace" in error:  # the Python runtime's own shape; Runtime.ExitError has neither
        error["requestId"] = request_id
    return error
