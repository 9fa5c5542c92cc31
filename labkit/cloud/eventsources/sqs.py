"""SQS -> Lambda: the event-source mapping poller.

What Lambda's SQS poller does, and so what this one does:
- receives messages (they become in flight for the queue's visibility timeout) and invokes the
  function with a batch of up to BatchSize records, waiting up to
  MaximumBatchingWindowInSeconds to fill a batch;
- records carry the real attributes of each message (ApproximateReceiveCount,
  SentTimestamp, ApproximateFirstReceiveTimestamp, SenderId, messageAttributes, md5OfBody);
- on success deletes the batch; on a function error or a throttle deletes nothing, so the
  messages come back after the visibility timeout; with ReportBatchItemFailures deletes all but
  the records named in `batchItemFailures` (by AWS's rules for malformed responses);
- the queue's redrive policy moves a message to its DLQ when it is received again after
  maxReceiveCount receives (SQS does this, in moto too);
- with FilterCriteria, a message that matches none of the patterns is deleted from the queue
  without invoking the function (Lambda does this; see filtering.py for what is matched);
- disabled mappings are not polled; deleted mappings are forgotten.

moto would deliver synchronously inside send_message, one record at a time; `install` below
detaches every SQS mapping from that path so this poller is the only consumer. It receives and
deletes through moto's SQS backend (ReceiveMessage and DeleteMessageBatch without the boto3 round
trip), which with `sqs_queues.py` keeps a delivery's cost flat in the queue's depth. Polling happens
only in `LocalCloud.run_until_idle()`, in the calling thread, one batch at a time (AWS runs
several pollers in parallel; the order of batches here is deterministic instead).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ..awslambda.models import Invocation
from ..core import arns
from ..core.errors import TooManyRequestsException
from ..moto.registry import MotoName
from . import filtering
from .batch_failures import failed_item_ids

if TYPE_CHECKING:
    from ..core.context import CloudContext

__all__ = ["SqsPoller", "SqsDelivery", "sqs_record"]


@dataclass
class SqsDelivery:
    """One batch handed to a function, and what became of it."""

    mapping_uuid: str
    message_ids: list[str]
    invocation: Invocation | None
    failed_ids: list[str] = field(default_factory=list)
    throttled: bool = False

    @property
    def deleted_ids(self) -> list[str]:
        if self.invocation is None or not self.invocation.ok:
            return []
        return [m for m in self.message_ids if m not in self.failed_ids]


@dataclass
class _MappingState:
    queue_url: str
    queue_name: str
    buffer: list[dict[str, Any]] = field(default_factory=list)
    window_started: float | None = None


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return out


def _as_received(message: Any) -> dict[str, Any]:
    """A moto Message as boto3's ReceiveMessage returns it with every attribute asked for
    (moto.sqs.responses.receive_message builds the same fields)."""
    out: dict[str, Any] = {
        "MessageId": message.id, "ReceiptHandle": message.receipt_handle, "MD5OfBody": message.body_md5,
        "Body": message.body,
    }
    if message.message_attributes:
        out["MessageAttributes"] = message.message_attributes
        out["MD5OfMessageAttributes"] = message.attribute_md5
    attributes: dict[str, Any] = {
        "SenderId": message.sender_id,
        "SentTimestamp": str(message.sent_timestamp),
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if message.deduplication_id is not None:
        attributes["MessageDeduplicationId"] = message.deduplication_id
    if message.group_id is not None:
        attributes["MessageGroupId"] = message.group_id
    trace = (message.system_attributes or {}).get("AWSTraceHeader")
    if trace:
        attributes["AWSTraceHeader"] = trace.get("StringValue")
    if message.sequence_number is not None:
        attributes["SequenceNumber"] = message.sequence_number
    out["Attributes"] = attributes
    return out


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of an SQS event, from a ReceiveMessage result, in Lambda's shape."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {k: str(v) for k, v in message.get("Attributes", {}).items()},
        "messageAttributes": {k: _message_attribute(v) for k, v in message.get("MessageAttributes", {}).items()},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


class SqsPoller:
    """The poller behind every SQS event-source mapping of one local cloud."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self._states: dict[str, _MappingState] = {}
        self.deliveries: list[SqsDelivery] = []
        self.filtered_ids: list[str] = []  # messages deleted because no FilterCriteria pattern matched
        self._sqs: Any = None

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            self._sqs = self.ctx.client("sqs")
        return self._sqs

    def mappings(self) -> list[Any]:
        backend = self.ctx.runtime.backend
        found = [m for m in backend.list_event_source_mappings(None, None) if arns.service(m.event_source_arn) == "sqs"]
        live = {m.uuid for m in found}
        for gone in set(self._states) - live:
            del self._states[gone]
        return found

    def _state(self, esm: Any) -> _MappingState:
        state = self._states.get(esm.uuid)
        if state is None:
            name = arns.queue_name(esm.event_source_arn)
            url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            state = self._states[esm.uuid] = _MappingState(url, name)
        return state

    def _backend(self) -> Any:
        from moto.sqs.models import sqs_backends

        return sqs_backends[self.ctx.account_id][self.ctx.region]

    def _receive(self, state: _MappingState, count: int) -> list[dict[str, Any]]:
        """ReceiveMessage(AttributeNames=["All"], MessageAttributeNames=["All"]) straight from moto's
        SQS backend, in the shape boto3 returns: the poller's share of a delivery's cost is then a
        fraction of what the boto3 round trip (serialising, parsing, signing) costs."""
        backend = self._backend()
        queue = backend.get_queue(state.queue_name)
        messages = backend.receive_message(state.queue_name, count, 0, queue.visibility_timeout, ["All"])
        return [_as_received(m) for m in messages]

    def poll(self) -> int:
        """Deliver every batch that is ready now; returns how many invocations ran."""
        delivered = 0
        for esm in self.mappings():
            if not esm.enabled:
                self._states.pop(esm.uuid, None)  # in-flight messages return after their timeout
                continue
            state = self._state(esm)
            while True:
                self._fill(esm, state)
                if not state.buffer or not self._ready(esm, state):
                    break
                batch, state.buffer, state.window_started = state.buffer, [], None
                self._deliver(esm, state, batch)
                delivered += 1
        return delivered

    def _fill(self, esm: Any, state: _MappingState) -> None:
        while len(state.buffer) < esm.batch_size:
            messages = self._receive(state, min(10, esm.batch_size - len(state.buffer)))
            if not messages:
                return
            messages = self._filter(esm, state, messages)
            if not messages:
                continue
            if state.window_started is None:
                state.window_started = self.ctx.clock.now()
            state.buffer.extend(messages)

    def _filter(self, esm: Any, state: _MappingState, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The messages that pass the mapping's filters; the others are deleted, as Lambda does."""
        patterns = filtering.patterns(esm.filter_criteria)
        if not patterns:
            return messages
        region = self.ctx.region
        kept, dropped = [], []
        for message in messages:
            record = sqs_record(message, esm.event_source_arn, region)
            (kept if filtering.record_matches(patterns, record, "sqs") else dropped).append(message)
        if dropped:
            self._delete(state, dropped)
            self.filtered_ids.extend(m["MessageId"] for m in dropped)
        return kept

    def _delete(self, state: _MappingState, messages: list[dict[str, Any]]) -> None:
        backend = self._backend()
        for start in range(0, len(messages), 10):  # DeleteMessageBatch takes ten at a time
            chunk = messages[start : start + 10]
            backend.delete_message_batch(
                state.queue_name, [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            )

    def _ready(self, esm: Any, state: _MappingState) -> bool:
        window = float(esm.max_batch_window or 0)
        if len(state.buffer) >= esm.batch_size or window == 0:
            return True
        return state.window_started is not None and self.ctx.clock.now() >= state.window_started + window

    def _deliver(self, esm: Any, state: _MappingState, batch: list[dict[str, Any]]) -> None:
        runtime = self.ctx.runtime
        region = self.ctx.region
        event = {"Records": [sqs_record(m, esm.event_source_arn, region) for m in batch]}
        ids = [m["MessageId"] for m in batch]
        delivery = SqsDelivery(esm.uuid, ids, None)
        self.deliveries.append(delivery)
        try:
            fn = runtime.resolve(esm.function_arn)
            delivery.invocation = runtime.invoke(fn, json.dumps(event).encode(), invoked_arn=esm.function_arn)
        except TooManyRequestsException:
            delivery.throttled = True
            return  # nothing deleted: the batch returns after the visibility timeout
        if not delivery.invocation.ok:
            delivery.failed_ids = list(ids)
            return
        if "ReportBatchItemFailures" in (esm.function_response_types or []):
            delivery.failed_ids = failed_item_ids(delivery.invocation.result, ids)
        self._delete(state, [m for m in batch if m["MessageId"] not in delivery.failed_ids])

    def next_due(self) -> float | None:
        """When the next message of a polled queue becomes visible or a batching window closes."""
        times: list[float] = []
        now = self.ctx.clock.now()
        for esm in self.mappings():
            if not esm.enabled:
                continue
            state = self._states.get(esm.uuid)
            if state and state.buffer and state.window_started is not None:
                times.append(state.window_started + float(esm.max_batch_window or 0))
            name = arns.queue_name(esm.event_source_arn)
            visible = queue_next_visible(self.ctx.account_id, self.ctx.region, name, now)
            if visible is not None:
                times.append(visible)
        return min(times) if times else None


# --------------------------------------------------------------------------- moto patches


def queue_next_visible(account_id: str, region: str, queue_name: str, now: float) -> float | None:
    """When the next message in a queue becomes receivable (None if none is waiting)."""
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[account_id][region].queues.get(queue_name)
    if queue is None:
        return None
    upcoming = []
    for message in list(queue._messages):
        # moto treats a message as visible only strictly after visible_at (ms).
        ready = max(message.visible_at, message.delayed_until) / 1000.0 + 0.001
        if ready > now:
            upcoming.append(ready)
    return min(upcoming) if upcoming else None


def install(set_: Callable[[Any, str, Any], None], *, now: Callable[[], float]) -> None:
    """SQS on the runtime's clock, `now` (visibility timeouts expire when a lab advances time), and
    every new SQS mapping detached from moto's delivery inside send_message (the poller delivers).
    The queues' own patches are in sqs_queues.py."""
    import moto.sqs.models as sqs_models
    from moto.awslambda.models import LambdaBackend

    real_unix_time = sqs_models.unix_time

    def unix_time(dt: Any = None) -> float:
        return now() if dt is None else real_unix_time(dt)

    def unix_time_millis(dt: Any = None) -> float:
        return unix_time(dt) * 1000.0

    set_(sqs_models, "unix_time", unix_time)
    set_(sqs_models, "unix_time_millis", unix_time_millis)
    original_create_esm = LambdaBackend.create_event_source_mapping  # Lambda's checks (mapping_rules.py)

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        esm = original_create_esm(self, spec)
        if arns.service(esm.event_source_arn) == "sqs":
            for queue in sqs_models.sqs_backends[self.account_id][self.region_name].queues.values():
                if queue.queue_arn == esm.event_source_arn:
                    queue.lambda_event_source_mappings.pop(esm.function_arn, None)
        return esm

    set_(LambdaBackend, "create_event_source_mapping", create_event_source_mapping)


PATCHES = (
    MotoName("moto.sqs.models:Queue", "visibility_timeout", instance=True),
    MotoName("moto.sqs.models", "unix_time", "(dt=None)"),
    MotoName("moto.sqs.models", "unix_time_millis", "(dt=None)"),
    MotoName("moto.sqs.models", "sqs_backends"),
    MotoName("moto.sqs.models:Queue", "lambda_event_source_mappings", instance=True),
    MotoName("moto.sqs.models:Queue", "_messages", instance=True),
    MotoName("moto.sqs.models:Message", "visible_at", instance=True),
    MotoName("moto.sqs.models:Message", "delayed_until", instance=True),
    MotoName("moto.sqs.models:SQSBackend", "get_queue", "(self, queue_name)"),
    MotoName("moto.awslambda.models:LambdaBackend", "create_event_source_mapping", "(self, spec)"),
)
