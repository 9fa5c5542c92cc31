"""S3 event notifications: S3's 2.1 event shape, key encoding, filters, async Lambda, SQS, SNS."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

import pytest

from labkit.cloud import LocalCloud
from labkit.cloud.s3 import encode_key

from .conformance import missing_fields, sample

RECORDER = """
import json
from urllib.parse import unquote_plus
def handler(event, context):
    print("SEEN " + json.dumps(event))
    print("KEY " + unquote_plus(event["Records"][0]["s3"]["object"]["key"]))
"""

BROKEN = "def handler(event, context):\n    raise RuntimeError('thumbnail failed')\n"


def _bucket(cloud: LocalCloud, name: str = "lab-photos", *, versioned: bool = False) -> str:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": cloud.region})
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def _notify(cloud: LocalCloud, bucket: str, **config) -> None:
    cloud.client("s3").put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)


def _events(cloud: LocalCloud, name: str) -> list[dict]:
    return [json.loads(line[5:]) for line in cloud.logs(name) if line.startswith("SEEN ")]


def _lambda_config(arn: str, events: list[str], *, prefix: str | None = None, suffix: str | None = None, id: str = "photos") -> dict:
    config = {"Id": id, "LambdaFunctionArn": arn, "Events": events}
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v is not None]
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    return config


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("in/photo 1.jpg", "in/photo+1.jpg"),
        ("in/사진.jpg", "in/%EC%82%AC%EC%A7%84.jpg"),
        ("a+b=c&d.txt", "a%2Bb%3Dc%26d.txt"),
        ("plain/key.txt", "plain/key.txt"),
    ],
)
def test_keys_are_encoded_as_s3_does(key: str, encoded: str) -> None:
    assert encode_key(key) == encoded
    assert unquote_plus(encoded) == key


def test_put_delivers_the_full_event_asynchronously(cloud: LocalCloud, code_dir) -> None:
    from aws_lambda_powertools.utilities.parser.models import S3Model

    bucket = _bucket(cloud, versioned=True)
    fn = cloud.deploy(code_dir(app=RECORDER), name="thumbs")
    _notify(cloud, bucket, LambdaFunctionConfigurations=[_lambda_config(fn.arn, ["s3:ObjectCreated:*"])])
    put = cloud.client("s3").put_object(Bucket=bucket, Key="in/강아지 사진.jpg", Body=b"woof")
    assert _events(cloud, "thumbs") == []  # S3 invokes asynchronously: queued, not run inside put_object
    assert cloud.run_until_idle() == 1
    (event,) = _events(cloud, "thumbs")
    (record,) = event["Records"]
    assert record["eventName"] == "ObjectCreated:Put" and record["awsRegion"] == "ap-northeast-2"
    s3 = record["s3"]
    assert s3["configurationId"] == "photos"
    assert s3["bucket"] == {"name": bucket, "ownerIdentity": s3["bucket"]["ownerIdentity"], "arn": f"arn:aws:s3:::{bucket}"}
    assert s3["object"]["key"] == "in/%EA%B0%95%EC%95%84%EC%A7%80+%EC%82%AC%EC%A7%84.jpg"
    assert s3["object"]["size"] == 4 and s3["object"]["eTag"] == put["ETag"].strip('"')
    assert s3["object"]["versionId"] == put["VersionId"]
    assert [line for line in cloud.logs("thumbs") if line.startswith("KEY ")] == ["KEY in/강아지 사진.jpg"]
    assert len(record["responseElements"]["x-amz-request-id"]) == 16

    S3Model.model_validate(event)
    assert missing_fields(event, sample("s3")) == []


def test_sequencer_increases_and_unversioned_buckets_have_no_version_id(cloud: LocalCloud, code_dir) -> None:
    bucket = _bucket(cloud)
    fn = cloud.deploy(code_dir(app=RECORDER), name="thumbs")
    _notify(cloud, bucket, LambdaFunctionConfigurations=[_lambda_config(fn.arn, ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"])])
    s3 = cloud.client("s3")
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    s3.put_object(Bucket=bucket, Key="k", Body=b"22")
    s3.delete_object(Bucket=bucket, Key="k")
    cloud.run_until_idle()
    records = [e["Records"][0] for e in _events(cloud, "thumbs")]
    assert [r["eventName"] for r in records] == ["ObjectCreated:Put", "ObjectCreated:Put", "ObjectRemoved:Delete"]
    sequencers = [r["s3"]["object"]["sequencer"] for r in records]
    assert sequencers == sorted(sequencers) and len(set(sequencers)) == 3
    assert all("versionId" not in r["s3"]["object"] for r in records)
    removed = records[2]["s3"]["object"]
    assert set(removed) == {"key", "sequencer"}  # a delete carries no size or eTag


def test_versioned_delete_creates_a_delete_marker_event(cloud: LocalCloud, code_dir) -> None:
    from aws_lambda_powertools.utilities.parser.models import S3Model

    bucket = _bucket(cloud, versioned=True)
    fn = cloud.deploy(code_dir(app=RECORDER), name="thumbs")
    _notify(cloud, bucket, LambdaFunctionConfigurations=[_lambda_config(fn.arn, ["s3:ObjectRemoved:*"])])
    s3 = cloud.client("s3")
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    marker = s3.delete_object(Bucket=bucket, Key="k")
    cloud.run_until_idle()
    (event,) = _events(cloud, "thumbs")
    assert event["Records"][0]["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert event["Records"][0]["s3"]["object"]["versionId"] == marker["VersionId"]
    S3Model.model_validate(event)


def test_deleting_a_version_sends_object_removed_delete_for_that_version(cloud: LocalCloud, code_dir) -> None:
    # S3 sends ObjectRemoved:Delete "when a versioned object is permanently deleted"; moto sent it
    # only when the key's last version went.
    bucket = _bucket(cloud, versioned=True)
    fn = cloud.deploy(code_dir(app=RECORDER), name="thumbs")
    _notify(cloud, bucket, LambdaFunctionConfigurations=[_lambda_config(fn.arn, ["s3:ObjectRemoved:*"])])
    s3 = cloud.client("s3")
    old = s3.put_object(Bucket=bucket, Key="v.txt", Body=b"1")["VersionId"]
    new = s3.put_object(Bucket=bucket, Key="v.txt", Body=b"2")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="v.txt", VersionId=old)
    s3.delete_object(Bucket=bucket, Key="v.txt", VersionId=new)  # the last version: moto's own event
    cloud.run_until_idle()
    records = [e["Records"][0] for e in _events(cloud, "thumbs")]
    assert [(r["eventName"], r["s3"]["object"]["versionId"]) for r in records] == [
        ("ObjectRemoved:Delete", old), ("ObjectRemoved:Delete", new),
    ]


@pytest.mark.parametrize(
    "first, second",
    [
        ({"prefix": "in/"}, {"prefix": "in/sub/"}),
        ({"suffix": ".jpg"}, {"prefix": "in/", "suffix": "a.jpg"}),
        ({}, {"prefix": "out/"}),
    ],
)
def test_overlapping_rules_are_refused(cloud: LocalCloud, code_dir, first: dict, second: dict) -> None:
    from botocore.exceptions import ClientError

    bucket = _bucket(cloud)
    fn = cloud.deploy(code_dir(app=RECORDER), name="thumbs")
    configs = [
        _lambda_config(fn.arn, ["s3:ObjectCreated:*"], id="one", **first),
        _lambda_config(fn.arn, ["s3:ObjectCreated:Put"], id="two", **second),
    ]
    with pytest.raises(ClientError) as caught:
        _notify(cloud, bucket, LambdaFunctionConfigurations=configs)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidArgument"
    assert error["Message"].startswith(
        "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are "
        "overlapping for the same event type."
    )
    assert "두 알림 규칙(one, two)이" in error["Message"]
    assert cloud.client("s3").get_bucket_notification_configuration(Bucket=bucket).get("LambdaFunctionConfigurations") is None


def test_rules_that_do_not_overlap_are_accepted(cloud: LocalCloud, code_dir) -> None:
    bucket = _bucket(cloud)
    fn = cloud.deploy(code_dir(app=RECORDER), name="thumbs")
    _notify(cloud, bucket, LambdaFunctionConfigurations=[
        _lambda_config(fn.arn, ["s3:ObjectCreated:*"], prefix="in/", suffix=".jpg", id="jpg"),
        _lambda_config(fn.arn, ["s3:ObjectCreated:*"], prefix="in/", suffix=".png", id="png"),
        _lambda_config(fn.arn, ["s3:ObjectCreated:*"], prefix="out/", id="out"),
        _lambda_config(fn.arn, ["s3:ObjectRemoved:*"], prefix="in/", id="removed"),
    ])
    cloud.client("s3").put_object(Bucket=bucket, Key="in/sub/c.jpg", Body=b"x")
    cloud.run_until_idle()
    assert len(_events(cloud, "thumbs")) == 1


def test_prefix_and_suffix_filters(cloud: LocalCloud, code_dir) -> None:
    bucket = _bucket(cloud)
    fn = cloud.deploy(code_dir(app=RECORDER), name="thumbs")
    _notify(cloud, bucket, LambdaFunctionConfigurations=[_lambda_config(fn.arn, ["s3:ObjectCreated:Put"], prefix="in/", suffix=".jpg")])
    s3 = cloud.client("s3")
    for key in ["in/a.jpg", "in/b.png", "out/c.jpg", "in/sub/d.jpg"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    cloud.run_until_idle()
    keys = [e["Records"][0]["s3"]["object"]["key"] for e in _events(cloud, "thumbs")]
    assert keys == ["in/a.jpg", "in/sub/d.jpg"]


def test_handler_errors_are_retried_and_recorded_not_swallowed(cloud: LocalCloud, code_dir) -> None:
    bucket = _bucket(cloud)
    sqs = cloud.client("sqs")
    failures = sqs.create_queue(QueueName="thumb-failures")["QueueUrl"]
    failures_arn = sqs.get_queue_attributes(QueueUrl=failures, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    fn = cloud.deploy(code_dir(app=BROKEN), name="thumbs")
    cloud.client("lambda").put_function_event_invoke_config(
        FunctionName="thumbs", DestinationConfig={"OnFailure": {"Destination": failures_arn}}
    )
    _notify(cloud, bucket, LambdaFunctionConfigurations=[_lambda_config(fn.arn, ["s3:ObjectCreated:*"])])
    cloud.client("s3").put_object(Bucket=bucket, Key="k.jpg", Body=b"x")
    cloud.run_until_idle(fast_forward=True)
    (queued,) = cloud.async_invoker.finished
    assert queued.attempts == 3 and all(not r.ok for r in queued.results)  # 1 try + 2 retries, as AWS
    assert queued.results[0].result["errorMessage"] == "thumbnail failed"
    (message,) = sqs.receive_message(QueueUrl=failures).get("Messages", [])
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"]["Records"][0]["s3"]["object"]["key"] == "k.jpg"


def test_sqs_and_sns_destinations(cloud: LocalCloud) -> None:
    bucket = _bucket(cloud)
    sqs, sns = cloud.client("sqs"), cloud.client("sns")
    direct = sqs.create_queue(QueueName="uploads")["QueueUrl"]
    direct_arn = sqs.get_queue_attributes(QueueUrl=direct, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    fanout = sqs.create_queue(QueueName="fanout")["QueueUrl"]
    fanout_arn = sqs.get_queue_attributes(QueueUrl=fanout, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="uploads")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=fanout_arn)
    _notify(
        cloud, bucket,
        # one event may go to one destination only (S3 refuses overlapping rules): split by prefix
        QueueConfigurations=[{"Id": "q", "QueueArn": direct_arn, "Events": ["s3:ObjectCreated:*"],
                              "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "docs/"}]}}}],
        TopicConfigurations=[{"Id": "t", "TopicArn": topic, "Events": ["s3:ObjectCreated:*"],
                              "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "media/"}]}}}],
    )
    for url in (direct, fanout):  # S3 sends a test event when a configuration is put
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    cloud.client("s3").put_object(Bucket=bucket, Key="docs/a b.txt", Body=b"x")
    cloud.client("s3").put_object(Bucket=bucket, Key="media/c.png", Body=b"x")
    (body,) = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=direct).get("Messages", [])]
    assert body["Records"][0]["s3"]["object"]["key"] == "docs/a+b.txt"
    assert body["Records"][0]["s3"]["configurationId"] == "q"
    (envelope,) = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=fanout).get("Messages", [])]
    assert envelope["Subject"] == "Amazon S3 Notification" and envelope["TopicArn"] == topic
    inner = json.loads(envelope["Message"])
    assert inner["Records"][0]["s3"]["configurationId"] == "t"
    assert inner["Records"][0]["s3"]["object"]["key"] == "media/c.png"
    assert missing_fields(inner, sample("s3"), opaque=frozenset({"object"})) == []


def test_missing_destination_is_recorded(cloud: LocalCloud) -> None:
    bucket = _bucket(cloud)
    gone = f"arn:aws:sqs:{cloud.region}:{cloud.account_id}:no-such-queue"
    _notify(cloud, bucket, QueueConfigurations=[{"QueueArn": gone, "Events": ["s3:ObjectCreated:*"]}])
    with pytest.warns(UserWarning, match="S3 알림을"):
        cloud.client("s3").put_object(Bucket=bucket, Key="k", Body=b"x")
    (failure,) = cloud.s3_notifications.failures
    assert failure.destination == gone and failure.key == "k"


def _drain(cloud: LocalCloud, url: str) -> list[dict]:
    sqs = cloud.client("sqs")
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_tagging_events_come_only_from_the_tagging_api(cloud: LocalCloud) -> None:
    # AWS: s3:ObjectTagging:Put is sent for PutObjectTagging only; a PutObject (tagged or not),
    # CopyObject or multipart upload is an ObjectCreated event and nothing else. moto also tags
    # every new object through put_object_tagging, which sent ObjectTagging:Put (and EventBridge
    # "Object Tags Added") for each of them.
    bucket = _bucket(cloud)
    s3, sqs, events = cloud.client("s3"), cloud.client("sqs"), cloud.client("events")
    queue = sqs.create_queue(QueueName="s3-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = sqs.create_queue(QueueName="s3-bus")["QueueUrl"]
    bus_arn = sqs.get_queue_attributes(QueueUrl=bus, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all-s3", EventPattern=json.dumps({"source": ["aws.s3"]}))
    events.put_targets(Rule="all-s3", Targets=[{"Id": "q", "Arn": bus_arn}])
    _notify(
        cloud, bucket,
        QueueConfigurations=[{"Id": "q", "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectTagging:*"]}],
        EventBridgeConfiguration={},
    )
    _drain(cloud, queue)  # the s3:TestEvent

    def seen() -> tuple[list[str], list[str]]:
        return ([b["Records"][0]["eventName"] for b in _drain(cloud, queue)], [b["detail-type"] for b in _drain(cloud, bus)])

    s3.put_object(Bucket=bucket, Key="plain.txt", Body=b"x")
    assert seen() == (["ObjectCreated:Put"], ["Object Created"])
    s3.put_object(Bucket=bucket, Key="tagged.txt", Body=b"x", Tagging="team=lab")
    assert seen() == (["ObjectCreated:Put"], ["Object Created"])
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged.txt")["TagSet"] == [{"Key": "team", "Value": "lab"}]
    s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "tagged.txt"})
    assert seen() == (["ObjectCreated:Copy"], ["Object Created"])
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big.bin", Tagging="size=big")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="big.bin", UploadId=upload, PartNumber=1, Body=b"x" * 10)["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="big.bin", UploadId=upload, MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]}
    )
    assert seen() == (["ObjectCreated:CompleteMultipartUpload"], ["Object Created"])

    s3.put_object_tagging(Bucket=bucket, Key="plain.txt", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    (tagged,), bus_events = _drain(cloud, queue), _drain(cloud, bus)
    assert tagged["Records"][0]["eventName"] == "ObjectTagging:Put" and tagged["Records"][0]["eventVersion"] == "2.3"
    assert tagged["Records"][0]["s3"]["object"]["key"] == "plain.txt"
    assert [e["detail-type"] for e in bus_events] == ["Object Tags Added"]
    s3.delete_object_tagging(Bucket=bucket, Key="plain.txt")
    assert seen() == (["ObjectTagging:Delete"], ["Object Tags Deleted"])


def test_the_test_event_carries_request_and_host_ids(cloud: LocalCloud) -> None:
    # AWS's s3:TestEvent: Service, Event, Time, Bucket, RequestId, HostId
    bucket = _bucket(cloud)
    sqs = cloud.client("sqs")
    queue = sqs.create_queue(QueueName="uploads")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    _notify(cloud, bucket, QueueConfigurations=[{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}])
    (test_event,) = _drain(cloud, queue)
    assert set(test_event) == {"Service", "Event", "Time", "Bucket", "RequestId", "HostId"}
    assert test_event["Service"] == "Amazon S3" and test_event["Event"] == "s3:TestEvent" and test_event["Bucket"] == bucket
    assert test_event["RequestId"] and test_event["HostId"]


def test_acl_events_carry_event_version_2_3(cloud: LocalCloud) -> None:
    # S3 User Guide: version 2.3 for object ACL and tagging events, 2.1 for the rest
    bucket = _bucket(cloud)
    sqs = cloud.client("sqs")
    queue = sqs.create_queue(QueueName="acl")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    _notify(cloud, bucket, QueueConfigurations=[{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectAcl:Put"]}])
    _drain(cloud, queue)  # the s3:TestEvent
    s3 = cloud.client("s3")
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"x")
    s3.put_object_acl(Bucket=bucket, Key="k.txt", ACL="private")
    records = [b["Records"][0] for b in _drain(cloud, queue)]
    assert [(r["eventName"], r["eventVersion"]) for r in records] == [("ObjectCreated:Put", "2.1"), ("ObjectAcl:Put", "2.3")]
