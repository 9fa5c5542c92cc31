"""Lambda's retry settings, in one place: async invocations (awslambda/async_invoke.py) and stream mappings (eventsources/streams.py).

The delays are timers on the lab's clock, never sleeps, so no retry library applies
(`run_until_idle(fast_forward=True)` jumps to them).
- Async invocations, as AWS documents them: a function error is retried up to
  MaximumRetryAttempts times (default 2), about a minute after the first failure and two minutes
  after the second; a throttle is retried with back-off until the event is older than
  MaximumEventAgeInSeconds (default 6 hours). The throttle back-off itself is not published.
- Stream mappings: AWS's back-off is not published; here 1 s, doubling per failed attempt, at most 60 s.
"""
from __future__ import annotations

__all__ = [
    "ASYNC_RETRY_DELAYS", "ASYNC_DEFAULT_MAX_RETRIES", "ASYNC_DEFAULT_MAX_AGE", "ASYNC_THROTTLE_BACKOFF",
    "STREAM_RETRY_BACKOFF", "doubling",
]

ASYNC_RETRY_DELAYS = (60.0, 120.0)  # after the 1st and 2nd failed attempt
ASYNC_DEFAULT_MAX_RETRIES = 2
ASYNC_DEFAULT_MAX_AGE = 21_600.0
ASYNC_THROTTLE_BACKOFF = (1.0, 300.0)  # first delay, ceiling
STREAM_RETRY_BACKOFF = (1.0, 60.0)  # first delay, ceiling


def doubling(backoff: tuple[float, float], retries_so_far: int) -> float:
    """The delay before the next try: the first delay doubled per earlier retry, at most the ceiling."""
    first, ceiling = backoff
    return min(ceiling, first * 2**retries_so_far)
