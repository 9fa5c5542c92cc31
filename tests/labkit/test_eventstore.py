"""labkit.eventstore.race: the first loads inside the block meet before any of them goes on."""
from __future__ import annotations

import threading
import time

import pytest

from labkit.eventstore import loaded, race


def returns_soon(fn, seconds: float = 5.0) -> bool:
    """Whether `fn()` returns within `seconds`: a wait would last the race's whole timeout (10 s),
    so a generous bound tells waiting from not waiting on a loaded machine without timing it."""
    worker = threading.Thread(target=fn, daemon=True)
    worker.start()
    worker.join(seconds)
    return not worker.is_alive()


def test_the_first_loads_wait_for_each_other_and_later_loads_pass():
    order: list[str] = []
    lock = threading.Lock()

    def command(name: str) -> None:
        with lock:
            order.append(f"read {name}")
        loaded()
        with lock:
            order.append(f"write {name}")

    with race(2):
        first = threading.Thread(target=command, args=("a",))
        first.start()
        time.sleep(0.2)               # a alone: it must still be waiting
        assert order == ["read a"]
        second = threading.Thread(target=command, args=("b",))
        second.start()
        first.join(2)
        second.join(2)
        assert order[:2] == ["read a", "read b"] and sorted(order[2:]) == ["write a", "write b"]
        assert returns_soon(loaded)   # a retry's load: no waiting


def test_outside_the_block_and_with_too_few_commands_nothing_waits_for_long():
    assert returns_soon(loaded)
    with race(2, timeout=0.3):
        started = time.perf_counter()
        assert returns_soon(loaded)   # nobody else comes: goes on after the timeout
        assert time.perf_counter() - started >= 0.25


@pytest.mark.parametrize("parties", [1, 0, "2"])
def test_parties_must_be_two_or_more(parties):
    with pytest.raises(ValueError, match="2 이상의 정수"):
        with race(parties):
            pass
