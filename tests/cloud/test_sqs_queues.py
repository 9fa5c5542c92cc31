"""moto's SQS queues as the runtime patches them (sqs_queues.py): cost per message flat in queue
depth, FIFO groups in order after a visibility timeout, retention, receipt handles."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labkit.cloud import LocalCloud


class CountingList(list):
    """A queue's message list that counts how many messages Python code walked over."""

    walked = 0

    def __iter__(self):
        for item in list.__iter__(self):
            self.walked += 1
            yield item


@pytest.fixture
def attribute_scans(monkeypatch) -> list:
    """One entry per recomputation of a queue's attributes (each counts the queue's messages)."""
    from moto.sqs.models import Queue

    scans: list = []
    attributes = Queue.attributes
    monkeypatch.setattr(Queue, "attributes", property(lambda self: scans.append(1) or attributes.fget(self)))
    return scans


def _counted(cloud: LocalCloud, name: str) -> CountingList:
    queue = _queue(cloud, name)
    queue._messages = CountingList(queue._messages)
    return queue._messages


def _queue(cloud: LocalCloud, name: str):
    from moto.sqs.models import sqs_backends

    return sqs_backends[cloud.account_id][cloud.region].queues[name]


def _fill(sqs, url: str, n: int, **extra) -> None:
    for start in range(0, n, 10):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{start + i}", **extra} for i in range(10)]
        )


def test_receive_delete_and_send_do_not_walk_the_whole_queue(cloud: LocalCloud, attribute_scans) -> None:
    # moto recomputed every queue attribute (message counts: a scan of the queue) for each
    # message received and sent, and listed every visible message to take ten: draining 2,000
    # messages took minutes. Walking only the messages taken keeps the cost flat in depth.
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="deep")["QueueUrl"]
    _fill(sqs, url, 1_000)
    messages_walked = _counted(cloud, "deep")
    attribute_scans.clear()  # from here on: receives, deletes and sends only

    for _ in range(5):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert len(messages) == 10
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    _fill(sqs, url, 20)

    assert messages_walked.walked <= 5 * 10, messages_walked.walked  # the 50 messages taken, not 5 x 1,000
    assert attribute_scans == []  # no attribute recomputation per message
    queue = _queue(cloud, "deep")
    assert [m.body for m in queue._messages[:2]] == ["m50", "m51"]  # the first 50 are gone, in order
    assert len(queue._messages) == 1_000 - 50 + 20


def test_the_poller_walks_each_message_once_while_draining(cloud: LocalCloud, code_dir, attribute_scans) -> None:
    sqs, lam = cloud.client("sqs"), cloud.client("lambda")
    url = sqs.create_queue(QueueName="burst")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    cloud.deploy(code_dir(app="def handler(event, context):\n    return None\n"), name="worker")
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker", BatchSize=10)
    _fill(sqs, url, 500)
    messages_walked = _counted(cloud, "burst")
    attribute_scans.clear()  # GetQueueAttributes(QueueArn) above counted; the drain must not
    assert cloud.run_until_idle() == 50
    assert messages_walked.walked == 500 and attribute_scans == []  # moto: 50 receives x 500 messages, and more
    assert len(_queue(cloud, "burst")._messages) == 0


def test_messages_and_their_received_copies_are_not_kept_after_delete(cloud: LocalCloud) -> None:
    # moto's BaseModel keeps every instance it creates (deep copies made by each receive too) in
    # Message.instances_tracked until the mock stops: a long lab kept every message alive, and
    # each full garbage collection walked them all.
    import gc
    import weakref

    from moto.sqs.models import Message

    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="gone")["QueueUrl"]
    tracked = len(Message.instances_tracked)
    _fill(sqs, url, 20)
    queue = _queue(cloud, "gone")
    refs = [weakref.ref(m) for m in queue._messages]
    for _ in range(2):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    gc.collect()
    assert len(Message.instances_tracked) == tracked
    assert [r for r in refs if r() is not None] == []


def test_get_queue_attributes_still_counts_messages(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="counted", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    _fill(sqs, url, 30)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("20", "10")


def _fifo(sqs, name: str = "orders.fifo") -> str:
    return sqs.create_queue(
        QueueName=name, Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "30"}
    )["QueueUrl"]


def _send(sqs, url: str, *ids: str) -> None:
    for ident in ids:
        sqs.send_message(QueueUrl=url, MessageBody=ident, MessageGroupId=ident.split("-")[0])


def _bodies(sqs, url: str) -> list[str]:
    return [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


def test_fifo_group_comes_back_in_order_after_the_visibility_timeout(cloud: LocalCloud) -> None:
    # Plain boto3, no Lambda. moto returned only the last message of each group ("A-3", "B-2")
    # after the timeout, and the earlier ones on the next receive, behind it.
    sqs = cloud.client("sqs")
    url = _fifo(sqs)
    _send(sqs, url, "A-1", "B-1", "A-2", "A-3", "B-2")
    assert _bodies(sqs, url) == ["A-1", "B-1", "A-2", "A-3", "B-2"]
    _send(sqs, url, "A-4", "C-1")
    assert _bodies(sqs, url) == ["C-1"]  # groups A and B are locked while their messages are in flight
    cloud.clock.advance(31)
    assert _bodies(sqs, url) == ["A-1", "B-1", "A-2", "A-3", "B-2", "A-4", "C-1"]


def test_fifo_group_stays_locked_while_any_of_its_messages_is_in_flight(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    url = _fifo(sqs)
    _send(sqs, url, "A-1", "A-2", "B-1")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    # A-1 made visible again while A-2 is still in flight: group A stays locked, as SQS documents
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0)
    cloud.clock.advance(0.01)
    assert _bodies(sqs, url) == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[1]["ReceiptHandle"])  # A-2 done
    assert _bodies(sqs, url) == ["A-1"]


REPORT_FROM_FIRST_FAILURE = """
def handler(event, context):
    bodies = [r["body"] for r in event["Records"]]
    print("BATCH " + " ".join(bodies))
    failed = False
    failures = []
    for record in event["Records"]:
        failed = failed or record["body"] == "A-2" and record["attributes"]["ApproximateReceiveCount"] == "1"
        if failed:  # AWS: stop at the first failure and report it and every later record
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""


def test_fifo_partial_batch_failure_retries_the_reported_records_in_order(cloud: LocalCloud, code_dir) -> None:
    sqs, lam = cloud.client("sqs"), cloud.client("lambda")
    url = _fifo(sqs)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    cloud.deploy(code_dir(app=REPORT_FROM_FIRST_FAILURE), name="worker")
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    _send(sqs, url, "A-1", "A-2", "A-3", "A-4")
    cloud.run_until_idle(fast_forward=True)
    batches = [line[6:] for line in cloud.logs("worker") if line.startswith("BATCH ")]
    assert batches == ["A-1 A-2 A-3 A-4", "A-2 A-3 A-4"]


def test_an_expired_message_is_deleted_and_the_rest_are_still_received(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="short", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="old")
    cloud.clock.advance(61)
    sqs.send_message(QueueUrl=url, MessageBody="new")
    assert _bodies(sqs, url) == ["new"]  # moto kept "old" in flight and returned nothing
    cloud.clock.advance(31)
    assert _bodies(sqs, url) == ["new"]  # "old" is gone for good


def test_receipt_handles_old_and_unknown(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="handles", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    old = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    cloud.clock.advance(2)
    new = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    assert old != new
    sqs.delete_message(QueueUrl=url, ReceiptHandle=old)  # moto (and so the runtime) accepts an earlier handle
    sqs.delete_message(QueueUrl=url, ReceiptHandle=new)  # deleting twice succeeds
    assert _bodies(sqs, url) == []
    with pytest.raises(ClientError) as caught:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="nope")
    assert caught.value.response["Error"]["Code"] == "ReceiptHandleIsInvalid"


def test_fifo_deduplication_still_drops_a_duplicate(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    url = _fifo(sqs, "dedup.fifo")
    for _ in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"order": 1}), MessageGroupId="g")
    assert len(_bodies(sqs, url)) == 1
