"""The runtime's clock and its timers.

moto keeps no time of its own beyond the wall clock, so a lab could not see a visibility
timeout expire, an idle instance reclaimed or a schedule fire without waiting for real. The
clock here is the wall clock plus an offset the lab moves with `advance()`: real waiting still
counts, and `advance(600)` makes ten minutes pass at once. moto's SQS and CloudWatch Logs read
this clock too (see `moto_integration.py`), so their timestamps agree with the runtime's.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Clock", "Timers"]


class Clock:
    """Wall clock plus an offset that only grows."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch on the runtime's clock."""
        return time.time() + self._offset

    def now_millis(self) -> int:
        return int(self.now() * 1000)

    def utcnow(self) -> _dt.datetime:
        """Naive UTC datetime, the form moto uses internally."""
        return _dt.datetime.fromtimestamp(self.now(), tz=_dt.timezone.utc).replace(tzinfo=None)

    @property
    def offset(self) -> float:
        """How far the lab has moved the clock ahead of the wall clock, in seconds."""
        return self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward without waiting; returns the new `now()`.

        Nothing is delivered by this call alone: `LocalCloud.run_until_idle()` delivers what
        became due, so a lab controls exactly when handlers run.
        """
        from .errors import CloudUsageError

        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise CloudUsageError(
                f"advance()에는 초를 숫자로 넘기십시오(예: cloud.clock.advance(60)). 받은 값: {seconds!r}"
            )
        if seconds < 0:
            raise CloudUsageError(
                f"시계는 뒤로 돌릴 수 없습니다(advance({seconds})). 0 이상의 초를 넘기십시오."
            )
        with self._lock:
            self._offset += seconds
        return self.now()

    def __repr__(self) -> str:
        stamp = self.utcnow().isoformat(timespec="seconds")
        return f"Clock(now={stamp}Z, offset={self._offset:g}s)"


@dataclass(order=True)
class _Timer:
    due: float
    seq: int
    action: Callable[[], None] = field(compare=False)
    label: str = field(compare=False, default="")
    cancelled: bool = field(compare=False, default=False)
    passive: bool = field(compare=False, default=False)  # runs when due, never pulls a fast-forward


class Timers:
    """Work due at a time on the clock (async retries, delayed deliveries).

    Timers run only inside `run_due()`, which `LocalCloud.run_until_idle()` calls: nothing runs
    behind the lab's back.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[_Timer] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()

    def call_at(self, due: float, action: Callable[[], None], label: str = "", passive: bool = False) -> _Timer:
        """`passive`: a periodic check (auto scaling) that `next_due` ignores, as schedules are."""
        timer = _Timer(due, next(self._seq), action, label, passive=passive)
        with self._lock:
            heapq.heappush(self._heap, timer)
        return timer

    def call_later(self, delay: float, action: Callable[[], None], label: str = "", passive: bool = False) -> _Timer:
        return self.call_at(self.clock.now() + delay, action, label, passive)

    def next_due(self) -> float | None:
        """When the earliest pending timer is due, or None when there is none."""
        with self._lock:
            while self._heap and self._heap[0].cancelled:
                heapq.heappop(self._heap)
            return min((t.due for t in self._heap if not t.cancelled and not t.passive), default=None)

    def run_due(self) -> int:
        """Run every timer already due; returns how many ran."""
        ran = 0
        while True:
            with self._lock:
                if not self._heap or self._heap[0].due > self.clock.now():
                    return ran
                timer = heapq.heappop(self._heap)
            if not timer.cancelled:
                timer.action()
                ran += 1

    def pending(self) -> list[str]:
        with self._lock:
            return [t.label for t in sorted(self._heap) if not t.cancelled]

    def clear(self) -> None:
        with self._lock:
            self._heap.clear()
