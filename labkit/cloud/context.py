"""The Lambda context object passed to a handler as its second argument.

Attribute names and types follow the Python runtime (awslambdaric): `memory_limit_in_mb` is a
string there, so it is a string here too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LambdaContext", "CognitoIdentity"]


@dataclass(frozen=True)
class CognitoIdentity:
    cognito_identity_id: str | None = None
    cognito_identity_pool_id: str | None = None


@dataclass
class LambdaContext:
    """Per-invocation facts the runtime hands to the handler."""

    aws_request_id: str
    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: str
    log_group_name: str
    log_stream_name: str
    deadline_monotonic: float = field(repr=False)
    identity: CognitoIdentity = field(default_factory=CognitoIdentity)
    client_context: Any = None
    tenant_id: str | None = None

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds until the function's timeout, never negative (as on AWS)."""
        return max(0, int((self.deadline_monotonic - time.monotonic()) * 1000))

    def log(self, msg: str) -> None:
        """Write to the invocation's log, like `context.log` in the Python runtime."""
        import sys

        sys.stdout.write(msg)
