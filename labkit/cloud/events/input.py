"""What an EventBridge target receives instead of the whole event: InputPath and InputTransformer.

- `json_path`: the JSONPath subset EventBridge accepts in InputPath, InputPathsMap and
  KinesisParameters.PartitionKeyPath (`$`, `.name`, `['name']`, `[index]`); a path the event
  does not have is "not found" (null in the input), one that does not start with `$` a
  CloudUsageError;
- `transform_input`: an InputTransformer's InputTemplate with its <placeholders> filled as
  EventBridge fills them (as text inside a JSON string, as JSON elsewhere), including the
  predefined <aws.events.rule-arn>, <aws.events.rule-name>, <aws.events.event>,
  <aws.events.event.json> and <aws.events.event.ingestion-time>.
Both are hand-written on purpose: jsonpath-ng accepts paths EventBridge rejects, and moto's
EventTemplateParser substitutes only truthy values and parses the result as JSON, so a text
template such as `"Order <id> shipped"` fails there. The rules that use them are in rules.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["json_path", "transform_input"]

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def json_path(document: Any, path: str) -> tuple[bool, Any]:
    """Resolve the simple JSONPath EventBridge accepts ($, .name, ['name'], [index]).

    Returns (found, value).
    """
    if not path.startswith("$"):
        from ..core.errors import CloudUsageError

        raise CloudUsageError(f"JSONPath {path!r}는 $로 시작해야 합니다(예: $.detail.orderId).")
    tokens = re.findall(r"\.([^.\[\]]+)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[\s*(\d+)\s*\]", path[1:])
    value = document
    for name, quoted, double_quoted, index in tokens:
        key = name or quoted or double_quoted
        if index:
            if not isinstance(value, list) or int(index) >= len(value):
                return False, None
            value = value[int(index)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return False, None
    return True, value


def transform_input(template: str, paths: dict[str, str], event: dict[str, Any], rule_arn: str, rule_name: str) -> str:
    """Apply an InputTransformer: fill the template's <placeholders> the way EventBridge does.

    Inside a JSON string ("... <name> ...") a value is inserted as text; elsewhere it is
    inserted as JSON (a string gets its quotes). A path that is not in the event gives null
    (or nothing, inside a string).
    """
    values: dict[str, tuple[bool, Any]] = {name: json_path(event, path) for name, path in paths.items()}
    without_detail = {k: v for k, v in event.items() if k != "detail"}
    predefined = {
        "aws.events.rule-arn": (True, rule_arn),
        "aws.events.rule-name": (True, rule_name),
        "aws.events.event.ingestion-time": (True, event.get("time")),
        "aws.events.event": (True, without_detail),
        "aws.events.event.json": (True, event),
    }
    out: list[str] = []
    in_string = False
    escaped = False
    position = 0
    while position < len(template):
        char = template[position]
        match = _PLACEHOLDER.match(template, position) if char == "<" else None
        if match and (match.group(1) in values or match.group(1) in predefined):
            found, value = values.get(match.group(1)) or predefined[match.group(1)]
            if in_string:
                text = value if isinstance(value, str) else ("" if not found else json.dumps(value))
                out.append(json.dumps(text)[1:-1])
            else:
                out.append(json.dumps(value if found else None))
            position = match.end()
            continue
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        out.append(char)
        position += 1
    return "".join(out)
