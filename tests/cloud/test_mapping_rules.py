"""Event-source mapping configurations Lambda rejects are rejected offline too (mapping_rules.py),
as the ClientError boto3 raises for AWS's InvalidParameterValueException."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from labkit.cloud import LocalCloud

HANDLER = "def handler(event, context):\n    return None\n"


def _queue_arn(cloud: LocalCloud, name: str, **attributes: str) -> str:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _stream_arn(cloud: LocalCloud) -> str:
    kinesis = cloud.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    return kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]


def _rejected(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    return error["Message"]


@pytest.fixture
def lam(cloud: LocalCloud, code_dir):
    cloud.deploy(code_dir(app=HANDLER), name="worker", timeout=60)
    return cloud.client("lambda")


def test_batch_size_over_10_needs_a_batching_window(cloud: LocalCloud, lam) -> None:
    arn = _queue_arn(cloud, "jobs", VisibilityTimeout="360")
    message = _rejected(lam.create_event_source_mapping, EventSourceArn=arn, FunctionName="worker", BatchSize=20)
    assert message.startswith(
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
    )
    assert "MaximumBatchingWindowInSeconds를 1 이상으로" in message
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", BatchSize=20, MaximumBatchingWindowInSeconds=1
    )["UUID"]
    _rejected(lam.update_event_source_mapping, UUID=uuid, MaximumBatchingWindowInSeconds=0)
    lam.update_event_source_mapping(UUID=uuid, BatchSize=10, MaximumBatchingWindowInSeconds=0)  # 10 needs none


@pytest.mark.parametrize("fifo, size, maximum", [(False, 20_000, 10_000), (True, 20, 10)])
def test_batch_size_out_of_range_is_a_client_error(cloud: LocalCloud, lam, fifo: bool, size: int, maximum: int) -> None:
    # moto raised a bare ValueError, which `except ClientError` (AWS's guidance) does not catch
    name, attributes = ("jobs.fifo", {"FifoQueue": "true"}) if fifo else ("jobs", {})
    arn = _queue_arn(cloud, name, VisibilityTimeout="360", **attributes)
    window = {} if fifo else {"MaximumBatchingWindowInSeconds": 1}
    message = _rejected(lam.create_event_source_mapping, EventSourceArn=arn, FunctionName="worker", BatchSize=size, **window)
    assert message.startswith(f"BatchSize {size} exceeds the max of {maximum}")


def test_fifo_queue_takes_no_batching_window(cloud: LocalCloud, lam) -> None:
    arn = _queue_arn(cloud, "jobs.fifo", FifoQueue="true", VisibilityTimeout="360")
    message = _rejected(
        lam.create_event_source_mapping, EventSourceArn=arn, FunctionName="worker", MaximumBatchingWindowInSeconds=5
    )
    assert message.startswith("Batching window is not supported for FIFO queues")
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker", BatchSize=10)


def test_queue_visibility_timeout_must_cover_the_function_timeout(cloud: LocalCloud, lam, code_dir) -> None:
    arn = _queue_arn(cloud, "jobs")  # VisibilityTimeout 30 s, the function's timeout is 60 s
    message = _rejected(lam.create_event_source_mapping, EventSourceArn=arn, FunctionName="worker")
    assert message.startswith("Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds")
    assert "6배" in message
    cloud.deploy(code_dir(app=HANDLER), name="quick", timeout=30)
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="quick")["UUID"]  # equal is enough
    _rejected(lam.update_event_source_mapping, UUID=uuid, FunctionName="worker")


@pytest.mark.parametrize("age, said", [(10, "10은"), (59, "59는")])
def test_maximum_record_age_below_60_is_rejected(cloud: LocalCloud, lam, age: int, said: str) -> None:
    arn = _stream_arn(cloud)
    message = _rejected(
        lam.create_event_source_mapping, EventSourceArn=arn, FunctionName="worker", StartingPosition="TRIM_HORIZON",
        MaximumRecordAgeInSeconds=age,
    )
    assert message.startswith("MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 (inclusive)")
    assert f"MaximumRecordAgeInSeconds {said} 쓸 수 없습니다" in message


def test_maximum_record_age_of_60_or_forever_is_accepted(cloud: LocalCloud, lam) -> None:
    arn = _stream_arn(cloud)
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", StartingPosition="TRIM_HORIZON", MaximumRecordAgeInSeconds=60
    )["UUID"]
    lam.update_event_source_mapping(UUID=uuid, MaximumRecordAgeInSeconds=-1)
    _rejected(lam.update_event_source_mapping, UUID=uuid, MaximumRecordAgeInSeconds=30)
