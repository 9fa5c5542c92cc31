"""Errors: the payloads Lambda returns, and the exceptions the runtime raises to a learner.

Two kinds, kept apart on purpose:
- AWS-shaped payloads (`error_payload`, `import_error_payload`, ...) are what a caller of
  `Invoke` receives when a handler fails, byte for byte the shape of Lambda's Python runtime,
  so learners write error handling that works on AWS.
- `CloudUsageError` and friends are for mistakes in using the local cloud itself; their
  messages are Korean (합니다체) and say what is wrong and how to fix it.
"""

from __future__ import annotations

import signal
from typing import Any

from ...korean import josa
from ..bootstrap.labkit_bootstrap import error_payload as _runtime_error_payload
from ..bootstrap.labkit_bootstrap import fault_payload

__all__ = [
    "CloudUsageError",
    "DeployError",
    "FunctionNotFound",
    "MAX_ASYNC_REQUEST_BYTES",
    "MAX_RESPONSE_BYTES",
    "MAX_SYNC_REQUEST_BYTES",
    "RequestEntityTooLargeException",
    "TooManyRequestsException",
    "check_request_size",
    "response_too_large_payload",
    "error_payload",
    "exit_error_payload",
    "import_error_payload",
    "timeout_payload",
]


class CloudUsageError(Exception):
    """The local cloud was used in a way it cannot honour (message in Korean)."""


class DeployError(CloudUsageError):
    """A function could not be packaged or deployed (message in Korean)."""


class FunctionNotFound(CloudUsageError):
    """No function by that name, version or alias (message in Korean)."""


class TooManyRequestsException(Exception):
    """Lambda throttled the invocation (reserved concurrency reached), as AWS's 429.

    Raised by `LocalCloud.invoke`; through boto3 the same condition arrives as a
    `ClientError` with code `TooManyRequestsException`.
    """

    reason = "ReservedFunctionConcurrentInvocationLimitExceeded"

    def __init__(self, function_name: str, limit: int) -> None:
        self.function_name = function_name
        self.limit = limit
        super().__init__(
            f"Rate Exceeded. ({self.reason}: 함수 {function_name}의 예약된 동시성 {josa(limit, '을')} "
            "모두 쓰고 있어 요청이 스로틀되었습니다. 예약된 동시성을 늘리거나 잠시 뒤 다시 호출하십시오.)"
        )


# Invoke payload quotas (Lambda quotas page and the Invoke API reference, checked November 2026):
# 6 MB each for a synchronous request and response, 1 MB for an asynchronous request (256 KB
# until October 2025). The response limit AWS enforces is 100 bytes over 6 MiB: its error message
# names 6291556 bytes.
MAX_SYNC_REQUEST_BYTES = 6 * 1024 * 1024
MAX_ASYNC_REQUEST_BYTES = 1024 * 1024
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100


class RequestEntityTooLargeException(Exception):
    """The Invoke request is over Lambda's payload quota (AWS answers 413 and never runs the function).

    Raised by `LocalCloud.invoke`; through boto3 the same condition arrives as a `ClientError`
    with code `RequestEntityTooLargeException`.
    """

    def __init__(self, size: int, limit: int, invocation_type: str) -> None:
        self.size = size
        self.limit = limit
        self.invocation_type = invocation_type
        self.aws_message = f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
        kind = "비동기(Event)" if invocation_type == "Event" else "동기"
        super().__init__(
            f"{self.aws_message} ({kind} 호출의 페이로드가 {size:,}바이트로 한도 {limit:,}바이트를 넘습니다. "
            "큰 데이터는 S3에 올리고 버킷과 키만 이벤트로 넘기십시오.)"
        )


def check_request_size(payload: bytes, invocation_type: str) -> None:
    """Raise RequestEntityTooLargeException when an Invoke request is over its quota."""
    limit = MAX_ASYNC_REQUEST_BYTES if invocation_type == "Event" else MAX_SYNC_REQUEST_BYTES
    if len(payload) > limit:
        raise RequestEntityTooLargeException(len(payload), limit, invocation_type)


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
