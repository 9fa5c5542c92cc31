"""Two commands at the same moment, on demand: what lab04's event store is tested with.

An event-sourced command reads the aggregate's events, decides, and appends the next version. Two
commands for one account that read before either writes both try to append the same version; the
store's condition (`attribute_not_exists(version)`) lets one win and the other must read again.
Threads alone make that race happen only now and then. `race(parties)` makes it happen every
time: inside the block, the first `parties` calls of `loaded()` (the lab's `load()` calls it right
after reading the events) wait for each other, so every one of them has read the same version
before any of them appends. Later loads (a retry) pass at once.

    with race(2):
        threads = [threading.Thread(target=withdraw, args=(60,)) for _ in range(2)]
        ...

On AWS there is no such hook: concurrent Lambda instances race on their own.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["loaded", "race"]

_lock = threading.Lock()


@dataclass
class _Race:
    barrier: threading.Barrier
    waiting: int  # loads that will still wait at the barrier
    timeout: float


_current: _Race | None = None


def loaded() -> None:
    """Called after an aggregate's events are read; inside `race()` the first loads meet here."""
    with _lock:
        current = _current
        if current is None or current.waiting == 0:
            return
        current.waiting -= 1
    try:
        current.barrier.wait(current.timeout)
    except threading.BrokenBarrierError:  # fewer commands came than `parties`: go on after the timeout
        pass


@contextlib.contextmanager
def race(parties: int = 2, timeout: float = 10.0) -> Iterator[None]:
    """Within the block, the first `parties` loads wait (at most `timeout` seconds) until all have read."""
    global _current
    if not isinstance(parties, int) or parties < 2:
        raise ValueError(f"race()에는 경쟁할 명령의 수를 2 이상의 정수로 넘기십시오. 받은 값: {parties!r}")
    with _lock:
        _current = _Race(threading.Barrier(parties), parties, timeout)
    try:
        yield
    finally:
        with _lock:
            _current = None
