"""Asynchronous invocation (InvocationType="Event"): Lambda's internal queue, retries, destinations.

As AWS documents it: the caller gets 202 at once and the event waits in a queue; a function
error is retried up to MaximumRetryAttempts times (default 2), the first retry about a minute
after the failure and the second about two minutes after that; throttles are retried with
back-off until the event is older than MaximumEventAgeInSeconds (default 6 hours). An event that
finally fails goes to the on-failure destination, else to the function's dead-letter queue; a
success goes to the on-success destination. Retries keep the request ID.

Nothing here runs on its own: `LocalCloud.run_until_idle()` delivers queued events, and the
retry delays are timers on the runtime's clock (advance it, or pass fast_forward=True).
"""

from __future__ import annotations

import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.errors import TooManyRequestsException
from ..core.retries import (
    ASYNC_DEFAULT_MAX_AGE, ASYNC_DEFAULT_MAX_RETRIES, ASYNC_RETRY_DELAYS, ASYNC_THROTTLE_BACKOFF, doubling,
)
from ..core.targets import invocation_result, lambda_dlq_attributes
from ..core.timefmt import iso_millis
from .models import FunctionSpec, Invocation

if TYPE_CHECKING:
    from ..core.context import CloudContext

__all__ = ["AsyncInvoker", "AsyncEvent", "RETRY_DELAYS"]

RETRY_DELAYS = ASYNC_RETRY_DELAYS


@dataclass
class AsyncEvent:
    """One queued asynchronous invocation."""

    function_name: str
    version: str
    invoked_arn: str
    payload: bytes
    enqueued_at: float
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    attempts: int = 0
    throttles: int = 0
    results: list[Invocation] = field(default_factory=list)


class AsyncInvoker:
    """Lambda's queue for Event invocations."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self.ready: deque[AsyncEvent] = deque()
        self.finished: list[AsyncEvent] = []

    def enqueue(self, fn: Any, payload: bytes, invoked_arn: str | None = None) -> AsyncEvent:
        spec = FunctionSpec.from_moto(fn)
        event = AsyncEvent(
            function_name=spec.name,
            version=spec.version,
            invoked_arn=invoked_arn or spec.unqualified_arn,
            payload=payload or b"{}",
            enqueued_at=self.ctx.clock.now(),
        )
        self.ready.append(event)
        return event

    def pending(self) -> int:
        return len(self.ready)

    def run_ready(self) -> int:
        """Deliver every event that is ready now; returns how many attempts ran."""
        ran = 0
        while self.ready:
            self._attempt(self.ready.popleft())
            ran += 1
        return ran

    # ---- one attempt

    def _config(self, fn: Any) -> dict[str, Any]:
        latest = self.ctx.runtime.resolve(fn.function_name)
        configs = getattr(latest, "event_invoke_config", None) or []
        return dict(configs[-1].config) if configs else {}

    def _attempt(self, event: AsyncEvent) -> None:
        runtime = self.ctx.runtime
        try:
            fn = runtime.resolve(event.function_name, event.version)
        except Exception:
            return  # the function was deleted: AWS drops the event too
        config = self._config(fn)
        max_age = float(config.get("MaximumEventAgeInSeconds", ASYNC_DEFAULT_MAX_AGE))
        max_retries = int(config.get("MaximumRetryAttempts", ASYNC_DEFAULT_MAX_RETRIES))
        age = self.ctx.clock.now() - event.enqueued_at
        if age > max_age:
            self._fail(fn, event, config, "EventAgeExceeded", None)
            return
        try:
            result = runtime.invoke(fn, event.payload, invoked_arn=event.invoked_arn, request_id=event.request_id)
        except TooManyRequestsException:
            delay = doubling(ASYNC_THROTTLE_BACKOFF, event.throttles)
            event.throttles += 1
            self._later(event, delay)
            return
        event.attempts += 1
        event.results.append(result)
        if result.ok:
            self._succeed(fn, event, config, result)
        elif event.attempts <= max_retries:
            self._later(event, RETRY_DELAYS[min(event.attempts, len(RETRY_DELAYS)) - 1])
        else:
            self._fail(fn, event, config, "RetriesExhausted", result)

    def _later(self, event: AsyncEvent, delay: float) -> None:
        self.ctx.timers.call_later(
            delay, lambda: self.ready.append(event), label=f"async retry {event.function_name} {event.request_id}"
        )

    # ---- outcomes

    def _record(self, fn: Any, event: AsyncEvent, condition: str, result: Invocation | None) -> dict[str, Any]:
        spec = FunctionSpec.from_moto(fn)
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": iso_millis(self.ctx.clock.now()),
            "requestContext": {
                "requestId": event.request_id,
                "functionArn": f"{spec.unqualified_arn}:{spec.version}",
                "condition": condition,
                "approximateInvokeCount": max(1, event.attempts),
            },
            "requestPayload": json.loads(event.payload),
            "responseContext": {"statusCode": 200, "executedVersion": spec.version},
        }
        if result is not None:
            if result.function_error:
                record["responseContext"]["functionError"] = result.function_error
            record["responsePayload"] = result.result
        return record

    def _succeed(self, fn: Any, event: AsyncEvent, config: dict[str, Any], result: Invocation) -> None:
        self.finished.append(event)
        target = config.get("DestinationConfig", {}).get("OnSuccess", {}).get("Destination")
        if target:
            self.ctx.send(target, json.dumps(self._record(fn, event, "Success", result)), **invocation_result(True, fn.function_arn))

    def _fail(self, fn: Any, event: AsyncEvent, config: dict[str, Any], condition: str, result: Invocation | None) -> None:
        self.finished.append(event)
        target = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if target:
            self.ctx.send(target, json.dumps(self._record(fn, event, condition, result)), **invocation_result(False, fn.function_arn))
            return
        dlq = (getattr(fn, "dead_letter_config", None) or {}).get("TargetArn")
        if dlq:
            message = (result.result or {}).get("errorMessage", "") if result else condition
            self.ctx.send(dlq, event.payload.decode(), attributes=lambda_dlq_attributes(event.request_id, str(message)[:1024]))

