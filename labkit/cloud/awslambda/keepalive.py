"""Keep-alive policies: how long an idle execution environment is kept before it is reclaimed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["FixedKeepAlive", "KeepAlivePolicy"]


class KeepAlivePolicy(Protocol):
    """How long an idle instance is kept before it is reclaimed."""

    def keep_alive_seconds(self, function_name: str) -> float: ...

    def observe_idle(self, function_name: str, idle_seconds: float) -> None:
        """Told, before each invocation, how long the function had been idle (for adaptive policies)."""


@dataclass
class FixedKeepAlive:
    """The same idle window for every function (AWS does not publish its own)."""

    seconds: float = 600.0

    def keep_alive_seconds(self, function_name: str) -> float:
        return self.seconds

    def observe_idle(self, function_name: str, idle_seconds: float) -> None:
        return None
