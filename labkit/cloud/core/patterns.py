"""EventBridge event patterns: the one matcher for rules (events/rules.py) and Lambda FilterCriteria (eventsources/filtering.py).

The operators (prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard, cidr,
$or) are moto's `EventPattern`; only the flattening of the event is ours (`_flatten`), because
moto's stops at arrays. moto is imported on first match, so importing this module costs nothing.
"""
from __future__ import annotations

import json
from typing import Any

__all__ = ["pattern_matches", "ENABLED_STATES"]

# The rule states in which a rule matches events and its schedule fires (EventBridge and schedules).
ENABLED_STATES = ("ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")


def _flatten(node: dict[str, Any], prefix: str = "", out: dict[str, Any] | None = None, many: bool = False) -> dict[str, Any]:
    """`{"a": {"b": 1}}` -> `{"a.b": 1}`, descending into arrays of objects as EventBridge does.

    moto's own flattening stops at arrays, so `{"items": {"sku": ["A"]}}` never matched
    `{"items": [{"sku": "A"}]}`; EventBridge (and so Lambda filtering) matches it. Values reached
    through an array are collected into a list, which moto's matcher treats as "any of".
    """
    out = {} if out is None else out
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            _flatten(value, path, out, many)
        elif isinstance(value, list) and any(isinstance(item, dict) and item for item in value):
            for item in value:
                if isinstance(item, dict) and item:
                    _flatten(item, path, out, True)
                else:
                    out.setdefault(path, []).append(item)
        elif many:
            out.setdefault(path, []).extend(value if isinstance(value, list) else [value])
        else:
            out[path] = value
    return out


def pattern_matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether `event` matches an EventBridge pattern (a rule's, or one of a mapping's FilterCriteria).

    The operators (prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard,
    cidr, $or) are moto's `EventPattern`; only the flattening of the event is ours (`_flatten`).
    """
    from moto.events.models import EventPattern

    if not pattern:
        return True
    return EventPattern(None, pattern)._does_event_match(_flatten(json.loads(json.dumps(event))), pattern)
