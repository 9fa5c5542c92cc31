"""S3 event notifications: the real event 2.1 shape, to Lambda, SQS, SNS and EventBridge.

What S3 does, and so what this does:
- each matching notification configuration (event type, prefix/suffix filter) gets one event with one record in S3's 2.1 shape: userIdentity,
  requestParameters.sourceIPAddress, responseElements (x-amz-request-id, x-amz-id-2),
  s3.configurationId, the bucket's ownerIdentity and ARN, and the object's key, size, eTag,
  versionId (versioned buckets) and sequencer (increasing per bucket, hex, as S3's);
- the key is URL-encoded as S3 does it: `/` kept, space as `+`, everything else
  percent-encoded (`quote_plus(key, safe="/")`);
- Lambda is invoked asynchronously (Lambda's async queue: retries, destinations, DLQ), so a
  failing handler is retried and recorded in `cloud.async_invoker`, never silently dropped;
- SNS gets the event as the message with subject "Amazon S3 Notification"; SQS gets it as the body;
- EventBridge (when the bucket enables it) gets S3's EventBridge event on the default bus, with
  the unencoded key and `reason` as S3 sends it (PutObject, CopyObject, DeleteObject, ...);
- a versioned bucket's delete without a version id creates a delete marker and sends
  `ObjectRemoved:DeleteMarkerCreated` (moto sends nothing); a delete with a version id removes
  that version for good and sends `ObjectRemoved:Delete` with its versionId (moto sends it only
  when the key's last version goes);
- `ObjectTagging:Put` comes only from the PutObjectTagging API, as on AWS (moto also sends it,
  and an EventBridge "Object Tags Added", for every PutObject, CopyObject and multipart upload,
  tagged or not); tagging events carry event version 2.3;
- a multipart upload's completion is one `ObjectCreated:CompleteMultipartUpload` (moto also sent
  an `ObjectCreated:Put` for it);
- the `s3:TestEvent` S3 sends to SQS and SNS when a configuration is put carries `RequestId` and
  `HostId`, as S3's does.
A configuration whose rules overlap (the same event type, overlapping prefixes and suffixes) is
refused with S3's InvalidArgument, as S3 does. Delivery failures (a destination that does not
exist) are kept in `failures`; AWS would have refused such a configuration when it was put.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote_plus

from .core import arns
from .core.timefmt import iso_millis
from .moto.registry import MotoName

if TYPE_CHECKING:
    from .core.context import CloudContext

__all__ = ["S3Notifications", "S3DeliveryFailure", "encode_key", "SOURCE_IP", "PRINCIPAL_ID"]

_api = threading.local()  # what moto is doing: serving PutObjectTagging, completing a multipart upload

SOURCE_IP = "127.0.0.1"
PRINCIPAL_ID = "AWS:AIDACKCEVSQ6C2EXAMPLE"  # the IAM user behind the lab's fake credentials
OWNER_ID = "A3NL1KOZZKEXAMPLE"
SNS_SUBJECT = "Amazon S3 Notification"

_REASONS = {
    "s3:ObjectCreated:Put": "PutObject",
    "s3:ObjectCreated:Post": "PostObject",
    "s3:ObjectCreated:Copy": "CopyObject",
    "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "s3:ObjectRemoved:Delete": "DeleteObject",
    "s3:ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
}


def encode_key(key: str) -> str:
    """An object key as S3 writes it into an event: `in/photo 1.jpg` -> `in/photo+1.jpg`."""
    return quote_plus(key, safe="/")


OVERLAP = (
    "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the "
    "prefixes are overlapping for the same event type."
)


def _events_overlap(first: list[str], second: list[str]) -> bool:
    """Whether two rules share an event type (`s3:ObjectCreated:*` covers `s3:ObjectCreated:Put`)."""
    def covers(a: str, b: str) -> bool:
        return a == b or (a.endswith(":*") and b.startswith(a[:-1]))

    return any(covers(a, b) or covers(b, a) for a in first for b in second)


def overlapping_rules(config: dict[str, Any]) -> tuple[str, str] | None:
    """The ids of two rules of a PutBucketNotificationConfiguration that S3 refuses together: the
    same event type, prefixes of which one starts the other, suffixes of which one ends the other
    (an absent prefix or suffix overlaps every other). None when there are none."""
    rules: list[tuple[str, list[str], str, str]] = []
    for kind in ("CloudFunctionConfiguration", "QueueConfiguration", "TopicConfiguration"):
        for number, item in enumerate(config.get(kind) or [], 1):
            events = item.get("Event") or []
            filters = ((item.get("Filter") or {}).get("S3Key") or {}).get("FilterRule") or []
            named = {str(f.get("Name", "")).lower(): str(f.get("Value", "")) for f in ([filters] if isinstance(filters, dict) else filters)}
            rules.append((item.get("Id") or f"{kind} {number}", [events] if isinstance(events, str) else list(events),
                          named.get("prefix", ""), named.get("suffix", "")))
    for i, (first, events, prefix, suffix) in enumerate(rules):
        for second, other_events, other_prefix, other_suffix in rules[i + 1:]:
            if (
                _events_overlap(events, other_events)
                and (prefix.startswith(other_prefix) or other_prefix.startswith(prefix))
                and (suffix.endswith(other_suffix) or other_suffix.endswith(suffix))
            ):
                return first, second
    return None


@dataclass
class S3DeliveryFailure:
    """A notification S3 could not hand to its destination."""

    bucket: str
    key: str
    event_name: str
    destination: str
    error: str


def _request_ids() -> tuple[str, str]:
    request_id = secrets.token_hex(8).upper()
    host_id = base64.b64encode(hashlib.sha384(request_id.encode()).digest() + secrets.token_bytes(9)).decode()
    return request_id, host_id


class S3Notifications:
    """Builds S3's events and hands them to each destination, for one local cloud."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self.failures: list[S3DeliveryFailure] = []
        self._sequencer = 0
        self._lock = threading.Lock()

    # ---- event shapes

    def next_sequencer(self) -> str:
        """An increasing hex sequencer (S3 compares them as strings of equal length)."""
        with self._lock:
            self._sequencer = max(self._sequencer + 1, int(self.ctx.clock.now() * 1_000_000) << 8)
            return format(self._sequencer, "018X")

    def event(self, event_name: str, bucket: Any, key: Any, configuration_id: str) -> dict[str, Any]:
        """The notification event for one object and one configuration, S3's 2.1 shape."""
        request_id, host_id = _request_ids()
        obj: dict[str, Any] = {"key": encode_key(key.name)}
        removed = event_name.startswith("s3:ObjectRemoved")
        if not removed:
            obj["size"] = key.size
            obj["eTag"] = key.etag.replace('"', "")
        version = getattr(key, "version_id", None)
        if bucket.is_versioned and version not in (None, "null"):
            obj["versionId"] = str(version)
        obj["sequencer"] = self.next_sequencer()
        return {
            "Records": [
                {
                    # S3 uses 2.3 for object ACL and tagging events, 2.1 for the rest (User Guide)
                    "eventVersion": "2.3" if event_name.startswith(("s3:ObjectTagging", "s3:ObjectAcl")) else "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": bucket.region_name,
                    "eventTime": iso_millis(self.ctx.clock.now()),
                    "eventName": event_name[3:],  # s3:ObjectCreated:Put -> ObjectCreated:Put
                    "userIdentity": {"principalId": PRINCIPAL_ID},
                    "requestParameters": {"sourceIPAddress": SOURCE_IP},
                    "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": host_id},
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": configuration_id,
                        "bucket": {"name": bucket.name, "ownerIdentity": {"principalId": OWNER_ID}, "arn": bucket.arn},
                        "object": obj,
                    },
                }
            ]
        }

    def eventbridge_entry(self, event_name: str, bucket: Any, key: Any) -> dict[str, Any]:
        """The PutEvents entry S3 sends to EventBridge's default bus for one object."""
        from moto.s3.notifications import _detail_type

        request_id, _ = _request_ids()
        obj: dict[str, Any] = {"key": key.name}
        if not event_name.startswith("s3:ObjectRemoved"):
            obj["size"] = key.size
            obj["etag"] = key.etag.replace('"', "")
        version = getattr(key, "version_id", None)
        if bucket.is_versioned and version not in (None, "null"):
            obj["version-id"] = str(version)
        obj["sequencer"] = self.next_sequencer()
        detail: dict[str, Any] = {
            "version": "0",
            "bucket": {"name": bucket.name},
            "object": obj,
            "request-id": request_id,
            "requester": self.ctx.account_id,
            "source-ip-address": SOURCE_IP,
            "reason": _REASONS.get(event_name, event_name.split(":")[1]),
        }
        if event_name == "s3:ObjectRemoved:DeleteMarkerCreated":
            detail["deletion-type"] = "Delete Marker Created"
        elif event_name == "s3:ObjectRemoved:Delete":
            detail["deletion-type"] = "Permanently Deleted"
        return {
            "Source": "aws.s3",
            "DetailType": _detail_type(event_name),
            "Detail": json.dumps(detail),
            "Resources": [bucket.arn],
            "EventBusName": "default",
        }

    # ---- delivery

    def _failed(self, bucket: str, key: str, event_name: str, destination: str, error: BaseException | str) -> None:
        failure = S3DeliveryFailure(bucket, key, event_name, destination, str(error))
        self.failures.append(failure)
        warnings.warn(
            f"S3 알림을 {destination}에 전달하지 못했습니다({error}). 대상이 있는지, ARN이 맞는지 확인하십시오.",
            stacklevel=3,
        )

    def send(self, account_id: str, event_name: str, bucket: Any, key: Any) -> None:
        """moto's `send_event`, with AWS's shapes and failures recorded instead of swallowed."""
        config = bucket.notification_configuration
        if config is None or key is None:
            return
        name = str(getattr(event_name, "value", event_name))
        if name.startswith("s3:ObjectTagging:Put") and not getattr(_api, "put_object_tagging", False):
            return  # moto tags every new object through put_object_tagging; only the API is an event
        if name == "s3:ObjectCreated:Put" and getattr(_api, "completing_multipart", False):
            return  # moto stores the completed upload with put_object; S3 sends CompleteMultipartUpload only
        deleted_version = getattr(_api, "deleting_version", None)
        if name == "s3:ObjectRemoved:Delete" and deleted_version is not None:
            key = deleted_version  # moto names the key's newest version; S3 the one deleted
        # Lambda is invoked asynchronously (its async queue); SNS gets S3's subject; SQS the event as the body
        for notification in [*config.cloud_function, *config.queue, *config.topic]:
            if not notification.matches(name, key.name):
                continue
            try:
                self.ctx.send(notification.arn, json.dumps(self.event(name, bucket, key, notification.id)), subject=SNS_SUBJECT)
            except Exception as exc:  # AWS would have refused the configuration
                self._failed(bucket.name, key.name, name, notification.arn, exc)
        if config.event_bridge is not None:
            try:
                entry = self.eventbridge_entry(name, bucket, key)
                bus = arns.build("events", bucket.region_name, account_id, "event-bus/default")
                self.ctx.send(bus, entry["Detail"], source=entry["Source"], detail_type=entry["DetailType"], resources=entry["Resources"])
            except Exception as exc:
                self._failed(bucket.name, key.name, name, "EventBridge", exc)

    # ---- moto patches

    def install(self, set_: Callable[[Any, str, Any], None]) -> None:
        import moto.s3.models as s3_models
        import moto.s3.notifications as s3_notifications

        set_(s3_notifications, "send_event", self.send)

        original_marker = s3_models.S3Backend._set_delete_marker
        notifier = self

        def set_delete_marker(backend: Any, bucket_name: str, key_name: str) -> Any:
            marker = original_marker(backend, bucket_name, key_name)
            notifier.send(backend.account_id, "s3:ObjectRemoved:DeleteMarkerCreated", backend.get_bucket(bucket_name), marker)
            return marker

        set_(s3_models.S3Backend, "_set_delete_marker", set_delete_marker)

        original_delete = s3_models.S3Backend.delete_object

        def delete_object(
            backend: Any, bucket_name: str, key_name: str, version_id: str | None = None, bypass: bool = False
        ) -> Any:
            """Deleting one version of a versioned object is a permanent delete: S3 sends
            ObjectRemoved:Delete naming that version. moto sends it only when the key's last
            version goes, and then names the newest version instead of the deleted one."""
            bucket = backend.get_bucket(bucket_name)
            target = None
            if version_id is not None and bucket.is_versioned and key_name in bucket.keys:
                target = next((k for k in bucket.keys.getlist(key_name) if str(k.version_id) == str(version_id)), None)
            _api.deleting_version = target
            try:
                result = original_delete(backend, bucket_name, key_name, version_id, bypass)
            finally:
                _api.deleting_version = None
            still_there = key_name in bucket.keys  # moto sent the event itself when the last version went
            if result[0] and target is not None and still_there and not isinstance(target, s3_models.FakeDeleteMarker):
                notifier.send(backend.account_id, "s3:ObjectRemoved:Delete", bucket, target)
            return result

        set_(s3_models.S3Backend, "delete_object", delete_object)

        original_put_config = s3_models.S3Backend.put_bucket_notification_configuration

        def put_bucket_notification_configuration(backend: Any, bucket_name: str, notification_config: dict[str, Any]) -> None:
            from moto.s3.exceptions import InvalidArgumentError

            overlap = overlapping_rules(notification_config or {})
            if overlap is not None:
                first, second = overlap
                raise InvalidArgumentError(
                    f"{OVERLAP} (두 알림 규칙({first}, {second})이 같은 이벤트의 같은 객체에 함께 맞습니다. "
                    "한 이벤트는 대상 하나에만 보낼 수 있으니 접두사(prefix)나 접미사(suffix)를 나누십시오. "
                    "여러 대상에 보내려면 SNS 주제 하나에 보내고 주제를 구독하게 하십시오.)",
                    "FilterRule", second,
                )
            original_put_config(backend, bucket_name, notification_config)

        set_(s3_models.S3Backend, "put_bucket_notification_configuration", put_bucket_notification_configuration)

        original_complete = s3_models.S3Backend.complete_multipart_upload

        def complete_multipart_upload(backend: Any, *args: Any, **kwargs: Any) -> Any:
            _api.completing_multipart = True
            try:
                return original_complete(backend, *args, **kwargs)
            finally:
                _api.completing_multipart = False

        set_(s3_models.S3Backend, "complete_multipart_upload", complete_multipart_upload)

        import moto.s3.responses as s3_responses

        original_put_tagging = s3_responses.S3Response.put_object_tagging

        def put_object_tagging(response: Any) -> Any:
            _api.put_object_tagging = True
            try:
                return original_put_tagging(response)
            finally:
                _api.put_object_tagging = False

        set_(s3_responses.S3Response, "put_object_tagging", put_object_tagging)

        original_test_event = s3_notifications._get_test_event

        def get_test_event(bucket_name: str) -> dict[str, Any]:
            request_id, host_id = _request_ids()
            return {**original_test_event(bucket_name), "RequestId": request_id, "HostId": host_id}

        set_(s3_notifications, "_get_test_event", get_test_event)


# moto's private names `S3Notifications.install` patches or reads.
PATCHES = (
    MotoName("moto.s3.notifications", "send_event", "(account_id, event_name, bucket, key)"),
    MotoName("moto.s3.notifications", "_detail_type", "(event_name)"),
    MotoName("moto.s3.models:Notification", "matches", "(self, event_name, key_name)"),
    MotoName("moto.s3.models:S3Backend", "_set_delete_marker", "(self, bucket_name, key_name)"),
    MotoName("moto.s3.models:S3Backend", "delete_object",
        "(self, bucket_name, key_name, version_id=None, bypass=False)"),
    MotoName("moto.s3.models", "FakeDeleteMarker", "(key)"),
    MotoName("moto.s3.models:S3Backend", "put_bucket_notification_configuration",
        "(self, bucket_name, notification_config)"),
    MotoName("moto.s3.exceptions", "InvalidArgumentError", "(message, name, value)"),
    MotoName("moto.s3.responses:S3Response", "put_object_tagging", "(self)"),
    MotoName("moto.s3.models:S3Backend", "complete_multipart_upload", "(self, bucket_name, multipart_id, body)"),
    MotoName("moto.s3.notifications", "_get_test_event", "(bucket_name)"),
    MotoName("moto.sns.models", "sns_backends"),
)
