"""Lambda event filtering (FilterCriteria) on SQS, DynamoDB Streams and Kinesis mappings."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError

from labkit.cloud import LocalCloud
from labkit.cloud.core.patterns import pattern_matches
from labkit.cloud.eventsources.filtering import record_matches

RECORDER = """
import json
def handler(event, context):
    print("SEEN " + json.dumps(event))
"""


def _criteria(*patterns: dict) -> dict:
    return {"Filters": [{"Pattern": json.dumps(p)} for p in patterns]}


def _seen(cloud: LocalCloud, name: str) -> list[dict]:
    return [json.loads(line[5:]) for line in cloud.logs(name) if line.startswith("SEEN ")]


# ---------------------------------------------------------------- the matcher


def _sqs(body: str) -> dict:
    return {"messageId": "m", "body": body, "attributes": {"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"}


@pytest.mark.parametrize(
    ("rule", "body", "expected"),
    [
        ([{"prefix": "ord-"}], {"id": "ord-1"}, True),
        ([{"prefix": "ord-"}], {"id": "inv-1"}, False),
        ([{"suffix": ".jpg"}], {"id": "a.jpg"}, True),
        ([{"suffix": ".jpg"}], {"id": "a.png"}, False),
        ([{"anything-but": ["x", "y"]}], {"id": "z"}, True),
        ([{"anything-but": ["x", "y"]}], {"id": "x"}, False),
        ([{"anything-but": {"prefix": "test-"}}], {"id": "test-1"}, False),
        ([{"anything-but": {"prefix": "test-"}}], {"id": "prod-1"}, True),
        ([{"numeric": [">", 10, "<=", 20]}], {"id": 20}, True),
        ([{"numeric": [">", 10, "<=", 20]}], {"id": 21}, False),
        ([{"numeric": [">", 10]}], {"id": "15"}, False),  # numeric matches numbers, not strings
        ([{"exists": True}], {"id": None}, True),
        ([{"exists": True}], {"other": 1}, False),
        ([{"exists": False}], {"other": 1}, True),
        ([{"exists": False}], {"id": 1}, False),
        ([{"equals-ignore-case": "PAID"}], {"id": "paid"}, True),
        ([{"equals-ignore-case": "PAID"}], {"id": "paidx"}, False),
        ([None], {"id": None}, True),
        ([None], {"id": "x"}, False),
        ([""], {"id": ""}, True),
        (["a"], {"id": ["b", "a"]}, True),  # an array matches if any element does
        (["a"], {"id": ["b", "c"]}, False),
    ],
)
def test_filter_operators(rule: list, body: dict, expected: bool) -> None:
    patterns = [{"body": {"id": rule}}]
    assert record_matches(patterns, _sqs(json.dumps(body)), "sqs") is expected


def test_or_inside_a_pattern_and_between_filters() -> None:
    either = [{"body": {"$or": [{"kind": ["a"]}, {"size": [{"numeric": [">", 100]}]}]}}]
    assert record_matches(either, _sqs('{"kind": "a", "size": 1}'), "sqs")
    assert record_matches(either, _sqs('{"kind": "b", "size": 500}'), "sqs")
    assert not record_matches(either, _sqs('{"kind": "b", "size": 5}'), "sqs")
    two_filters = [{"body": {"kind": ["a"]}}, {"body": {"kind": ["b"]}}]  # Filters are ORed
    assert record_matches(two_filters, _sqs('{"kind": "b"}'), "sqs")
    assert not record_matches(two_filters, _sqs('{"kind": "c"}'), "sqs")


def test_fields_inside_arrays_of_objects_match_as_in_eventbridge() -> None:
    pattern = {"body": {"items": {"sku": ["A-1"]}}}
    assert record_matches([pattern], _sqs('{"items": [{"sku": "B-2"}, {"sku": "A-1"}]}'), "sqs")
    assert not record_matches([pattern], _sqs('{"items": [{"sku": "B-2"}]}'), "sqs")
    # the same flattening serves EventBridge rules
    assert pattern_matches({"detail": {"items": {"sku": ["A-1"]}}}, {"detail": {"items": [{"sku": "A-1"}]}})


def test_sqs_body_format_must_match_the_pattern_format() -> None:
    json_pattern = [{"body": {"kind": ["a"]}}]
    string_pattern = [{"body": [{"prefix": "order"}]}]
    assert record_matches(json_pattern, _sqs('{"kind": "a"}'), "sqs")
    assert not record_matches(json_pattern, _sqs("kind a"), "sqs")  # JSON pattern, plain body: dropped
    assert record_matches(string_pattern, _sqs("order-1"), "sqs")
    assert not record_matches(string_pattern, _sqs("invoice-1"), "sqs")
    assert not record_matches([{"body": ['{"kind": "a"}']}], _sqs('{"kind": "a"}'), "sqs")  # JSON body, string pattern
    # a pattern without body filters on the record's other fields only, whatever the body
    assert record_matches([{"attributes": {"ApproximateReceiveCount": ["1"]}}], _sqs("not json"), "sqs")


def test_kinesis_data_is_decoded_and_metadata_is_at_the_top_level() -> None:
    def record(data: bytes, key: str = "user-1") -> dict:
        return {"kinesis": {"partitionKey": key, "data": base64.b64encode(data).decode()}, "eventSource": "aws:kinesis"}

    pattern = {"partitionKey": ["user-1"], "data": {"status": ["ERROR"]}}
    assert record_matches([pattern], record(b'{"status": "ERROR"}'), "kinesis")
    assert not record_matches([pattern], record(b'{"status": "OK"}'), "kinesis")
    assert not record_matches([pattern], record(b'{"status": "ERROR"}', key="user-2"), "kinesis")
    assert not record_matches([pattern], record(b"ERROR"), "kinesis")  # not JSON: dropped
    absent = {"data": {"status": [{"exists": False}]}}
    assert record_matches([absent], record(b'{"other": 1}'), "kinesis")
    assert not record_matches([absent], record(b"ERROR"), "kinesis")  # dropped even for exists: false
    assert record_matches([{"partitionKey": ["user-1"]}], record(b"ERROR"), "kinesis")


# ---------------------------------------------------------------- SQS mappings


def _queue(cloud: LocalCloud, code_dir, **mapping) -> str:
    sqs, lam = cloud.client("sqs"), cloud.client("lambda")
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    cloud.deploy(code_dir(app=RECORDER), name="worker")
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker", **mapping)
    return url


def _count(cloud: LocalCloud, url: str) -> int:
    attrs = cloud.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_sqs_delivers_matching_messages_and_deletes_the_others(cloud: LocalCloud, code_dir) -> None:
    url = _queue(cloud, code_dir, BatchSize=10, FilterCriteria=_criteria({"body": {"kind": ["order"]}}))
    sqs = cloud.client("sqs")
    ids = {}
    for body in ['{"kind": "order", "n": 1}', '{"kind": "refund"}', "plain text", '{"kind": "order", "n": 2}']:
        ids[body] = sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"]
    cloud.run_until_idle()
    (event,) = _seen(cloud, "worker")
    assert [r["body"] for r in event["Records"]] == ['{"kind": "order", "n": 1}', '{"kind": "order", "n": 2}']
    assert sorted(cloud.sqs_poller.filtered_ids) == sorted([ids['{"kind": "refund"}'], ids["plain text"]])
    assert _count(cloud, url) == 0  # the filtered messages were deleted, not left in flight
    cloud.clock.advance(31)  # past the visibility timeout: nothing comes back
    cloud.run_until_idle()
    assert len(_seen(cloud, "worker")) == 1


def test_sqs_without_a_match_never_invokes(cloud: LocalCloud, code_dir) -> None:
    url = _queue(cloud, code_dir, FilterCriteria=_criteria({"body": [{"prefix": "urgent:"}]}))
    cloud.client("sqs").send_message(QueueUrl=url, MessageBody="later: tidy up")
    cloud.run_until_idle()
    assert _seen(cloud, "worker") == [] and _count(cloud, url) == 0
    cloud.client("sqs").send_message(QueueUrl=url, MessageBody="urgent: fix")
    cloud.run_until_idle()
    assert [r["body"] for r in _seen(cloud, "worker")[0]["Records"]] == ["urgent: fix"]


def test_update_mapping_changes_and_removes_filters(cloud: LocalCloud, code_dir) -> None:
    url = _queue(cloud, code_dir, FilterCriteria=_criteria({"body": {"kind": ["a"]}}))
    lam, sqs = cloud.client("lambda"), cloud.client("sqs")
    (mapping,) = lam.list_event_source_mappings(FunctionName="worker")["EventSourceMappings"]
    lam.update_event_source_mapping(UUID=mapping["UUID"], FilterCriteria=_criteria({"body": {"kind": ["b"]}}))
    sqs.send_message(QueueUrl=url, MessageBody='{"kind": "a"}')
    sqs.send_message(QueueUrl=url, MessageBody='{"kind": "b"}')
    cloud.run_until_idle()
    assert [r["body"] for e in _seen(cloud, "worker") for r in e["Records"]] == ['{"kind": "b"}']
    with pytest.raises(ClientError, match="5개까지"):
        lam.update_event_source_mapping(UUID=mapping["UUID"], FilterCriteria=_criteria(*[{"body": {"n": [i]}} for i in range(6)]))
    lam.update_event_source_mapping(UUID=mapping["UUID"], FilterCriteria={})
    sqs.send_message(QueueUrl=url, MessageBody="anything")
    cloud.run_until_idle()
    assert [r["body"] for e in _seen(cloud, "worker") for r in e["Records"]][-1] == "anything"


@pytest.mark.parametrize(
    ("criteria", "reason"),
    [
        (_criteria(*[{"body": {"n": [i]}} for i in range(6)]), "5개까지"),
        ({"Filters": [{"Pattern": "{not json"}]}, "JSON이 아닙니다"),
        ({"Filters": [{"Pattern": '["body"]'}]}, "JSON 객체"),
        ({"Filters": [{"Pattern": '{"body": "x"}'}]}, "올바른 이벤트 패턴"),
        ({"Filters": [{"Pattern": json.dumps({"body": {"k": ["x" * 4100]}})}]}, "4096자"),
    ],
)
def test_invalid_filter_criteria_are_rejected_in_korean(cloud: LocalCloud, code_dir, criteria: dict, reason: str) -> None:
    with pytest.raises(ClientError) as caught:
        _queue(cloud, code_dir, FilterCriteria=criteria)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert reason in caught.value.response["Error"]["Message"]
    assert cloud.client("lambda").list_event_source_mappings()["EventSourceMappings"] == []


# ---------------------------------------------------------------- stream mappings


def _table(cloud: LocalCloud) -> str:
    return cloud.client("dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]


def _stream_map(cloud: LocalCloud, arn: str, **options) -> str:
    return cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", StartingPosition="TRIM_HORIZON", **options
    )["UUID"]


def test_dynamodb_filter_on_new_image_skips_and_checkpoints(cloud: LocalCloud, code_dir) -> None:
    arn = _table(cloud)
    cloud.deploy(code_dir(app=RECORDER), name="worker")
    pattern = {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"state": {"S": ["paid"]}}}}
    uuid = _stream_map(cloud, arn, FilterCriteria=_criteria(pattern))
    ddb = cloud.client("dynamodb")
    ddb.put_item(TableName="orders", Item={"pk": {"S": "o-1"}, "state": {"S": "new"}})  # seq 1: skipped
    ddb.put_item(TableName="orders", Item={"pk": {"S": "o-1"}, "state": {"S": "paid"}})  # seq 2: delivered
    ddb.put_item(TableName="orders", Item={"pk": {"S": "o-2"}, "state": {"S": "new"}})  # seq 3: skipped
    ddb.delete_item(TableName="orders", Key={"pk": {"S": "o-1"}})  # seq 4: REMOVE, skipped
    cloud.run_until_idle()
    (event,) = _seen(cloud, "worker")
    assert [(r["eventName"], r["dynamodb"]["NewImage"]["pk"]["S"]) for r in event["Records"]] == [("MODIFY", "o-1")]
    (delivery,) = cloud.stream_poller.deliveries
    (checkpoint,) = cloud.stream_poller.checkpoints(uuid).values()
    assert checkpoint > int(delivery.sequence_numbers[-1])  # moved past the skipped records after it too
    ddb.put_item(TableName="orders", Item={"pk": {"S": "o-3"}, "state": {"S": "new"}})
    cloud.run_until_idle()
    assert len(_seen(cloud, "worker")) == 1
    assert list(cloud.stream_poller.checkpoints(uuid).values())[0] > checkpoint  # skipped, still checkpointed


def test_kinesis_filter_on_decoded_data(cloud: LocalCloud, code_dir) -> None:
    kinesis = cloud.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    cloud.deploy(code_dir(app=RECORDER), name="worker")
    uuid = _stream_map(cloud, arn, FilterCriteria=_criteria({"data": {"level": ["ERROR"]}}))
    for data in [b'{"level": "INFO"}', b'{"level": "ERROR", "n": 1}', b"ERROR but not json", b'{"level": "INFO"}']:
        kinesis.put_record(StreamName="clicks", Data=data, PartitionKey="k")
    cloud.run_until_idle()
    (event,) = _seen(cloud, "worker")
    assert [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in event["Records"]] == [{"level": "ERROR", "n": 1}]
    last = kinesis.get_shard_iterator  # the checkpoint is at the last record of the shard
    shard = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["Shards"][0]
    iterator = last(StreamName="clicks", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert len(records) == 4  # the stream itself keeps every record
    assert cloud.stream_poller.checkpoints(uuid)[shard["ShardId"]] == int(records[-1]["SequenceNumber"])


def test_stream_pattern_on_data_must_be_an_object(cloud: LocalCloud, code_dir) -> None:
    arn = _table(cloud)
    cloud.deploy(code_dir(app=RECORDER), name="worker")
    with pytest.raises(ClientError) as caught:
        _stream_map(cloud, arn, FilterCriteria=_criteria({"dynamodb": ["x"]}))
    assert "JSON 객체" in caught.value.response["Error"]["Message"]
