"""SQS -> Lambda through the runtime's poller: batches, attributes, partial failures, redrive."""

from __future__ import annotations

import hashlib
import json

import pytest

from labkit.cloud import LocalCloud
from labkit.cloud.eventsources.batch_failures import failed_item_ids

RECORDER = """
import json
def handler(event, context):
    for record in event["Records"]:
        print("SEEN " + json.dumps(record))
    return None
"""

PARTIAL = """
import json
def handler(event, context):
    failures = []
    for record in event["Records"]:
        print("SEEN " + json.dumps(record))
        if record["body"].startswith("bad"):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""

POISON = """
import json
def handler(event, context):
    for record in event["Records"]:
        print("SEEN " + json.dumps(record))
        if record["body"] == "poison":
            raise ValueError("cannot process " + record["messageId"])
"""


def _seen(cloud: LocalCloud, name: str) -> list[dict]:
    return [json.loads(line[5:]) for line in cloud.logs(name) if line.startswith("SEEN ")]


def _wire(cloud: LocalCloud, code_dir, source: str, *, queue_attrs: dict | None = None, **mapping) -> tuple[str, str]:
    sqs, lam = cloud.client("sqs"), cloud.client("lambda")
    url = sqs.create_queue(QueueName="jobs", Attributes=queue_attrs or {})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    cloud.deploy(code_dir(app=source), name="worker")
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker", **mapping)["UUID"]
    return url, uuid


def _visible(cloud: LocalCloud, url: str) -> int:
    attrs = cloud.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_messages_wait_for_the_poller_and_arrive_in_batches(cloud: LocalCloud, code_dir) -> None:
    url, _ = _wire(cloud, code_dir, RECORDER, BatchSize=5)
    sqs = cloud.client("sqs")
    for i in range(7):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    assert _seen(cloud, "worker") == []  # moto's synchronous delivery is off
    assert cloud.run_until_idle() == 2
    sizes = [len(d.message_ids) for d in cloud.sqs_poller.deliveries]
    assert sizes == [5, 2]
    assert sorted(r["body"] for r in _seen(cloud, "worker")) == [f"m{i}" for i in range(7)]
    assert _visible(cloud, url) == 0  # a successful batch is deleted


def test_records_carry_real_attributes(cloud: LocalCloud, code_dir) -> None:
    url, _ = _wire(cloud, code_dir, RECORDER)
    cloud.clock.advance(1000)
    sent_at = cloud.clock.now() * 1000
    cloud.client("sqs").send_message(
        QueueUrl=url,
        MessageBody='{"order": 1}',
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "new"}, "blob": {"DataType": "Binary", "BinaryValue": b"\x01"}},
    )
    cloud.run_until_idle()
    (record,) = _seen(cloud, "worker")
    attrs = record["attributes"]
    assert attrs["ApproximateReceiveCount"] == "1"
    assert abs(int(attrs["SentTimestamp"]) - sent_at) < 1000  # on the runtime's clock
    assert int(attrs["ApproximateFirstReceiveTimestamp"]) >= int(attrs["SentTimestamp"])
    assert "SenderId" in attrs
    assert record["md5OfBody"] == hashlib.md5(b'{"order": 1}').hexdigest()
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "new", "stringListValues": [], "binaryListValues": [], "dataType": "String",
    }
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AQ=="
    assert record["eventSource"] == "aws:sqs" and record["awsRegion"] == "ap-northeast-2"
    assert record["eventSourceARN"] == "arn:aws:sqs:ap-northeast-2:123456789012:jobs"


def test_event_validates_against_powertools_sqs_model(cloud: LocalCloud, code_dir) -> None:
    from aws_lambda_powertools.utilities.parser.models import SqsModel

    url, _ = _wire(cloud, code_dir, RECORDER)
    cloud.client("sqs").send_message(
        QueueUrl=url, MessageBody="x", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}}
    )
    cloud.run_until_idle()
    event = {"Records": _seen(cloud, "worker")}
    parsed = SqsModel.model_validate(event)
    assert parsed.Records[0].body == "x"
    assert parsed.Records[0].attributes.ApproximateReceiveCount == "1"


def test_batching_window_waits_on_the_clock(cloud: LocalCloud, code_dir) -> None:
    url, _ = _wire(cloud, code_dir, RECORDER, BatchSize=10, MaximumBatchingWindowInSeconds=20)
    for i in range(3):
        cloud.client("sqs").send_message(QueueUrl=url, MessageBody=f"w{i}")
    assert cloud.run_until_idle() == 0
    cloud.clock.advance(20)
    assert cloud.run_until_idle() == 1
    assert [len(d.message_ids) for d in cloud.sqs_poller.deliveries] == [3]


def test_partial_batch_failure_redelivers_only_failed_records(cloud: LocalCloud, code_dir) -> None:
    url, _ = _wire(
        cloud, code_dir, PARTIAL, queue_attrs={"VisibilityTimeout": "30"},
        BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    for body in ["good1", "bad1", "good2"]:
        cloud.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    cloud.run_until_idle()
    assert sorted(r["body"] for r in _seen(cloud, "worker")) == ["bad1", "good1", "good2"]
    cloud.clock.advance(29)
    assert cloud.run_until_idle() == 0  # still invisible
    cloud.clock.advance(2)
    assert cloud.run_until_idle() == 1
    second = cloud.sqs_poller.deliveries[-1]
    assert len(second.message_ids) == 1
    redelivered = _seen(cloud, "worker")[3:]
    assert [r["body"] for r in redelivered] == ["bad1"]
    assert redelivered[0]["attributes"]["ApproximateReceiveCount"] == "2"


def test_function_error_returns_the_whole_batch(cloud: LocalCloud, code_dir) -> None:
    url, _ = _wire(cloud, code_dir, POISON, BatchSize=10)
    for body in ["ok", "poison"]:
        cloud.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    cloud.run_until_idle()
    assert cloud.sqs_poller.deliveries[0].deleted_ids == []
    assert _visible(cloud, url) == 2


def test_poison_message_reaches_dlq_after_exactly_max_receive_count(cloud: LocalCloud, code_dir) -> None:
    sqs = cloud.client("sqs")
    dlq_url = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    url, _ = _wire(cloud, code_dir, POISON, queue_attrs={"RedrivePolicy": redrive, "VisibilityTimeout": "10"}, BatchSize=1)
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    cloud.run_until_idle(fast_forward=True)
    seen = [r for r in _seen(cloud, "worker") if r["body"] == "poison"]
    assert [r["attributes"]["ApproximateReceiveCount"] for r in seen] == ["1", "2", "3"]
    moved = sqs.receive_message(QueueUrl=dlq_url).get("Messages", [])
    assert [m["Body"] for m in moved] == ["poison"]
    assert _visible(cloud, url) == 0


def test_disable_enable_and_delete_mapping_take_effect(cloud: LocalCloud, code_dir) -> None:
    url, uuid = _wire(cloud, code_dir, RECORDER)
    lam, sqs = cloud.client("lambda"), cloud.client("sqs")
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    sqs.send_message(QueueUrl=url, MessageBody="while-disabled")
    assert cloud.run_until_idle() == 0
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    assert cloud.run_until_idle() == 1
    lam.delete_event_source_mapping(UUID=uuid)
    sqs.send_message(QueueUrl=url, MessageBody="after-delete")
    assert cloud.run_until_idle() == 0
    assert [r["body"] for r in _seen(cloud, "worker")] == ["while-disabled"]


def test_throttled_batch_returns_after_visibility_timeout(cloud: LocalCloud, code_dir) -> None:
    url, _ = _wire(cloud, code_dir, RECORDER, queue_attrs={"VisibilityTimeout": "5"})
    cloud.client("lambda").put_function_concurrency(FunctionName="worker", ReservedConcurrentExecutions=0)
    cloud.client("sqs").send_message(QueueUrl=url, MessageBody="t")
    cloud.run_until_idle()
    assert cloud.sqs_poller.deliveries[0].throttled
    cloud.client("lambda").delete_function_concurrency(FunctionName="worker")
    cloud.clock.advance(6)
    cloud.run_until_idle()
    assert [r["body"] for r in _seen(cloud, "worker")] == ["t"]


@pytest.mark.parametrize(
    ("response", "failed"),
    [
        (None, []),
        ({}, []),
        ({"batchItemFailures": []}, []),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, ["b"]),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, ["a", "b"]),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, ["a", "b"]),
        ({"batchItemFailures": [{"wrongKey": "a"}]}, ["a", "b"]),
        ("not a dict", ["a", "b"]),
    ],
)
def test_report_batch_item_failures_rules(response, failed) -> None:
    assert failed_item_ids(response, ["a", "b"]) == failed


@pytest.mark.parametrize("content_based", [True, False])
def test_fifo_records_always_carry_sequence_group_and_deduplication_ids(cloud: LocalCloud, code_dir, content_based) -> None:
    # AWS: every FIFO message has a SequenceNumber (increasing within its group), whether its
    # deduplication id was given or made from the body (moto sets one only in the first case).
    sqs, lam = cloud.client("sqs"), cloud.client("lambda")
    attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true" if content_based else "false"}
    url = sqs.create_queue(QueueName="jobs.fifo", Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    cloud.deploy(code_dir(app=RECORDER), name="worker")
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    sent = []
    for n in range(3):
        dedup = {} if content_based else {"MessageDeduplicationId": f"d{n}"}
        sent.append(sqs.send_message(QueueUrl=url, MessageBody=f"m{n}", MessageGroupId="g1", **dedup)["SequenceNumber"])
    batch = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "x", "MessageBody": "m3", "MessageGroupId": "g1", **({} if content_based else {"MessageDeduplicationId": "d3"})},
    ])["Successful"]
    sent.append(batch[0]["SequenceNumber"])
    assert all(s.isdigit() and len(s) == 20 for s in sent), sent
    assert [int(s) for s in sent] == sorted(int(s) for s in sent) and len(set(sent)) == 4
    cloud.run_until_idle()
    records = _seen(cloud, "worker")
    assert [r["body"] for r in records] == ["m0", "m1", "m2", "m3"]
    assert [r["attributes"]["SequenceNumber"] for r in records] == sent
    assert all(r["attributes"]["MessageGroupId"] == "g1" for r in records)
    dedup_ids = [r["attributes"]["MessageDeduplicationId"] for r in records]
    if content_based:
        assert dedup_ids == [hashlib.sha256(f"m{n}".encode()).hexdigest() for n in range(4)]
    else:
        assert dedup_ids == ["d0", "d1", "d2", "d3"]
