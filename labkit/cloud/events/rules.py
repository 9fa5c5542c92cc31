"""EventBridge rules -> targets, as EventBridge delivers them.

What EventBridge does, and so what this does:
- an event put on a bus goes to every ENABLED rule of that bus whose pattern matches (moto's
  pattern matcher: prefixes, numeric ranges, anything-but, exists, ...). DISABLED rules and
  rules that only have a ScheduleExpression match nothing (`schedules.py` fires the latter);
- each target gets the full event: version, id, detail-type, source, account, time (ISO 8601,
  on the runtime's clock), region, resources, detail; or what the target's `Input` (constant
  JSON), `InputPath` (a JSONPath into the event) or `InputTransformer` (InputPathsMap +
  InputTemplate, with the predefined <aws.events.rule-arn>, <aws.events.rule-name>,
  <aws.events.event>, <aws.events.event.json>, <aws.events.event.ingestion-time>) makes of it
  (input.py);
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

import json
import uuid
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..core import arns
from ..core.patterns import ENABLED_STATES, pattern_matches
from ..core.targets import eventbridge_dlq_attributes
from ..core.timefmt import iso_seconds
from ..moto.registry import MotoName
from .input import json_path, transform_input

if TYPE_CHECKING:
    from ..core.context import CloudContext

__all__ = ["EventBridgeRules", "TargetDelivery", "full_event"]

_MOTO_TARGETS = ("logs", "events")  # delivered by moto's own Rule.send_to_targets


@dataclass
class TargetDelivery:
    """One event handed (or not) to one target of a rule."""

    rule_arn: str
    target_id: str
    target_arn: str
    input: str
    error: str | None = None


def full_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event as a target receives it, from moto's internal message."""
    out = {
        "version": "0",
        "id": event.get("id") or str(uuid.uuid4()),
        "detail-type": event.get("detail-type", ""),
        "source": event.get("source", ""),
        "account": event.get("account", ""),
        "time": iso_seconds(event.get("time")),
        "region": event.get("region", ""),
        "resources": list(event.get("resources") or []),
        "detail": event.get("detail") if event.get("detail") is not None else {},
    }
    if event.get("replay-name"):
        out["replay-name"] = event["replay-name"]
    return out


class EventBridgeRules:
    """EventBridge rules for one cloud: match an event, build each target's input, send it (ctx.send)."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
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

        `match=False` skips the pattern and state checks (`fire`: a schedule's occurrence sent to the rule ARN).
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
                self.ctx.send(arn, record.input, **self.send_options(target, full))
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

    def send_options(self, target: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
        """`ctx.send` options for one target: FIFO group and deduplication id, Kinesis partition key."""
        key_path = (target.get("KinesisParameters") or {}).get("PartitionKeyPath")
        found, key = json_path(event, key_path) if key_path else (False, None)
        return {
            "group_id": (target.get("SqsParameters") or {}).get("MessageGroupId"),
            "deduplication_id": event["id"],
            "partition_key": str(key) if found else event["id"],
        }

    def fire(self, rule_arn: str, event: dict[str, Any]) -> int:
        """Hand `event` to every target of the rule `rule_arn`, whatever its pattern (a schedule's occurrence).

        What `ctx.send(rule_arn, ...)` does; returns how many targets were reached.
        """
        from moto.events.models import events_backends

        fields = arns.parse(rule_arn)
        bus, _, name = fields.resource.removeprefix("rule/").rpartition("/")
        rule = events_backends[fields.account][fields.region].describe_rule(name, bus or None)
        return self.deliver(rule, event, match=False)

    def _failed(self, rule: Any, target: dict[str, Any], record: TargetDelivery, event: dict[str, Any]) -> None:
        self.failures.append(record)
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if dlq:
            self.ctx.send(dlq, json.dumps(event), attributes=eventbridge_dlq_attributes(record.error, rule.arn, record.target_arn))
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
        clock = self.ctx.clock
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


# moto's private names `EventBridgeRules.install` patches or reads (core/patterns.py and eventsources/filtering.py
# read the pattern engine).
PATCHES = (
    MotoName("moto.events.models", "unix_time", "(dt=None)"),
    MotoName("moto.events.models", "unix_time_millis", "(dt=None)"),
    MotoName("moto.events.models:Rule", "send_to_targets", "(self, original_event, transform_input=True)"),
    MotoName("moto.events.models:EventPattern", "get_pattern", "(self)"),
    MotoName("moto.events.models:EventPattern", "_does_event_match", "(self, event_flat, pattern_node, prefix='')"),
    MotoName("moto.events.models:EventPatternParser", "parse", "(self)"),
    MotoName("moto.events.models", "events_backends"),
)
