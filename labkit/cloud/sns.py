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
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .moto.registry import MotoName

if TYPE_CHECKING:
    from .core.context import CloudContext

__all__ = ["SnsNotifications", "SnsFailure"]


@dataclass
class SnsFailure:
    """A message SNS could not hand to a Lambda subscription."""

    subscription_arn: str
    message_id: str
    error: str


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
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    text = string_to_sign(message, message_id, subject, timestamp, subscription.topic.arn)
    algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()
    signature = subscription.private_key().sign(text.encode(), padding.PKCS1v15(), algorithm)
    return base64.b64encode(signature).decode()


class SnsNotifications:
    """SNS -> Lambda subscriptions for one cloud: the envelope, the async invocation, the failures."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self.failures: list[SnsFailure] = []

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
            data = original_post_data(self, message, message_id, subject, message_attributes=message_attributes)
            # moto always signs version 2 and leaves Subject out of the signed string; SNS signs
            # the Subject and uses the topic's SignatureVersion (1 unless set to 2)
            version = signature_version(self.topic)
            data["SignatureVersion"] = version
            data["Signature"] = sign(self, message, message_id, subject, data["Timestamp"], version)
            region = self.topic.sns_backend.region_name
            data["UnsubscribeURL"] = f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={self.arn}"
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
            if self.protocol != "lambda":
                return original_publish(
                    self, message, message_id, subject=subject, message_attributes=message_attributes,
                    group_id=group_id, deduplication_id=deduplication_id, message_structure=message_structure,
                )
            if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(message_attributes, message):
                return None
            if message_structure == "json":
                message = self._parse_message_structure(message, self.protocol)
            delivery.to_lambda(self, message, message_id, subject, message_attributes)
            return None

        set_(Subscription, "publish", publish)


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
)
