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
import traceback
from types import TracebackType
from typing import Any

__all__ = [
    "CloudUsageError",
    "DeployError",
    "FunctionNotFound",
    "TooManyRequestsException",
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
            f"Rate Exceeded. ({self.reason}: 함수 {function_name}의 예약된 동시성 {limit}을(를) "
            "모두 쓰고 있어 요청이 스로틀되었습니다. 예약된 동시성을 늘리거나 잠시 뒤 다시 호출하십시오.)"
        )


def _user_frames(tb: TracebackType | None, skip_prefixes: tuple[str, ...]) -> list[str]:
    """Format the traceback the way the Python runtime does, without the runtime's own frames."""
    frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith(skip_prefixes)]
    return traceback.format_list(frames)


def error_payload(
    exc: BaseException, request_id: str, runtime_dirs: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The body Lambda returns for an unhandled exception (FunctionError: Unhandled)."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": _user_frames(exc.__traceback__, runtime_dirs),
    }


def import_error_payload(
    kind: str, message: str, request_id: str, stack: list[str] | None = None
) -> dict[str, Any]:
    """Init failures: `Runtime.ImportModuleError`, `Runtime.HandlerNotFound`, ..."""
    return {
        "errorMessage": message,
        "errorType": kind,
        "requestId": request_id,
        "stackTrace": stack or [],
    }


def timeout_payload(request_id: str, seconds: float) -> dict[str, Any]:
    """What a caller receives when the function ran past its timeout."""
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
    if payload.get("stackTrace"):
        lines.append("Traceback (most recent call last):")
        lines.extend(s.rstrip("\n") for s in payload["stackTrace"])
    return "\n".join(lines)
