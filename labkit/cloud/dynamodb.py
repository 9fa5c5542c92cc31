"""DynamoDB: one request at a time, so conditional writes and transactions are atomic under threads.

DynamoDB applies a conditional write or a transaction atomically. moto 5.2.5 does not when
requests arrive from several threads (two execution environments, or a learner's thread pool):
a cancelled `TransactWriteItems` puts back its deep copy of the table and erases what another
request wrote meanwhile, or the copy itself raises "dictionary changed size during iteration".
With two concurrent sign-ups lab03 saw 502s and lost items. Every DynamoDB request therefore
goes through one lock around moto's request handler. Requests take microseconds in moto, so the
lock costs nothing a lab can see; DynamoDB's own throughput limits are not modelled.
"""

from __future__ import annotations

import threading
from functools import wraps
from typing import Any, Callable

from .moto.registry import MotoName

__all__ = ["install", "PATCHES"]

_lock = threading.RLock()  # re-entrant: a stream handler run inside a request may call DynamoDB again


def install(set_: Callable[[Any, str, Any], None]) -> None:
    """Serialize moto's DynamoDB requests (through the patch ledger, so stopping the cloud undoes it)."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    @wraps(original)
    def call_action(self: Any) -> Any:
        with _lock:
            return original(self)

    set_(DynamoHandler, "call_action", call_action)


PATCHES = (
    MotoName("moto.dynamodb.responses:DynamoHandler", "call_action", "(self)"),
)
