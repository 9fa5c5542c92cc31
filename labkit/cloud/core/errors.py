"""Errors the local cloud raises to a learner: `CloudUsageError` and friends, and Lambda's
throttling and payload-quota exceptions.

`CloudUsageError` and its subclasses are for mistakes in using the local cloud itself; their
messages are Korean (합니다체) and say what is wrong and how to fix it. The AWS-shaped payloads a
failed invocation returns are `awslambda/payloads.py`'s.
"""

from __future__ import annotations

from ...korean import josa

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
