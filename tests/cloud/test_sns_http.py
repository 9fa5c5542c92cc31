"""SNS -> HTTP/S subscriptions: the confirmation handshake, the Notification's headers and signed body, localhost only."""
from __future__ import annotations

import base64
import json

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from labkit.cloud import LocalCloud
from labkit.cloud.sns import CONFIRMATION_SIGNED, string_to_sign
from labkit.webhooks import CallbackReceiver


def _verify(body: dict, fields: tuple[str, ...] | None = None) -> None:
    """Check the signature against the certificate at SigningCertURL, as an SNS client library does."""
    if fields is None:
        text = string_to_sign(body["Message"], body["MessageId"], body.get("Subject"), body["Timestamp"], body["TopicArn"])
    else:
        text = "".join(f"{name}\n{body[name]}\n" for name in fields)
    cert = x509.load_pem_x509_certificate(requests.get(body["SigningCertURL"]).content)
    algorithm = hashes.SHA256() if body["SignatureVersion"] == "2" else hashes.SHA1()
    cert.public_key().verify(base64.b64decode(body["Signature"]), text.encode(), padding.PKCS1v15(), algorithm)


def test_http_subscription_is_pending_until_the_token_is_confirmed_then_gets_signed_notifications(cloud: LocalCloud):
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="jobs-done")["TopicArn"]
    with CallbackReceiver(lambda headers, body: 200) as receiver:
        arn = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"{receiver.url}/hook",
                            ReturnSubscriptionArn=True)["SubscriptionArn"]
        [confirmation] = receiver.requests
        assert confirmation.path == "/hook"
        assert confirmation.headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
        assert confirmation.headers["content-type"] == "text/plain; charset=UTF-8"
        first = json.loads(confirmation.body)
        assert first["Type"] == "SubscriptionConfirmation" and first["TopicArn"] == topic
        assert f"Token={first['Token']}" in first["SubscribeURL"]
        _verify(first, CONFIRMATION_SIGNED)
        assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "true"

        sns.publish(TopicArn=topic, Message="before")  # SNS sends nothing to an unconfirmed endpoint
        assert len(receiver.requests) == 1
        # subscribing again while pending sends a new confirmation; the first token is replaced
        assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"{receiver.url}/hook",
                             ReturnSubscriptionArn=True)["SubscriptionArn"] == arn
        assert [r.headers["x-amz-sns-message-type"] for r in receiver.requests] == ["SubscriptionConfirmation"] * 2
        first = json.loads(receiver.requests[-1].body)
        with pytest.raises(sns.exceptions.InvalidParameterException):
            sns.confirm_subscription(TopicArn=topic, Token="not-the-token")
        assert sns.confirm_subscription(TopicArn=topic, Token=first["Token"])["SubscriptionArn"] == arn
        assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "false"

        message_id = sns.publish(TopicArn=topic, Message='{"jobId": "j-1"}', Subject="작업 완료",
                                 MessageAttributes={"status": {"DataType": "String", "StringValue": "SUCCEEDED"}})["MessageId"]
        notification = receiver.requests[-1]
        assert notification.headers["x-amz-sns-message-type"] == "Notification"
        assert notification.headers["x-amz-sns-message-id"] == message_id
        assert notification.headers["x-amz-sns-topic-arn"] == topic
        assert notification.headers["x-amz-sns-subscription-arn"] == arn
        body = json.loads(notification.body)
        assert body["Message"] == '{"jobId": "j-1"}' and body["Subject"] == "작업 완료"
        assert body["MessageAttributes"] == {"status": {"Type": "String", "Value": "SUCCEEDED"}}
        assert arn in body["UnsubscribeURL"]
        _verify(body)


def test_a_receiver_that_fails_and_a_host_off_this_computer_are_recorded_failures(cloud: LocalCloud):
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="jobs-done")["TopicArn"]
    with CallbackReceiver(lambda headers, body: 503) as receiver:
        with pytest.warns(UserWarning, match="HTTP 503"):
            sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url)
    with pytest.warns(UserWarning, match="이 컴퓨터"):
        sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://example.com/hook")
    assert [f.error.split(":")[0] for f in cloud.sns_delivery.failures] == ["HTTP 503", "오프라인 클라우드는 이 컴퓨터(127.0.0.1, localhost)의 엔드포인트에만 보냅니다"]


def test_raw_message_delivery_posts_the_message_itself(cloud: LocalCloud):
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="raw")["TopicArn"]

    def confirm(headers: dict, body: str) -> int:
        if headers["x-amz-sns-message-type"] == "SubscriptionConfirmation":
            sns.confirm_subscription(TopicArn=topic, Token=json.loads(body)["Token"])
        return 200

    with CallbackReceiver(confirm) as receiver:
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url, Attributes={"RawMessageDelivery": "true"})
        sns.publish(TopicArn=topic, Message="그대로")
        assert receiver.requests[-1].body == "그대로"
        assert receiver.requests[-1].headers["x-amz-sns-rawdelivery"] == "true"
