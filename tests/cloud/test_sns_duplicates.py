"""Duplicate SNS delivery on demand: `cloud.duplicate_deliveries()` delivers each message twice (or more)."""

from __future__ import annotations

import json

import pytest

from labkit.cloud import CloudUsageError, LocalCloud

RECORDER = """
import json
def handler(event, context):
    print("SEEN " + json.dumps(event))
"""


def _queue(cloud: LocalCloud, name: str) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _messages(cloud: LocalCloud, url: str) -> list[dict]:
    return cloud.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])


def test_every_subscription_gets_identical_copies_inside_the_block_and_one_after(cloud: LocalCloud, code_dir) -> None:
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="uploads")["TopicArn"]
    url, arn = _queue(cloud, "thumbnails")
    queue_subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    fn = cloud.deploy(code_dir(app=RECORDER), name="audit")
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn.arn)

    with cloud.duplicate_deliveries() as extra:
        message_id = sns.publish(TopicArn=topic, Message="photo-1")["MessageId"]
    cloud.run_until_idle()

    twice = _messages(cloud, url)
    assert len(twice) == 2
    envelopes = [json.loads(m["Body"]) for m in twice]
    assert envelopes[0] == envelopes[1]  # the same SNS message: MessageId, Timestamp, Signature
    assert envelopes[0]["MessageId"] == message_id
    assert twice[0]["MessageId"] != twice[1]["MessageId"]  # two SQS messages, as when SNS retries
    seen = [json.loads(line[5:]) for line in cloud.logs("audit") if line.startswith("SEEN ")]
    assert [e["Records"][0]["Sns"]["MessageId"] for e in seen] == [message_id, message_id]
    assert sorted((d.protocol, d.message_id) for d in extra) == [("lambda", message_id), ("sqs", message_id)]
    assert queue_subscription in {d.subscription_arn for d in extra}

    for m in twice:
        cloud.client("sqs").delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    sns.publish(TopicArn=topic, Message="photo-2")  # after the block: once, as usual
    assert [json.loads(m["Body"])["Message"] for m in _messages(cloud, url)] == ["photo-2"]
    assert len(cloud.sns_delivery.duplicated) == 2


def test_copies_topic_filter_and_filter_policies(cloud: LocalCloud) -> None:
    sns = cloud.client("sns")
    uploads = sns.create_topic(Name="uploads")["TopicArn"]
    orders = sns.create_topic(Name="orders")["TopicArn"]
    (all_url, all_arn), (vip_url, vip_arn), (order_url, order_arn) = (
        _queue(cloud, "all"), _queue(cloud, "vip"), _queue(cloud, "orders"))
    sns.subscribe(TopicArn=uploads, Protocol="sqs", Endpoint=all_arn)
    sns.subscribe(TopicArn=uploads, Protocol="sqs", Endpoint=vip_arn,
                  Attributes={"FilterPolicy": json.dumps({"tier": ["vip"]})})
    sns.subscribe(TopicArn=orders, Protocol="sqs", Endpoint=order_arn)
    basic = {"tier": {"DataType": "String", "StringValue": "basic"}}

    with cloud.duplicate_deliveries(3, topic_arn=uploads) as extra:
        sns.publish(TopicArn=uploads, Message="u", MessageAttributes=basic)
        sns.publish(TopicArn=orders, Message="o")

    assert [json.loads(m["Body"])["Message"] for m in _messages(cloud, all_url)] == ["u", "u", "u"]
    assert _messages(cloud, vip_url) == []  # a filtered-out message is not delivered, nor counted
    assert len(_messages(cloud, order_url)) == 1  # another topic: once
    assert len(extra) == 2


@pytest.mark.parametrize("copies", [0, -1, 1.5, "2", True])
def test_copies_must_be_a_positive_integer(cloud: LocalCloud, copies) -> None:
    with pytest.raises(CloudUsageError, match="1 이상의 정수"):
        with cloud.duplicate_deliveries(copies):
            pass
