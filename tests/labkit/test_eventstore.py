"""labkit.eventstore.race: the first loads inside the block meet before any of them goes on."""
from __future__ import annotations

import threading
import time

import pytest

from labkit.eventstore import loaded, race


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
        started = time.perf_counter()
        loaded()                      # a retry's load: no waiting
        assert time.perf_counter() - started < 0.1


def test_outside_the_block_and_with_too_few_commands_nothing_waits_for_long():
    started = time.perf_counter()
    loaded()
    assert time.perf_counter() - started < 0.1
    with race(2, timeout=0.3):
        loaded()                      # nobody else comes: goes on after the timeout
    assert 0.25 < time.perf_counter() - started < 2


@pytest.mark.parametrize("parties", [1, 0, "2"])
def test_parties_must_be_two_or_more(parties):
    with pytest.raises(ValueError, match="2 이상의 정수"):
        with race(parties):
            pass
