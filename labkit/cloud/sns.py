"""SNS -> Lambda with SNS's real envelope; SNS -> SQS kept as moto does it, with fixed details.

What SNS does, and so what this does:
- a Lambda subscription gets one event per message: `Records[0]` with EventSource `aws:sns`,
  EventVersion, EventSubscriptionArn (the subscription's own ARN) and `Sns` holding Type,
  MessageId (the id Publish returned), TopicArn, Subject (null when none was given), Message,
  Timestamp (the runtime's clock), SignatureVersion ("1", SNS's default, or "2" when the topic's
  SignatureVersion attribute says so), Signature (a real RSA signature over the canonical
  string, SHA1withRSA for version 1 and SHA256withRSA for version 2, checkable against the
  certificate at SigningCertUrl, which moto serves),
  SigningCertUrl, UnsubscribeUrl and MessageAttributes as `{"Type", "Value"}`;
- SNS invokes Lambda asynchronously: the event joins the function's async queue (retries,
  destinations, DLQ), and is delivered by `LocalCloud.run_until_idle()`;
- subscription filter policies (attributes or message body) and `MessageStructure="json"`
  apply as for every protocol.
moto's SNS -> SQS fan-out (envelope or raw delivery, filter policies, publish_batch) is kept; its
timestamps now follow the runtime's clock, its UnsubscribeURL names the real subscription and
its signature covers the Subject and follows the topic's SignatureVersion, as SNS's does (moto
always signs version 2).

HTTP/S subscriptions (moto confirms them at once and posts a bare JSON body) follow SNS's
handshake and wire format (`HttpDelivery`): Subscribe posts a signed SubscriptionConfirmation
with a Token and a SubscribeURL, the subscription stays PendingConfirmation until ConfirmSubscription
gets that token, and each Notification carries SNS's `x-amz-sns-*` headers. Deliveries go only to
this computer (127.0.0.1, localhost, ::1); any other host is refused and recorded in `failures`.

Duplicate delivery on demand (`duplicates()`, `LocalCloud.duplicate_deliveries()`): SNS delivers at
least once, so a subscriber may now and then get a message twice. Inside the block every message
published (to one topic, or to any) is delivered `copies` times to every subscription, one copy
after the other, each copy identical (same MessageId, Timestamp and Signature); an SQS subscription
gets one SQS message per copy (each with its own SQS MessageId), as when SNS retries. Each extra
copy is recorded in `duplicated`.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .moto.registry import MotoName

if TYPE_CHECKING:
    from .core.context import CloudContext

__all__ = ["SnsNotifications", "SnsFailure", "DuplicateDelivery"]


@dataclass
class SnsFailure:
    """A message SNS could not hand to a Lambda subscription."""

    subscription_arn: str
    message_id: str
    error: str


@dataclass(frozen=True)
class DuplicateDelivery:
    """One extra copy of a message that `duplicates()` delivered to a subscription."""

    subscription_arn: str
    message_id: str
    protocol: str


def string_to_sign(message: str, message_id: str, subject: str | None, timestamp: str, topic_arn: str) -> str:
    """SNS's canonical string for a Notification (Subject only when the message has one)."""
    fields = [("Message", message), ("MessageId", message_id)]
    if subject is not None:
        fields.append(("Subject", subject))
    fields += [("Timestamp", timestamp), ("TopicArn", topic_arn), ("Type", "Notification")]
    return "".join(f"{name}\n{value}\n" for name, value in fields)


def signature_version(topic: Any) -> str:
    """The topic's SignatureVersion attribute: "1" (SHA1, SNS's default) unless it is set to 2."""
    return "2" if str(getattr(topic, "signature_version", "1") or "1").strip() == "2" else "1"


def sign(subscription: Any, message: str, message_id: str, subject: str | None, timestamp: str, version: str = "1") -> str:
    """The signature SNS puts on a Notification, with the subscription's moto key:
    SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA."""
    return sign_text(subscription, string_to_sign(message, message_id, subject, timestamp, subscription.topic.arn), version)


def sign_text(subscription: Any, text: str, version: str = "1") -> str:
    """`text` signed with the subscription's moto key (whose certificate moto serves at SigningCertURL)."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()
    signature = subscription.private_key().sign(text.encode(), padding.PKCS1v15(), algorithm)
    return base64.b64encode(signature).decode()


# The fields SNS signs in a SubscriptionConfirmation, in its order (SNS's developer guide,
# "Verifying the signatures of Amazon SNS messages").
CONFIRMATION_SIGNED = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
TOKEN = "_labkit_confirmation_token"  # Subscription attribute: the token its confirmation carried


class SnsNotifications:
    """SNS -> Lambda subscriptions for one cloud: the envelope, the async invocation, the failures."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self.failures: list[SnsFailure] = []
        self.duplicated: list[DuplicateDelivery] = []
        self._duplicating: list[tuple[int, str | None]] = []  # (copies, topic ARN or None), innermost last
        self._signed: dict[tuple[str, str, str], dict[str, Any]] = {}  # what the copies of one message share

    @contextlib.contextmanager
    def duplicates(self, copies: int = 2, *, topic_arn: str | None = None) -> Iterator[list[DuplicateDelivery]]:
        """Deliver every message published inside the block `copies` times to each subscription.

        `topic_arn` limits it to one topic. Yields the list of extra copies delivered in the block.
        """
        if not isinstance(copies, int) or isinstance(copies, bool) or copies < 1:
            from .core.errors import CloudUsageError

            raise CloudUsageError(f"copies={copies!r}는 쓸 수 없습니다. 한 메시지를 몇 번 전달할지 1 이상의 정수로 지정하십시오(예: copies=2).")
        start = len(self.duplicated)
        extra: list[DuplicateDelivery] = []
        self._duplicating.append((copies, topic_arn))
        try:
            yield extra
        finally:
            self._duplicating.pop()
            if not self._duplicating:
                self._signed.clear()
            extra.extend(self.duplicated[start:])

    def copies_for(self, topic_arn: str) -> int:
        """How many times a message published to `topic_arn` now reaches each subscription."""
        for copies, only in reversed(self._duplicating):
            if only is None or only == topic_arn:
                return copies
        return 1

    def envelope(
        self, subscription: Any, message: str, message_id: str, subject: str | None, message_attributes: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The event SNS sends to a Lambda subscription."""
        signed = subscription.get_post_data(message, message_id, subject, message_attributes=message_attributes)
        return {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": subscription.arn,
                    "Sns": {
                        "Type": "Notification",
                        "MessageId": message_id,
                        "TopicArn": subscription.topic.arn,
                        "Subject": subject,
                        "Message": message,
                        "Timestamp": signed["Timestamp"],
                        "SignatureVersion": signed["SignatureVersion"],
                        "Signature": signed["Signature"],
                        "SigningCertUrl": signed["SigningCertURL"],
                        "UnsubscribeUrl": signed["UnsubscribeURL"],
                        "MessageAttributes": {
                            name: {"Type": value["Type"], "Value": value["Value"]}
                            for name, value in (message_attributes or {}).items()
                        },
                    },
                }
            ]
        }

    def to_lambda(
        self, subscription: Any, message: str, message_id: str, subject: str | None, message_attributes: dict[str, Any] | None
    ) -> None:
        event = self.envelope(subscription, message, message_id, subject, message_attributes)
        try:
            fn = self.ctx.runtime.resolve(subscription.endpoint)
        except Exception as exc:  # SNS would retry, then drop (or redrive) the message
            self.failures.append(SnsFailure(subscription.arn, message_id, str(exc)))
            warnings.warn(
                f"SNS 메시지 {message_id}를 구독 {subscription.arn}의 함수에 전달하지 못했습니다({exc}).", stacklevel=4
            )
            return
        self.ctx.async_invoke(fn, json.dumps(event).encode(), subscription.endpoint)

    # ---- HTTP/S subscriptions

    def post(self, subscription: Any, kind: str, body: str, message_id: str) -> bool:
        """POST one SNS message to the subscription's endpoint, as SNS does; True on a 2xx answer.

        Only this computer is reachable: a subscription to any other host is a recorded failure."""
        import requests
        from urllib.parse import urlsplit

        host = urlsplit(subscription.endpoint).hostname or ""
        if host not in LOCAL_HOSTS:
            return self._failed(subscription, message_id,
                                f"오프라인 클라우드는 이 컴퓨터(127.0.0.1, localhost)의 엔드포인트에만 보냅니다: {subscription.endpoint}")
        headers = {
            "x-amz-sns-message-type": kind,
            "x-amz-sns-message-id": message_id,
            "x-amz-sns-topic-arn": subscription.topic.arn,
            "Content-Type": "text/plain; charset=UTF-8",
            "User-Agent": "Amazon Simple Notification Service Agent",
        }
        if kind == "Notification":
            headers["x-amz-sns-subscription-arn"] = subscription.arn
            if subscription.attributes.get("RawMessageDelivery") in (True, "true"):
                headers["x-amz-sns-rawdelivery"] = "true"
        try:
            answer = requests.post(subscription.endpoint, data=body.encode("utf-8"), headers=headers, timeout=15)
        except requests.RequestException as exc:
            return self._failed(subscription, message_id, f"{type(exc).__name__}: {exc}")
        if not 200 <= answer.status_code < 300:
            return self._failed(subscription, message_id, f"HTTP {answer.status_code}")
        return True

    def _failed(self, subscription: Any, message_id: str, error: str) -> bool:
        self.failures.append(SnsFailure(subscription.arn, message_id, error))
        warnings.warn(f"SNS 메시지 {message_id}를 구독 {subscription.endpoint}에 전달하지 못했습니다({error}).", stacklevel=5)
        return False

    def request_confirmation(self, subscription: Any) -> None:
        """SNS's first POST to a new HTTP/S subscription: a signed SubscriptionConfirmation with a Token."""
        from moto.moto_api._internal import mock_random

        token = mock_random.get_random_hex(128)
        subscription.__dict__[TOKEN] = token
        subscription.attributes["PendingConfirmation"] = "true"
        subscription.attributes["ConfirmationWasAuthenticated"] = "false"
        topic = subscription.topic
        region = topic.sns_backend.region_name
        message_id = str(mock_random.uuid4())
        signed = subscription.get_post_data("", message_id, None)  # the certificate moto serves, and a timestamp
        fields = {
            "Type": "SubscriptionConfirmation",
            "MessageId": message_id,
            "Token": token,
            "TopicArn": topic.arn,
            "Message": f"You have chosen to subscribe to the topic {topic.arn}.\n"
                       "To confirm the subscription, visit the SubscribeURL included in this message.",
            "SubscribeURL": f"https://sns.{region}.amazonaws.com/?Action=ConfirmSubscription&TopicArn={topic.arn}&Token={token}",
            "Timestamp": signed["Timestamp"],
        }
        version = signature_version(topic)
        text = "".join(f"{name}\n{fields[name]}\n" for name in CONFIRMATION_SIGNED)
        fields.update(SignatureVersion=version, Signature=sign_text(subscription, text, version),
                      SigningCertURL=signed["SigningCertURL"])
        self.post(subscription, "SubscriptionConfirmation", json.dumps(fields, ensure_ascii=False), message_id)

    def to_http(
        self, subscription: Any, message: str, message_id: str, subject: str | None, message_attributes: dict[str, Any] | None
    ) -> None:
        """A Notification to a confirmed HTTP/S subscription (an unconfirmed one gets nothing, as in SNS)."""
        if subscription.attributes.get("PendingConfirmation") in (True, "true"):
            return
        if subscription.attributes.get("RawMessageDelivery") in (True, "true"):
            self.post(subscription, "Notification", message, message_id)
            return
        signed = subscription.get_post_data(message, message_id, subject, message_attributes=message_attributes)
        body = {name: signed[name] for name in ("Type", "MessageId", "TopicArn") if name in signed}
        if subject is not None:
            body["Subject"] = subject
        body.update(Message=message, Timestamp=signed["Timestamp"], SignatureVersion=signed["SignatureVersion"],
                    Signature=signed["Signature"], SigningCertURL=signed["SigningCertURL"],
                    UnsubscribeURL=signed["UnsubscribeURL"])
        if message_attributes:
            body["MessageAttributes"] = {n: {"Type": v["Type"], "Value": v["Value"]} for n, v in message_attributes.items()}
        self.post(subscription, "Notification", json.dumps(body, ensure_ascii=False), message_id)

    def confirm(self, backend: Any, topic_arn: str, token: str) -> str:
        """ConfirmSubscription: the subscription whose confirmation carried `token` is confirmed."""
        from moto.sns.exceptions import SNSInvalidParameter, SNSNotFoundError

        if topic_arn not in backend.topics:
            raise SNSNotFoundError("Topic does not exist")
        for subscription in backend.subscriptions.values():
            if subscription.topic.arn == topic_arn and subscription.__dict__.get(TOKEN) == token:
                subscription.attributes["PendingConfirmation"] = "false"
                subscription.attributes["ConfirmationWasAuthenticated"] = "true"
                return subscription.arn
        raise SNSInvalidParameter("Invalid token")

    def install(self, set_: Callable[[Any, str, Any], None]) -> None:
        import moto.sns.models as sns_models
        from moto.core.utils import iso_8601_datetime_with_milliseconds

        delivery = self
        clock = self.ctx.clock
        Subscription = sns_models.Subscription
        original_publish = Subscription.publish
        original_post_data = Subscription.get_post_data

        def timestamp(value: Any = None) -> str:
            return iso_8601_datetime_with_milliseconds(value if value is not None else clock.utcnow())

        set_(sns_models, "iso_8601_datetime_with_milliseconds", timestamp)

        def get_post_data(
            self: Any, message: str, message_id: str, subject: str | None, message_attributes: dict[str, Any] | None = None
        ) -> dict[str, Any]:
            copy_of = (self.arn, message_id, message)
            if delivery._duplicating and copy_of in delivery._signed:
                return dict(delivery._signed[copy_of])  # a copy is the same message: timestamp, certificate, signature
            data = original_post_data(self, message, message_id, subject, message_attributes=message_attributes)
            # moto always signs version 2 and leaves Subject out of the signed string; SNS signs
            # the Subject and uses the topic's SignatureVersion (1 unless set to 2)
            version = signature_version(self.topic)
            data["SignatureVersion"] = version
            data["Signature"] = sign(self, message, message_id, subject, data["Timestamp"], version)
            region = self.topic.sns_backend.region_name
            data["UnsubscribeURL"] = f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={self.arn}"
            if delivery._duplicating:
                delivery._signed[copy_of] = dict(data)
            return data

        set_(Subscription, "get_post_data", get_post_data)

        def publish(
            self: Any,
            message: str,
            message_id: str,
            subject: str | None = None,
            message_attributes: dict[str, Any] | None = None,
            group_id: str | None = None,
            deduplication_id: str | None = None,
            message_structure: str | None = None,
        ) -> None:
            for copy in range(delivery.copies_for(self.topic.arn)):
                if copy and (self._filter_policy_matcher is None or self._filter_policy_matcher.matches(message_attributes, message)):
                    delivery.duplicated.append(DuplicateDelivery(self.arn, message_id, self.protocol))
                deliver_once(self, message, message_id, subject, message_attributes, group_id, deduplication_id, message_structure)

        def deliver_once(
            self: Any, message: str, message_id: str, subject: str | None, message_attributes: dict[str, Any] | None,
            group_id: str | None, deduplication_id: str | None, message_structure: str | None,
        ) -> None:
            send = {"lambda": delivery.to_lambda, "http": delivery.to_http, "https": delivery.to_http}.get(self.protocol)
            if send is None:
                original_publish(
                    self, message, message_id, subject=subject, message_attributes=message_attributes,
                    group_id=group_id, deduplication_id=deduplication_id, message_structure=message_structure,
                )
                return
            if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(message_attributes, message):
                return
            if message_structure == "json":
                message = self._parse_message_structure(message, self.protocol)
            send(self, message, message_id, subject, message_attributes)

        set_(Subscription, "publish", publish)

        import moto.sns.responses as sns_responses
        from moto.core.responses import ActionResult

        Backend = sns_models.SNSBackend
        original_subscribe = Backend.subscribe

        def subscribe(self: Any, topic_arn: str, endpoint: str, protocol: str) -> Any:
            known = set(self.subscriptions)
            subscription = original_subscribe(self, topic_arn, endpoint, protocol)
            pending = subscription.attributes.get("PendingConfirmation") in (True, "true")
            if protocol in ("http", "https") and (subscription.arn not in known or pending):
                delivery.request_confirmation(subscription)  # SNS sends it again to a still pending endpoint
            return subscription

        set_(Backend, "subscribe", subscribe)

        def confirm_subscription(self: Any) -> Any:
            arn = delivery.confirm(self.backend, self._get_param("TopicArn"), self._get_param("Token"))
            return ActionResult({"SubscriptionArn": arn})

        set_(sns_responses.SNSResponse, "confirm_subscription", confirm_subscription)


# moto's private names `SnsDelivery.install` patches or reads.
PATCHES = (
    MotoName("moto.sns.models", "iso_8601_datetime_with_milliseconds", "(value=None)"),
    MotoName("moto.sns.models:Subscription", "publish",
        "(self, message, message_id, subject=None, message_attributes=None, group_id=None, "
        "deduplication_id=None, message_structure=None)"),
    MotoName("moto.sns.models:Subscription", "get_post_data",
        "(self, message, message_id, subject, message_attributes=None)"),
    MotoName("moto.sns.models:Subscription", "_parse_message_structure", "(self, message, protocol)"),
    MotoName("moto.sns.models:Subscription", "_filter_policy_matcher", instance=True),
    MotoName("moto.sns.models:Subscription", "private_key", "(self)"),
    MotoName("moto.sns.models:Subscription", "attributes", instance=True),
    MotoName("moto.sns.models:SNSBackend", "subscribe", "(self, topic_arn, endpoint, protocol)"),
    MotoName("moto.sns.models:SNSBackend", "subscriptions", instance=True),
    MotoName("moto.sns.models:SNSBackend", "topics", instance=True),
    MotoName("moto.sns.responses:SNSResponse", "confirm_subscription", "(self)"),
)
