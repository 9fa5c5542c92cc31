"""moto's SQS queues, with FIFO groups delivered in order and a cost per message that does not
grow with the queue.

moto 5.2.5 spends time proportional to the queue's length on every message:
- `receive_message` checks each message's retention with `get_queue_attributes`, which
  recomputes every queue attribute, message counts included (each a scan of the queue), and it
  first lists every visible message to take ten of them;
- `Queue.delete_message` scans the queue for the receipt handle, then copies the queue;
- `send_message` reads ContentBasedDeduplication through the same attributes.
A poller draining 2,000 messages spent 27 of 31 s in those scans (cProfile). The versions here
read the queue's own fields, walk the queue only as far as the messages they take, and find a
message by its receipt handle in a dictionary.

FIFO groups (moto bug): moto takes a snapshot of the groups with messages in flight, and when a
message whose visibility timeout expired is seen again, the later messages of its group are
still counted as in flight, so only the last message of each group is returned and the earlier
ones come back behind it. SQS returns a group's messages in order and locks the group while any
of them is in flight ("no more messages for the same message group ID are returned unless you
delete the message or it becomes visible"). `_take` does that.

Receiving hands back a shallow copy of each message, not moto's deep copy (see `_take`), and
messages are not kept in moto's instance registry (`_untracked`): moto's dashboard does not list
them.

Retention: a message older than the queue's MessageRetentionPeriod is deleted, as SQS does
(moto marked it received, kept it in flight and ended the receive there).

DLQ redrive (moto 5.2.5 does not implement it): StartMessageMoveTask moves a dead-letter queue's
messages back to the queue each came from (remembered when the redrive policy moved it) or to
DestinationArn, as new messages with a new MessageId and a receive count of 0; the task completes
inside the call (SQS moves in the background, at MaxNumberOfMessagesPerSecond), so
ListMessageMoveTasks reports it COMPLETED at once. Messages in flight are not moved, as in SQS.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import string
from typing import Any, Callable

from ..moto.registry import MotoName

__all__ = ["install", "FIFO_SEQUENCE_STEP", "RECEIPTS", "start_message_move_task"]

FIFO_SEQUENCE_STEP = 65_536  # far apart, as AWS's FIFO sequence numbers are
RECEIPTS = "_labkit_receipts"  # Queue attribute: receipt handle -> the message it was issued for
CAME_FROM = "_labkit_source_queue"  # Message attribute: the queue whose redrive policy moved it to a DLQ
MOVE_TASKS = "_labkit_move_tasks"  # Backend attribute: every message move task, oldest first


def _receipts(queue: Any) -> dict[str, Any]:
    found = queue.__dict__.get(RECEIPTS)
    if found is None:
        found = queue.__dict__[RECEIPTS] = {}
    return found


def _forget(queue: Any, message: Any) -> None:
    receipts = _receipts(queue)
    for handle in message.all_receipt_handles:
        receipts.pop(handle, None)


def _untracked(cls: type) -> Any:
    """An instance of a moto model that moto does not keep: BaseModel.__new__ appends every
    instance (copies too) to `cls.instances_tracked` for moto's dashboard until the mock stops, so
    each message ever sent or received stayed alive and every full garbage collection walked all
    of them: the cost of a receive grew with how many messages had gone through."""
    return object.__new__(cls)


def _take(backend: Any, queue: Any, queue_name: str, count: int, visibility_timeout: int | None, names: list[str]) -> list[Any]:
    """Receive up to `count` messages now, walking the queue only as far as needed."""
    import moto.sqs.models as sqs_models

    now = sqs_models.unix_time_millis()
    pending = queue.pending_messages
    for message in [m for m in pending if m.visible_at < now]:
        pending.discard(message)  # its visibility timeout expired: no longer in flight
    fifo = queue.fifo_queue
    locked = {m.group_id for m in pending if m.group_id is not None} if fifo else set()
    receipts = _receipts(queue)
    policy = queue.redrive_policy if queue.dead_letter_queue is not None else None
    result: list[Any] = []
    expired: list[Any] = []
    to_dlq: list[Any] = []
    for message in queue._messages:
        if message.visible_at >= now or message.delayed_until > now:
            if fifo and message.group_id is not None:
                locked.add(message.group_id)  # later messages of the group wait for this one
            continue
        if fifo and message.group_id in locked:
            continue
        if not backend.is_message_valid_based_on_retention_period(queue_name, message):
            expired.append(message)
            continue
        if policy and message.approximate_receive_count >= policy["maxReceiveCount"]:
            to_dlq.append(message)
            continue
        pending.add(message)
        message.mark_received(visibility_timeout=visibility_timeout)
        receipts[message.receipt_handle] = message
        # The caller's copy (moto deep-copies): the attribute filter rebinds message_attributes on
        # it, and the one list that later receives mutate is copied; a deep copy of every received
        # message was most of a receive's cost and garbage.
        copy = _untracked(type(message))
        copy.__dict__.update(message.__dict__)
        copy._old_receipt_handles = list(message._old_receipt_handles)
        sqs_models._filter_message_attributes(copy, names)
        result.append(copy)
        if len(result) >= count:
            break
    for message in expired + to_dlq:
        queue._messages.remove(message)
        pending.discard(message)
        _forget(queue, message)
    for message in to_dlq:
        message.__dict__[CAME_FROM] = queue.name
        queue.dead_letter_queue.add_message(message)
    return result


def _move_error(code: str, message: str) -> Exception:
    from moto.sqs.exceptions import SQSException

    return SQSException(code, message)


def _queue_by_arn(backend: Any, arn: str | None, role: str) -> Any:
    parts = (arn or "").split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise _move_error("InvalidParameterValue", f"{role} {arn!r} is not a valid SQS queue ARN. "
                          f"{role}에는 arn:aws:sqs:<리전>:<계정>:<큐 이름> 모양의 큐 ARN을 넘기십시오.")
    queue = backend.queues.get(parts[5])
    if queue is None or queue.queue_arn != arn:
        raise _move_error("ResourceNotFoundException", f"The resource that you specified for the {role} parameter "
                          f"does not exist. 이 ARN의 큐가 없습니다: {parts[5]}. ARN을 확인하십시오.")
    return queue


def start_message_move_task(backend: Any, source_arn: str, destination_arn: str | None = None,
                            rate: int | None = None) -> str:
    """Move the visible messages of dead-letter queue `source_arn` back; return the task handle."""
    import base64
    import json

    import moto.sqs.models as sqs_models

    dlq = _queue_by_arn(backend, source_arn, "SourceArn")
    sources = [q for q in backend.queues.values()
               if q.dead_letter_queue is not None and q.dead_letter_queue.queue_arn == dlq.queue_arn]
    if not sources:
        raise _move_error("InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue. "
                          f"deadLetterTargetArn이 이 큐({dlq.name})인 리드라이브 정책이 없습니다. 원래 큐의 RedrivePolicy를 확인하십시오.")
    destination = _queue_by_arn(backend, destination_arn, "DestinationArn") if destination_arn else None
    now = sqs_models.unix_time_millis()
    visible = [m for m in dlq._messages if m.visible_at < now and m not in dlq.pending_messages]
    for message in visible:
        target = destination or backend.queues.get(message.__dict__.get(CAME_FROM, "")) or sources[0]
        backend.send_message(target.name, message.body, message_attributes=message.message_attributes or None,
                             group_id=message.group_id, deduplication_id=message.deduplication_id)
        dlq._messages.remove(message)
        _forget(dlq, message)
    handle = base64.b64encode(json.dumps({"taskId": str(len(_move_tasks(backend)) + 1), "sourceArn": source_arn})
                              .encode()).decode()
    task = {"TaskHandle": handle, "Status": "COMPLETED", "SourceArn": source_arn,
            "ApproximateNumberOfMessagesMoved": len(visible), "ApproximateNumberOfMessagesToMove": len(visible),
            "StartedTimestamp": now}
    if destination_arn:
        task["DestinationArn"] = destination_arn
    if rate is not None:
        task["MaxNumberOfMessagesPerSecond"] = int(rate)
    _move_tasks(backend).append(task)
    return handle


def _move_tasks(backend: Any) -> list[dict[str, Any]]:
    return backend.__dict__.setdefault(MOVE_TASKS, [])


def install(set_: Callable[[Any, str, Any], None]) -> None:
    """Patch moto's SQS queues (through the patch ledger, `moto/patching.py`, so stopping the cloud undoes it)."""
    import moto.sqs.models as sqs_models
    from moto.moto_api._internal import mock_random

    Backend = sqs_models.SQSBackend
    Queue = sqs_models.Queue

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention = self.get_queue(queue_name).message_retention_period
        return retention + message.sent_timestamp / 1000 > sqs_models.unix_time()

    def generate_receipt_handle() -> str:
        """moto's receipt handle (185 random lowercase letters, from moto's seedable random), drawn
        in one call: moto draws letter by letter, a third of the cost of a receive."""
        return "".join(mock_random.choices(string.ascii_lowercase, k=185))

    set_(sqs_models, "generate_receipt_handle", generate_receipt_handle)
    set_(Backend, "is_message_valid_based_on_retention_period", is_message_valid_based_on_retention_period)

    def receive_message(
        self: Any, queue_name: str, count: int, wait_seconds_timeout: int, visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> list[Any]:
        queue = self.get_queue(queue_name)
        polling_end = sqs_models.unix_time() + wait_seconds_timeout
        while True:
            result = _take(self, queue, queue_name, count, visibility_timeout, message_attribute_names or [])
            if result or not wait_seconds_timeout or sqs_models.unix_time() > polling_end:
                return result
            queue.wait_for_messages(1)

    set_(Backend, "receive_message", receive_message)

    original_delete = Queue.delete_message

    def delete_message(self: Any, receipt_handle: str) -> None:
        if receipt_handle in self.deleted_messages:
            return  # deleting twice succeeds, as in moto
        message = _receipts(self).get(receipt_handle)
        try:
            if message is None:
                raise ValueError
            self._messages.remove(message)
        except ValueError:
            return original_delete(self, receipt_handle)  # a handle this index does not know: moto's scan
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)
        _forget(self, message)

    set_(Queue, "delete_message", delete_message)

    def content_based(queue: Any) -> bool:
        """What moto reads as `queue.attributes.get("ContentBasedDeduplication") == "true"`."""
        return bool(queue.fifo_queue and queue.content_based_deduplication)

    def validate_message(
        self: Any, queue: Any, message_body: str, delay_seconds: int, deduplication_id: str | None = None,
        group_id: str | None = None, validate_group_id: bool = True,
    ) -> None:
        if queue.fifo_queue:
            if not content_based(queue) and not group_id:
                raise sqs_models.MissingParameter("MessageGroupId")
            if not content_based(queue) and group_id and not deduplication_id:
                raise sqs_models.InvalidParameterValue(
                    "The queue should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly"
                )
            if delay_seconds > 0:
                raise sqs_models.InvalidParameterValue(
                    f"Value {delay_seconds} for parameter DelaySeconds is invalid. Reason: "
                    "The request include parameter that is not valid for this queue type."
                )
        if len(message_body) > queue.maximum_message_size:
            raise sqs_models.InvalidParameterValue(
                "One or more parameters are invalid. Reason: Message must be shorter than "
                f"{queue.maximum_message_size} bytes."
            )
        if group_id is None and queue.fifo_queue:
            raise sqs_models.MissingParameter("MessageGroupId")

    set_(Backend, "_validate_message", validate_message)

    # moto gives a SequenceNumber only to a message sent with an explicit MessageDeduplicationId,
    # and a random one; AWS numbers every FIFO message, increasingly (20 digits).
    fifo_sequence = itertools.count(10_000_000_000_000_000_000 + random.randrange(10**18) * 8, FIFO_SEQUENCE_STEP)

    def send_message(
        self: Any, queue_name: str, message_body: str, message_attributes: dict[str, Any] | None = None,
        delay_seconds: int | None = None, deduplication_id: str | None = None, group_id: str | None = None,
        system_attributes: dict[str, Any] | None = None, validate_group_id: bool = True,
    ) -> Any:
        """moto's send_message, reading the queue's fields instead of its recomputed attributes."""
        queue = self.get_queue(queue_name)
        self._validate_message(
            queue, message_body=message_body, delay_seconds=int(delay_seconds or 0),
            deduplication_id=deduplication_id, group_id=group_id, validate_group_id=validate_group_id,
        )
        delay = int(delay_seconds) if delay_seconds is not None else queue.delay_seconds
        message = _untracked(sqs_models.Message)
        message.__init__(str(mock_random.uuid4()), message_body, system_attributes)
        if content_based(queue):
            message.deduplication_id = hashlib.sha256(message_body.encode("utf-8")).hexdigest()
        if deduplication_id is not None:
            message.deduplication_id = deduplication_id
        if queue.fifo_queue:
            message.sequence_number = str(next(fifo_sequence))
        if group_id is not None:
            message.group_id = group_id
        if message_attributes:
            message.message_attributes = message_attributes
        if delay > sqs_models.MAXIMUM_MESSAGE_DELAY:
            raise sqs_models.InvalidParameterValue(
                f"Value {delay} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
            )
        message.mark_sent(delay_seconds=delay)
        queue.add_message(message)
        return message

    set_(Backend, "send_message", send_message)

    original_add = Queue.add_message

    def add_message(self: Any, message: Any) -> None:
        if self.lambda_event_source_mappings:
            return original_add(self, message)  # moto's own delivery (the runtime detaches every mapping)
        if self.fifo_queue and (content_based(self) or message.deduplication_id):
            # moto's rule: a duplicate of a message still in the queue, sent within 5 minutes, is
            # dropped. This scan is the one cost left that grows with a FIFO queue's length.
            for queued in self._messages:
                if queued.deduplication_id == message.deduplication_id:
                    if (message.sent_timestamp - queued.sent_timestamp) / 1000 < sqs_models.DEDUPLICATION_TIME_IN_SECONDS:
                        return
        with self._messages_lock:
            self._messages.append(message)
            self._messages_lock.notify_all()

    set_(Queue, "add_message", add_message)

    import moto.sqs.responses as sqs_responses
    from moto.core.responses import ActionResult

    def start_message_move_task_action(self: Any) -> Any:
        handle = start_message_move_task(self.sqs_backend, self._get_param("SourceArn"),
                                         self._get_param("DestinationArn"), self._get_param("MaxNumberOfMessagesPerSecond"))
        return ActionResult({"TaskHandle": handle})

    def list_message_move_tasks_action(self: Any) -> Any:
        source_arn = self._get_param("SourceArn")
        _queue_by_arn(self.sqs_backend, source_arn, "SourceArn")
        limit = int(self._get_param("MaxResults") or 1)
        tasks = [t for t in reversed(_move_tasks(self.sqs_backend)) if t["SourceArn"] == source_arn]
        return ActionResult({"Results": tasks[:limit]})

    set_(sqs_responses.SQSResponse, "start_message_move_task", start_message_move_task_action)
    set_(sqs_responses.SQSResponse, "list_message_move_tasks", list_message_move_tasks_action)


# moto's private names install() patches or reads (through the queue helpers above).
PATCHES = (
    MotoName("moto.sqs.models:SQSBackend", "send_message",
        "(self, queue_name, message_body, message_attributes=None, delay_seconds=None, deduplication_id=None,"
        " group_id=None, system_attributes=None, validate_group_id=True)"),
    MotoName("moto.sqs.models:SQSBackend", "_validate_message",
        "(self, queue, message_body, delay_seconds, deduplication_id=None, group_id=None, "
        "validate_group_id=True)"),
    MotoName("moto.sqs.models:SQSBackend", "receive_message",
        "(self, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names=None)"),
    MotoName("moto.sqs.models:SQSBackend", "is_message_valid_based_on_retention_period",
        "(self, queue_name, message)"),
    MotoName("moto.sqs.models:Queue", "add_message", "(self, message)"),
    MotoName("moto.sqs.models:Queue", "delete_message", "(self, receipt_handle)"),
    MotoName("moto.sqs.models:Queue", "pending_messages"),
    MotoName("moto.sqs.models:Queue", "deleted_messages", instance=True),
    MotoName("moto.sqs.models:Queue", "_messages_lock", instance=True),
    MotoName("moto.sqs.models:Queue", "dead_letter_queue", instance=True),
    MotoName("moto.sqs.models:Queue", "wait_for_messages", "(self, timeout)"),
    MotoName("moto.sqs.models:Queue", "fifo_queue", instance=True),
    MotoName("moto.sqs.models", "Message", "(message_id, body, system_attributes=None)"),
    MotoName("moto.sqs.models:Message", "mark_received", "(self, visibility_timeout=None)"),
    MotoName("moto.sqs.models:Message", "all_receipt_handles"),
    MotoName("moto.sqs.models:Message", "_old_receipt_handles", instance=True),
    MotoName("moto.sqs.models:Message", "instances_tracked"),
    MotoName("moto.sqs.models:Message", "sequence_number", instance=True),
    MotoName("moto.sqs.models:Message", "group_id", instance=True),
    MotoName("moto.sqs.models:Message", "body_md5"),
    MotoName("moto.sqs.models:Message", "attribute_md5"),
    MotoName("moto.sqs.models:SQSBackend", "delete_message_batch", "(self, queue_name, receipts)"),
    MotoName("moto.sqs.models", "_filter_message_attributes", "(message, input_message_attributes)"),
    MotoName("moto.sqs.models", "generate_receipt_handle", "()"),
    MotoName("moto.sqs.models", "MAXIMUM_MESSAGE_DELAY"),
    MotoName("moto.sqs.models", "DEDUPLICATION_TIME_IN_SECONDS"),
    MotoName("moto.sqs.models", "MissingParameter", "(parameter)"),
    MotoName("moto.sqs.models", "InvalidParameterValue", "(message)"),
    MotoName("moto.sqs.models:SQSBackend", "queues", instance=True),
    MotoName("moto.sqs.models:Queue", "queue_arn", instance=True),
    MotoName("moto.sqs.responses:SQSResponse", "sqs_backend"),
    MotoName("moto.sqs.exceptions", "SQSException", "(*args, **kwargs)"),
    MotoName("moto.sqs.responses:SQSResponse", "start_message_move_task", added=True),
    MotoName("moto.sqs.responses:SQSResponse", "list_message_move_tasks", added=True),
)
