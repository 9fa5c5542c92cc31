"""EventBridge rules -> targets, as EventBridge delivers them.

What EventBridge does, and so what this does:
- an event put on a bus goes to every ENABLED rule of that bus whose pattern matches (moto's
  pattern matcher: prefixes, numeric ranges, anything-but, exists, ...). DISABLED rules and
  rules that only have a ScheduleExpression match nothing (`schedules.py` fires the latter);
- each target gets the full event: version, id, detail-type, source, account, time (ISO 8601,
  on the runtime's clock), region, resources, detail; or what the target's `Input` (constant
  JSON), `InputPath` (a JSONPath into the event) or `InputTransformer` (InputPathsMap +
  InputTemplate, with the predefined <aws.events.rule-arn>, <aws.events.rule-name>,
  <aws.events.event>, <aws.events.event.json>, <aws.events.event.ingestion-time>) makes of it;
- Lambda targets are invoked asynchronously (the async queue: retries, destinations, DLQ); SQS
  (FIFO with SqsParameters.MessageGroupId and the event id as deduplication id), SNS, Kinesis
  (KinesisParameters.PartitionKeyPath) and Step Functions targets get the input as text; logs,
  archives, other buses and API destinations go through moto as before;
- a target that cannot be reached is retried by nobody here (EventBridge retries for up to 24
  hours): the event goes to the target's DeadLetterConfig queue, with EventBridge's
  ERROR_CODE / ERROR_MESSAGE / RULE_ARN / TARGET_ARN attributes, and is kept in `failures`.
Delivery happens inside PutEvents (EventBridge's own latency is not modelled); a Lambda target
then runs in `LocalCloud.run_until_idle()` like every async invocation.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import uuid
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from . import arns
from .moto.registry import MotoName

if TYPE_CHECKING:
    from .session import LocalCloud

__all__ = ["EventBridgeDelivery", "TargetDelivery", "transform_input", "json_path", "full_event", "pattern_matches"]

ENABLED_STATES = ("ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_MOTO_TARGETS = ("logs", "events")  # delivered by moto's own Rule.send_to_targets


@dataclass
class TargetDelivery:
    """One event handed (or not) to one target of a rule."""

    rule_arn: str
    target_id: str
    target_arn: str
    input: str
    error: str | None = None


def _iso(value: Any) -> str:
    """EventBridge's `time`: ISO 8601 to the second, UTC, with a Z."""
    if isinstance(value, _dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
    elif isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value)):
        stamp = _dt.datetime.fromtimestamp(float(value), tz=_dt.timezone.utc)
    elif isinstance(value, str) and value:
        stamp = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=_dt.timezone.utc)
    else:
        stamp = _dt.datetime.now(tz=_dt.timezone.utc)
    return stamp.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    """Whether `event` matches an EventBridge pattern: rules here, Lambda FilterCriteria in filtering.py.

    The operators (prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard,
    cidr, $or) are moto's `EventPattern`; only the flattening of the event is ours (`_flatten`).
    """
    from moto.events.models import EventPattern

    if not pattern:
        return True
    return EventPattern(None, pattern)._does_event_match(_flatten(json.loads(json.dumps(event))), pattern)


def full_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event as a target receives it, from moto's internal message."""
    out = {
        "version": "0",
        "id": event.get("id") or str(uuid.uuid4()),
        "detail-type": event.get("detail-type", ""),
        "source": event.get("source", ""),
        "account": event.get("account", ""),
        "time": _iso(event.get("time")),
        "region": event.get("region", ""),
        "resources": list(event.get("resources") or []),
        "detail": event.get("detail") if event.get("detail") is not None else {},
    }
    if event.get("replay-name"):
        out["replay-name"] = event["replay-name"]
    return out


def json_path(document: Any, path: str) -> tuple[bool, Any]:
    """Resolve the simple JSONPath EventBridge accepts ($, .name, ['name'], [index]).

    Returns (found, value).
    """
    if not path.startswith("$"):
        from .errors import CloudUsageError

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


class EventBridgeDelivery:
    """Rule -> target delivery for one local cloud."""

    def __init__(self, cloud: "LocalCloud") -> None:
        self.cloud = cloud
        self.deliveries: list[TargetDelivery] = []
        self.failures: list[TargetDelivery] = []
        self._original_send: Callable[..., None] | None = None

    # ---- input

    def target_input(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> str:
        """The text a target receives for `event`."""
        if target.get("Input") is not None:
            return target["Input"]
        if target.get("InputPath"):
            found, value = json_path(event, target["InputPath"])
            return json.dumps(value if found else None)
        transformer = target.get("InputTransformer")
        if transformer:
            return transform_input(
                transformer.get("InputTemplate", ""), transformer.get("InputPathsMap") or {}, event, rule.arn, rule.name
            )
        return json.dumps(event)

    # ---- delivery

    def deliver(self, rule: Any, event: dict[str, Any], *, match: bool = True) -> int:
        """Send `event` (moto's internal form or a full event) to every target of `rule`.

        `match=False` skips the pattern and state checks (schedules fire their rule directly).
        Returns how many targets were reached.
        """
        if match:
            if rule.state not in ENABLED_STATES or not rule.event_pattern.get_pattern():
                return 0
            if not pattern_matches(rule.event_pattern.get_pattern(), event):
                return 0
        full = full_event(event)
        reached = 0
        for target in list(rule.targets):
            arn = target["Arn"]
            service = arns.service(arn)
            if service in _MOTO_TARGETS and self._original_send is not None:
                self._via_moto(rule, target, event)
                reached += 1
                continue
            record = TargetDelivery(rule.arn, target.get("Id", ""), arn, "")
            try:
                record.input = self.target_input(rule, target, full)
                self._send(service, arn, target, record.input, full)
                reached += 1
            except Exception as exc:
                record.error = str(exc)
                self._failed(rule, target, record, full)
            self.deliveries.append(record)
        return reached

    def _via_moto(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
        saved = rule.targets
        rule.targets = [target]
        try:
            self._original_send(rule, dict(event))  # type: ignore[misc]
        finally:
            rule.targets = saved

    def _send(self, service: str, arn: str, target: dict[str, Any], text: str, event: dict[str, Any]) -> None:
        cloud = self.cloud
        region = arns.parse(arn).region or cloud.region
        if service == "lambda":
            try:
                payload = json.loads(text)
            except ValueError as exc:
                raise ValueError(f"Lambda 대상의 입력이 JSON이 아닙니다: {text[:80]!r}") from exc
            fn = cloud.runtime.resolve(arn)
            cloud.async_invoker.enqueue(fn, json.dumps(payload).encode(), arn)
        elif service == "sqs":
            from moto.sqs.models import sqs_backends

            group = (target.get("SqsParameters") or {}).get("MessageGroupId")
            kwargs: dict[str, Any] = {}
            if arn.endswith(".fifo"):
                kwargs = {"group_id": group, "deduplication_id": event["id"]}
            sqs_backends[cloud.account_id][region].send_message(queue_name=arns.queue_name(arn), message_body=text, **kwargs)
        elif service == "sns":
            from moto.sns.models import sns_backends

            sns_backends[cloud.account_id][region].publish(message=text, arn=arn)
        elif service == "kinesis":
            key_path = (target.get("KinesisParameters") or {}).get("PartitionKeyPath")
            found, key = json_path(event, key_path) if key_path else (False, None)
            cloud.client("kinesis").put_record(
                StreamARN=arn, Data=text.encode(), PartitionKey=str(key) if found else event["id"]
            )
        elif service == "states":
            cloud.client("stepfunctions").start_execution(stateMachineArn=arn, input=text)
        else:
            raise ValueError(f"{service} 대상은 오프라인 클라우드가 지원하지 않습니다")

    def _failed(self, rule: Any, target: dict[str, Any], record: TargetDelivery, event: dict[str, Any]) -> None:
        self.failures.append(record)
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if dlq:
            from moto.sqs.models import sqs_backends

            attributes = {
                "ERROR_CODE": {"DataType": "String", "StringValue": "SDK_CLIENT_ERROR"},
                "ERROR_MESSAGE": {"DataType": "String", "StringValue": (record.error or "-")[:256]},
                "RULE_ARN": {"DataType": "String", "StringValue": rule.arn},
                "TARGET_ARN": {"DataType": "String", "StringValue": record.target_arn},
            }
            region = arns.parse(dlq).region
            sqs_backends[self.cloud.account_id][region].send_message(
                queue_name=arns.queue_name(dlq), message_body=json.dumps(event), message_attributes=attributes
            )
            return
        warnings.warn(
            f"EventBridge 규칙 {rule.name}의 대상 {record.target_arn}에 이벤트를 전달하지 못했습니다({record.error}). "
            "대상이 있는지 확인하거나 DeadLetterConfig를 지정하십시오.",
            stacklevel=4,
        )

    # ---- moto patches

    def install(self, set_: Callable[[Any, str, Any], None]) -> None:
        import moto.events.models as events_models

        delivery = self
        clock = self.cloud.clock
        real_unix_time = events_models.unix_time
        real_unix_time_millis = events_models.unix_time_millis
        self._original_send = events_models.Rule.send_to_targets

        def unix_time(dt: Any = None) -> float:
            return clock.now() if dt is None else real_unix_time(dt)

        def unix_time_millis(dt: Any = None) -> float:
            return clock.now() * 1000.0 if dt is None else real_unix_time_millis(dt)

        set_(events_models, "unix_time", unix_time)
        set_(events_models, "unix_time_millis", unix_time_millis)

        def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
            delivery.deliver(self, original_event)

        set_(events_models.Rule, "send_to_targets", send_to_targets)


# moto's private names `EventBridgeDelivery.install` patches or reads (filtering.py reads the pattern engine).
PATCHES = (
    MotoName("moto.events.models", "unix_time", "(dt=None)"),
    MotoName("moto.events.models", "unix_time_millis", "(dt=None)"),
    MotoName("moto.events.models:Rule", "send_to_targets", "(self, original_event, transform_input=True)"),
    MotoName("moto.events.models:EventPattern", "get_pattern", "(self)"),
    MotoName("moto.events.models:EventPattern", "_does_event_match", "(self, event_flat, pattern_node, prefix='')"),
    MotoName("moto.events.models:EventPatternParser", "parse", "(self)"),
    MotoName("moto.events.models", "events_backends"),
)
