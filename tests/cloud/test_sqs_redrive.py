"""SQS StartMessageMoveTask (moto lacks it): a dead-letter queue's messages go back to their queue."""
from __future__ import annotations

import json

import pytest

from labkit.cloud import LocalCloud


def _queues(cloud: LocalCloud) -> tuple[str, str, str]:
    sqs = cloud.client("sqs")
    arn = f"arn:aws:sqs:{cloud.region}:{cloud.account_id}"
    dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": f"{arn}:work-dlq", "maxReceiveCount": 2})
    url = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "30", "RedrivePolicy": policy})["QueueUrl"]
    return url, dlq, arn


def test_move_task_returns_dead_letters_to_their_queue_with_a_fresh_receive_count(cloud: LocalCloud):
    sqs = cloud.client("sqs")
    url, dlq, arn = _queues(cloud)
    sqs.send_message(QueueUrl=url, MessageBody="poison", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    for _ in range(3):  # received twice, moved to the DLQ on the third receive
        sqs.receive_message(QueueUrl=url)
        cloud.clock.advance(31)
    assert sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"] == {
        "ApproximateNumberOfMessages": "1"}

    handle = sqs.start_message_move_task(SourceArn=f"{arn}:work-dlq")["TaskHandle"]
    [task] = sqs.list_message_move_tasks(SourceArn=f"{arn}:work-dlq")["Results"]
    assert task["TaskHandle"] == handle and task["Status"] == "COMPLETED"
    assert task["ApproximateNumberOfMessagesMoved"] == 1
    assert "Messages" not in sqs.receive_message(QueueUrl=dlq)
    [back] = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"])["Messages"]
    assert back["Body"] == "poison" and back["Attributes"]["ApproximateReceiveCount"] == "1"
    assert back["MessageAttributes"]["k"]["StringValue"] == "v"


def test_move_task_refuses_a_queue_that_is_no_dead_letter_queue_and_leaves_in_flight_messages(cloud: LocalCloud):
    sqs = cloud.client("sqs")
    url, dlq, arn = _queues(cloud)
    with pytest.raises(sqs.exceptions.ClientError, match="must be configured as a Dead Letter Queue"):
        sqs.start_message_move_task(SourceArn=f"{arn}:work")
    with pytest.raises(sqs.exceptions.ClientError, match="ResourceNotFoundException|does not exist"):
        sqs.start_message_move_task(SourceArn=f"{arn}:no-such-queue")
    sqs.send_message(QueueUrl=dlq, MessageBody="seen")
    sqs.receive_message(QueueUrl=dlq)  # in flight: SQS moves only what it can receive
    sqs.send_message(QueueUrl=dlq, MessageBody="waiting")
    sqs.start_message_move_task(SourceArn=f"{arn}:work-dlq", DestinationArn=f"{arn}:work")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["waiting"]
