"""SNS -> Lambda with the real envelope (async), and SNS -> SQS fan-out."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from labkit.cloud import LocalCloud
from labkit.cloud.sns import string_to_sign

from .conformance import missing_fields, sample

RECORDER = """
import json
def handler(event, context):
    print("SEEN " + json.dumps(event))
"""


def _events(cloud: LocalCloud, name: str) -> list[dict]:
    return [json.loads(line[5:]) for line in cloud.logs(name) if line.startswith("SEEN ")]


def _queue(cloud: LocalCloud, name: str) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _bodies(cloud: LocalCloud, url: str) -> list[str]:
    return [m["Body"] for m in cloud.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


def test_lambda_gets_the_real_envelope(cloud: LocalCloud, code_dir) -> None:
    from aws_lambda_powertools.utilities.parser.models import SnsModel

    sns = cloud.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    fn = cloud.deploy(code_dir(app=RECORDER), name="mailer")
    subscription = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn.arn)["SubscriptionArn"]
    cloud.clock.advance(3600)
    message_id = sns.publish(
        TopicArn=topic,
        Message='{"order": 7}',
        Subject="주문 접수",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "created"},
            "amount": {"DataType": "Number", "StringValue": "12.5"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )["MessageId"]
    assert _events(cloud, "mailer") == []  # SNS invokes Lambda asynchronously
    cloud.run_until_idle()
    (event,) = _events(cloud, "mailer")
    (record,) = event["Records"]
    assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == subscription
    message = record["Sns"]
    assert message["MessageId"] == message_id and message["TopicArn"] == topic
    assert message["Type"] == "Notification" and message["Subject"] == "주문 접수"
    assert message["Message"] == '{"order": 7}'
    assert message["MessageAttributes"] == {
        "kind": {"Type": "String", "Value": "created"},
        "amount": {"Type": "Number", "Value": "12.5"},
        "blob": {"Type": "Binary", "Value": base64.b64encode(b"\x00\x01").decode()},
    }
    assert message["Timestamp"].startswith(cloud.clock.utcnow().strftime("%Y-%m-%dT%H"))  # runtime's clock
    assert message["UnsubscribeUrl"].endswith(f"SubscriptionArn={subscription}")
    assert message["SigningCertUrl"].startswith("https://sns.ap-northeast-2.amazonaws.com/SimpleNotificationService-")

    SnsModel.model_validate(event)
    assert missing_fields(event, sample("sns"), opaque=frozenset({"MessageAttributes"})) == []


def _verify(message: dict, algorithm) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import padding

    pem = requests.get(message["SigningCertUrl" if "SigningCertUrl" in message else "SigningCertURL"], timeout=5).content
    certificate = x509.load_pem_x509_certificate(pem)  # served by moto, offline
    text = string_to_sign(message["Message"], message["MessageId"], message.get("Subject"), message["Timestamp"], message["TopicArn"])
    certificate.public_key().verify(base64.b64decode(message["Signature"]), text.encode(), padding.PKCS1v15(), algorithm)


def test_signature_verifies_against_the_signing_certificate(cloud: LocalCloud, code_dir) -> None:
    # AWS: topics sign with SignatureVersion 1 (SHA1withRSA) unless their SignatureVersion
    # attribute is set to 2 (SHA256withRSA); the Subject is part of the signed string.
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes

    sns = cloud.client("sns")
    default = sns.create_topic(Name="orders")["TopicArn"]
    v2 = sns.create_topic(Name="payments", Attributes={"SignatureVersion": "2"})["TopicArn"]
    fn = cloud.deploy(code_dir(app=RECORDER), name="mailer")
    for topic in (default, v2):
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn.arn)
        sns.publish(TopicArn=topic, Message="hello", Subject="greeting")
    cloud.run_until_idle()
    first, second = (event["Records"][0]["Sns"] for event in _events(cloud, "mailer"))
    assert (first["TopicArn"], first["SignatureVersion"]) == (default, "1")
    _verify(first, hashes.SHA1())
    assert (second["TopicArn"], second["SignatureVersion"]) == (v2, "2")
    _verify(second, hashes.SHA256())
    for message, wrong in ((first, hashes.SHA256()), (second, hashes.SHA1())):
        with pytest.raises(InvalidSignature):
            _verify(message, wrong)
    without_subject = {**first, "Subject": None}
    with pytest.raises(InvalidSignature):  # the Subject is signed
        _verify(without_subject, hashes.SHA1())


def test_set_topic_attributes_switches_the_signature_version_for_sqs_envelopes_too(cloud: LocalCloud) -> None:
    from cryptography.hazmat.primitives import hashes

    sns = cloud.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url, arn = _queue(cloud, "audit")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="one")
    (envelope,) = [json.loads(body) for body in _bodies(cloud, url)]
    assert envelope["SignatureVersion"] == "1"
    _verify(envelope, hashes.SHA1())
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    sns.publish(TopicArn=topic, Message="two")
    envelopes = [json.loads(body) for body in _bodies(cloud, url)]
    (envelope,) = [e for e in envelopes if e["Message"] == "two"]
    assert envelope["SignatureVersion"] == "2"
    _verify(envelope, hashes.SHA256())


def test_subject_is_null_without_one_and_filter_policy_applies(cloud: LocalCloud, code_dir) -> None:
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    fn = cloud.deploy(code_dir(app=RECORDER), name="big-orders")
    sns.subscribe(
        TopicArn=topic, Protocol="lambda", Endpoint=fn.arn,
        Attributes={"FilterPolicy": json.dumps({"amount": [{"numeric": [">=", 100]}]})},
    )
    for amount in ["5", "150"]:
        sns.publish(TopicArn=topic, Message=amount, MessageAttributes={"amount": {"DataType": "Number", "StringValue": amount}})
    cloud.run_until_idle()
    (event,) = _events(cloud, "big-orders")
    assert event["Records"][0]["Sns"]["Message"] == "150"
    assert event["Records"][0]["Sns"]["Subject"] is None


def test_message_structure_json_sends_the_lambda_variant(cloud: LocalCloud, code_dir) -> None:
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    fn = cloud.deploy(code_dir(app=RECORDER), name="mailer")
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn.arn)
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "plain", "lambda": "for lambda"}))
    cloud.run_until_idle()
    assert _events(cloud, "mailer")[0]["Records"][0]["Sns"]["Message"] == "for lambda"


def test_failing_subscriber_is_retried_as_an_async_invocation(cloud: LocalCloud, code_dir) -> None:
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    fn = cloud.deploy(code_dir(app="def handler(event, context):\n    raise ValueError('smtp down')\n"), name="mailer")
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn.arn)
    sns.publish(TopicArn=topic, Message="x")
    cloud.run_until_idle(fast_forward=True)
    (queued,) = cloud.async_invoker.finished
    assert queued.attempts == 3
    assert len(fn.reports()) == 3


def test_fan_out_to_queues_with_envelope_raw_delivery_and_filters(cloud: LocalCloud, code_dir) -> None:
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    (enveloped, enveloped_arn), (raw, raw_arn), (filtered, filtered_arn) = (
        _queue(cloud, "billing"), _queue(cloud, "shipping"), _queue(cloud, "vip"),
    )
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=enveloped_arn)["SubscriptionArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=filtered_arn, Attributes={"FilterPolicy": json.dumps({"tier": ["vip"]})})
    fn = cloud.deploy(code_dir(app=RECORDER), name="audit")
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn.arn)
    sns.publish(TopicArn=topic, Message="order-1", Subject="new", MessageAttributes={"tier": {"DataType": "String", "StringValue": "basic"}})
    sns.publish(TopicArn=topic, Message="order-2", MessageAttributes={"tier": {"DataType": "String", "StringValue": "vip"}})
    cloud.run_until_idle()

    envelopes = [json.loads(b) for b in _bodies(cloud, enveloped)]
    assert sorted(e["Message"] for e in envelopes) == ["order-1", "order-2"]
    first = next(e for e in envelopes if e["Message"] == "order-1")
    assert missing_fields(first, sample("sns-sqs-envelope")) == []
    assert first["UnsubscribeURL"].endswith(f"SubscriptionArn={subscription}")
    assert sorted(_bodies(cloud, raw)) == ["order-1", "order-2"]
    assert [json.loads(b)["Message"] for b in _bodies(cloud, filtered)] == ["order-2"]
    assert sorted(e["Records"][0]["Sns"]["Message"] for e in _events(cloud, "audit")) == ["order-1", "order-2"]
