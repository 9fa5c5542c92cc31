"""EventBridge on the offline cloud: rules that route events to targets, and schedules that fire on the lab's clock.

    rules.py       EventBridgeRules: an event put on a bus -> every matching rule -> each target (ctx.send),
                   dead-letter queues and `failures` (+ its moto patches)
    input.py       what a target receives: InputPath and InputTransformer (json_path, transform_input)
    schedules.py   Schedules: rate()/cron() rules and EventBridge Scheduler schedules, AWS's cron dialect
                   (ScheduleExpressionError for an expression AWS rejects)

The pattern matcher itself is core/patterns.py (Lambda's FilterCriteria use it too). A schedule
reaches its rule's targets through `ctx.send(rule_arn, ...)`, never by calling the rules.

The small public API is re-exported here, loaded on first use (PEP 562) like `labkit.cloud`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import exports as _exports

# Public name -> the submodule that defines it.
_EXPORTS = {
    "EventBridgeRules": "rules",
    "ScheduleExpressionError": "schedules",
    "Schedules": "schedules",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .rules import EventBridgeRules
    from .schedules import ScheduleExpressionError, Schedules


__getattr__, __dir__ = _exports(__name__, _EXPORTS)
