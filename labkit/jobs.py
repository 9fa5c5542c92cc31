"""Slow work on the lab's clock, for handler code on the offline cloud (lab06's worker).

A report that takes three minutes would make a lab wait three minutes. `spend(seconds)` stands
where the slow work of a real worker is: it moves the running offline cloud's clock forward by
`seconds` instead of waiting, so the time the work takes is seen by everything that follows the
clock (visibility timeouts, SentTimestamp, log times), and a job that outlasts its queue's
visibility timeout is delivered again, as on AWS. Code that watches a job while it runs (a client
polling `GET /jobs/{id}`) registers itself with `while_working`: it is called inside `spend`,
before the clock moves, that is while the worker is in the middle of the job.

On AWS there is no such helper: the work itself takes the time.
"""
from __future__ import annotations

import contextlib
from typing import Callable, Iterator

__all__ = ["spend", "while_working"]

_watchers: list[Callable[[], None]] = []


def spend(seconds: float) -> None:
    """Do `seconds` of work on the lab's clock (the clock moves; nothing waits)."""
    from labkit.cloud.localcloud import active_cloud

    cloud = active_cloud()
    if cloud is None:
        raise RuntimeError("labkit.jobs.spend()는 오프라인 클라우드(LocalCloud)가 켜져 있을 때 핸들러 안에서 씁니다. "
                           "준비 셀을 먼저 실행하십시오.")
    for watcher in list(_watchers):
        watcher()
    cloud.clock.advance(seconds)


@contextlib.contextmanager
def while_working(watcher: Callable[[], None]) -> Iterator[None]:
    """Call `watcher()` each time a worker is in the middle of `spend()`, within the block."""
    _watchers.append(watcher)
    try:
        yield
    finally:
        _watchers.remove(watcher)
