"""Drive load against a function on the offline cloud, for labs on concurrency and scaling.

`burst` sends n requests at the same moment (threads released together by a barrier), so that
n execution environments are needed at once if the handler runs long enough to overlap (a
handler that holds for about 0.2 s does). `replay` runs a traffic curve minute by minute on the
lab's clock: minute i is a burst of `per_minute[i]` requests, then the clock moves 60 s and what
became due runs (`cloud.run_until_idle()`: Application Auto Scaling's evaluation among it), so
capacity changes between minutes as it would after each CloudWatch datapoint.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from .cloud import LocalCloud

__all__ = ["burst", "replay", "Minute"]


def burst(cloud: "LocalCloud", name: str, n: int, event: Any = None, qualifier: str | None = None) -> list[Any]:
    """n truly concurrent synchronous invocations: their Invocations, in order, with a throttled
    request's `TooManyRequestsException` (the 429 a synchronous caller gets) in its place."""
    from .cloud import TooManyRequestsException
    from .cloud.errors import CloudUsageError

    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise CloudUsageError(f"n={n!r}: 동시에 보낼 요청 수는 0 이상의 정수로 넘기십시오(예: burst(cloud, 'fn', 10)).")
    results: list[Any] = [None] * n
    if n == 0:
        return results
    start = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = cloud.invoke(name, event if event is not None else {}, qualifier=qualifier)
        except TooManyRequestsException as exc:
            results[i] = exc
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


@dataclass(frozen=True)
class Minute:
    """What one minute of a replayed traffic curve saw."""

    minute: int
    requests: int
    cold_starts: int
    throttles: int
    errors: int
    provisioned: int  # provisioned instances of the invoked version while the minute's requests ran


def replay(
    cloud: "LocalCloud",
    name: str,
    per_minute: Sequence[int],
    event: Any = None,
    qualifier: str | None = None,
) -> list[Minute]:
    """Run a traffic curve: in minute i, `per_minute[i]` concurrent requests; then advance the
    clock 60 s and run what became due. One `Minute` of figures per entry."""
    figures = []
    for i, n in enumerate(per_minute):
        provisioned = _provisioned(cloud, name, qualifier)
        results = burst(cloud, name, int(n), event, qualifier)
        invocations = [r for r in results if not isinstance(r, Exception)]
        figures.append(Minute(
            minute=i,
            requests=int(n),
            cold_starts=sum(1 for r in invocations if r.cold_start),
            throttles=len(results) - len(invocations),
            errors=sum(1 for r in invocations if not r.ok),
            provisioned=provisioned,
        ))
        cloud.clock.advance(60)
        cloud.run_until_idle()
    return figures


def _provisioned(cloud: "LocalCloud", name: str, qualifier: str | None) -> int:
    return sum(1 for i in cloud.instances(name, qualifier) if i.provisioned and not i.dead)
