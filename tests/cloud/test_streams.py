"""DynamoDB Streams and Kinesis -> Lambda through the stream poller: shapes, order, retries."""

from __future__ import annotations

import base64
import json
import re

import pytest

from labkit.cloud import LocalCloud

from .conformance import missing_fields, sample

RECORDER = """
import json
def handler(event, context):
    print("SEEN " + json.dumps(event))
"""

# Fails while a record's value is "bad", the first FAILS times it sees it (module state survives
# between warm invocations, so the count is per instance).
FLAKY = """
import json
FAILS = {fails}
seen_bad = 0
def handler(event, context):
    global seen_bad
    print("SEEN " + json.dumps(event))
    for record in event["Records"]:
        value = record["dynamodb"].get("NewImage", {{}}).get("v", {{}}).get("S")
        if value == "bad":
            seen_bad += 1
            if FAILS < 0 or seen_bad <= FAILS:
                raise ValueError("bad record " + record["dynamodb"]["SequenceNumber"])
"""

PARTIAL_ONCE = """
import json
reported = False
def handler(event, context):
    global reported
    print("SEEN " + json.dumps(event))
    for record in event["Records"]:
        if record["dynamodb"]["NewImage"]["v"]["S"] == "bad" and not reported:
            reported = True
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}
"""

DDB_OPAQUE = frozenset({"Keys", "NewImage", "OldImage"})


def _events(cloud: LocalCloud, name: str) -> list[dict]:
    return [json.loads(line[5:]) for line in cloud.logs(name) if line.startswith("SEEN ")]


def _values(cloud: LocalCloud, name: str) -> list[list[str]]:
    """Per invocation, the `v` attribute of each record (new image, else old image)."""
    out = []
    for event in _events(cloud, name):
        batch = []
        for record in event["Records"]:
            image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
            batch.append(image.get("v", {}).get("S", "?"))
        out.append(batch)
    return out


def _table(cloud: LocalCloud, view: str = "NEW_AND_OLD_IMAGES", name: str = "orders") -> str:
    table = cloud.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )["TableDescription"]
    return table["LatestStreamArn"]


def _put(cloud: LocalCloud, pk: str, value: str, table: str = "orders") -> None:
    cloud.client("dynamodb").put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"N": "1"}, "v": {"S": value}})


def _map(cloud: LocalCloud, arn: str, fn: str, **options) -> str:
    options.setdefault("StartingPosition", "TRIM_HORIZON")
    return cloud.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=fn, **options)["UUID"]


def _kinesis(cloud: LocalCloud, shards: int = 1) -> str:
    kinesis = cloud.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=shards)
    return kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]


# ---------------------------------------------------------------- DynamoDB Streams: shapes


def test_dynamodb_records_insert_modify_remove_with_typed_images(cloud: LocalCloud, code_dir) -> None:
    from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel

    arn = _table(cloud)
    cloud.deploy(code_dir(app=RECORDER), name="audit")
    _map(cloud, arn, "audit")
    ddb = cloud.client("dynamodb")
    cloud.clock.advance(500)
    written_at = cloud.clock.now()
    _put(cloud, "o1", "new")
    ddb.update_item(
        TableName="orders", Key={"pk": {"S": "o1"}, "sk": {"N": "1"}},
        UpdateExpression="SET v = :v, n = :n", ExpressionAttributeValues={":v": {"S": "changed"}, ":n": {"N": "3"}},
    )
    ddb.delete_item(TableName="orders", Key={"pk": {"S": "o1"}, "sk": {"N": "1"}})
    assert _events(cloud, "audit") == []  # nothing is delivered inside the write
    assert cloud.run_until_idle() == 1
    (event,) = _events(cloud, "audit")
    records = event["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = (r["dynamodb"] for r in records)
    assert insert["Keys"] == {"pk": {"S": "o1"}, "sk": {"N": "1"}}
    assert insert["NewImage"] == {"pk": {"S": "o1"}, "sk": {"N": "1"}, "v": {"S": "new"}} and "OldImage" not in insert
    assert modify["OldImage"]["v"] == {"S": "new"} and modify["NewImage"]["n"] == {"N": "3"}
    assert remove["OldImage"]["v"] == {"S": "changed"} and "NewImage" not in remove
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(sequence) and len(set(sequence)) == 3
    assert all(r["awsRegion"] == "ap-northeast-2" and r["eventSourceARN"] == arn for r in records)
    assert abs(insert["ApproximateCreationDateTime"] - written_at) < 2  # on the runtime's clock
    assert all(r["dynamodb"]["SizeBytes"] > 0 for r in records)

    parsed = DynamoDBStreamModel.model_validate(event)
    assert parsed.Records[1].dynamodb.NewImage["n"] == 3  # typed attributes deserialise
    assert missing_fields(event, sample("dynamodb-stream"), opaque=DDB_OPAQUE) == []


@pytest.mark.parametrize(
    ("view", "new", "old"),
    [("KEYS_ONLY", False, False), ("NEW_IMAGE", True, False), ("OLD_IMAGE", False, True), ("NEW_AND_OLD_IMAGES", True, True)],
)
def test_stream_view_type_decides_which_images_are_sent(cloud: LocalCloud, code_dir, view, new, old) -> None:
    arn = _table(cloud, view)
    cloud.deploy(code_dir(app=RECORDER), name="audit")
    _map(cloud, arn, "audit")
    _put(cloud, "o1", "a")
    _put(cloud, "o1", "b")
    cloud.run_until_idle()
    modify = _events(cloud, "audit")[0]["Records"][1]["dynamodb"]
    assert modify["StreamViewType"] == view
    assert ("NewImage" in modify, "OldImage" in modify) == (new, old)
    assert modify["Keys"] == {"pk": {"S": "o1"}, "sk": {"N": "1"}}


def test_stream_is_not_emptied_for_direct_readers(cloud: LocalCloud, code_dir) -> None:
    arn = _table(cloud)
    cloud.deploy(code_dir(app=RECORDER), name="audit")
    _map(cloud, arn, "audit")
    for value in ["a", "b"]:
        _put(cloud, value, value)
    cloud.run_until_idle()
    streams = cloud.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "INSERT"]
    assert records[0]["awsRegion"] == "ap-northeast-2"


def test_every_mapping_on_a_stream_sees_every_record(cloud: LocalCloud, code_dir) -> None:
    arn = _table(cloud)
    for name in ["projector", "notifier"]:
        cloud.deploy(code_dir(app=RECORDER), name=name)
        _map(cloud, arn, name)
    for value in ["a", "b", "c"]:
        _put(cloud, value, value)
    cloud.run_until_idle()
    assert _values(cloud, "projector") == [["a", "b", "c"]]
    assert _values(cloud, "notifier") == [["a", "b", "c"]]


def test_latest_starts_after_the_mapping_is_created(cloud: LocalCloud, code_dir) -> None:
    arn = _table(cloud)
    _put(cloud, "old", "old")
    cloud.deploy(code_dir(app=RECORDER), name="fromstart")
    cloud.deploy(code_dir(app=RECORDER), name="fromnow")
    _map(cloud, arn, "fromstart", StartingPosition="TRIM_HORIZON")
    _map(cloud, arn, "fromnow", StartingPosition="LATEST")
    _put(cloud, "new", "new")
    cloud.run_until_idle()
    assert _values(cloud, "fromstart") == [["old", "new"]]
    assert _values(cloud, "fromnow") == [["new"]]


def test_batch_size_and_batching_window(cloud: LocalCloud, code_dir) -> None:
    arn = _table(cloud)
    cloud.deploy(code_dir(app=RECORDER), name="small")
    cloud.deploy(code_dir(app=RECORDER), name="windowed")
    _map(cloud, arn, "small", BatchSize=2)
    _map(cloud, arn, "windowed", BatchSize=10, MaximumBatchingWindowInSeconds=30)
    for value in "abcde":
        _put(cloud, value, value)
    cloud.run_until_idle()
    assert _values(cloud, "small") == [["a", "b"], ["c", "d"], ["e"]]
    assert _values(cloud, "windowed") == []  # waiting for the window to close
    cloud.clock.advance(30)
    cloud.run_until_idle()
    assert _values(cloud, "windowed") == [list("abcde")]


def test_filter_criteria_skip_records(cloud: LocalCloud, code_dir) -> None:
    arn = _table(cloud)
    cloud.deploy(code_dir(app=RECORDER), name="inserts")
    _map(cloud, arn, "inserts", FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]})
    _put(cloud, "a", "a1")
    _put(cloud, "a", "a2")  # MODIFY: filtered out
    _put(cloud, "b", "b1")
    cloud.run_until_idle()
    assert _values(cloud, "inserts") == [["a1", "b1"]]


# ---------------------------------------------------------------- DynamoDB Streams: failures


def test_function_error_blocks_the_shard_and_retries_in_order(cloud: LocalCloud, code_dir) -> None:
    arn = _table(cloud)
    cloud.deploy(code_dir(app=FLAKY.format(fails=2)), name="worker")
    _map(cloud, arn, "worker", BatchSize=1)
    for value in ["a", "bad", "c"]:
        _put(cloud, value, value)
    cloud.run_until_idle()
    assert _values(cloud, "worker") == [["a"], ["bad"]]  # "c" waits behind the failed batch
    cloud.run_until_idle(fast_forward=True)
    assert _values(cloud, "worker") == [["a"], ["bad"], ["bad"], ["bad"], ["c"]]
    outcomes = [d.outcome for d in cloud.stream_poller.deliveries]
    assert outcomes == ["ok", "error", "error", "ok", "ok"]


def test_retries_exhausted_go_to_the_on_failure_destination(cloud: LocalCloud, code_dir) -> None:
    sqs = cloud.client("sqs")
    dlq = sqs.create_queue(QueueName="stream-failures")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    arn = _table(cloud)
    cloud.deploy(code_dir(app=FLAKY.format(fails=-1)), name="worker")
    _map(cloud, arn, "worker", BatchSize=1, MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": dlq_arn}})
    for value in ["bad", "after"]:
        _put(cloud, value, value)
    cloud.run_until_idle(fast_forward=True)
    assert _values(cloud, "worker") == [["bad"], ["bad"], ["after"]]  # 1 try + 1 retry, then moves on
    (message,) = sqs.receive_message(QueueUrl=dlq).get("Messages", [])
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"]["functionError"] == "Unhandled"
    info = record["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == arn and info["shardId"].startswith("shardId-")
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert missing_fields(record, sample("dynamodb-stream-failure")) == []


def test_bisect_isolates_the_bad_record(cloud: LocalCloud, code_dir) -> None:
    arn = _table(cloud)
    cloud.deploy(code_dir(app=FLAKY.format(fails=-1)), name="worker")
    _map(cloud, arn, "worker", BatchSize=4, MaximumRetryAttempts=0, BisectBatchOnFunctionError=True)
    for value in ["a", "b", "bad", "d"]:
        _put(cloud, value, value)
    cloud.run_until_idle(fast_forward=True)
    assert _values(cloud, "worker") == [["a", "b", "bad", "d"], ["a", "b"], ["bad", "d"], ["bad"], ["d"]]
    assert [d.outcome for d in cloud.stream_poller.deliveries][-2:] == ["discarded", "ok"]


def test_report_batch_item_failures_retries_from_the_lowest_failed_record(cloud: LocalCloud, code_dir) -> None:
    arn = _table(cloud)
    cloud.deploy(code_dir(app=PARTIAL_ONCE), name="worker")
    uuid = _map(cloud, arn, "worker", BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    for value in ["a", "b", "bad", "d"]:
        _put(cloud, value, value)
    cloud.run_until_idle(fast_forward=True)
    assert _values(cloud, "worker") == [["a", "b", "bad", "d"], ["bad", "d"]]
    first = cloud.stream_poller.deliveries[0]
    assert first.outcome == "partial" and first.failed_from == first.sequence_numbers[2]
    (checkpoint,) = cloud.stream_poller.checkpoints(uuid).values()
    assert str(checkpoint) == cloud.stream_poller.deliveries[-1].sequence_numbers[-1]


def test_records_older_than_maximum_record_age_are_discarded(cloud: LocalCloud, code_dir) -> None:
    arn = _table(cloud)
    cloud.deploy(code_dir(app=FLAKY.format(fails=-1)), name="worker")
    _map(cloud, arn, "worker", BatchSize=1, MaximumRecordAgeInSeconds=60)
    _put(cloud, "bad", "bad")
    cloud.run_until_idle()
    cloud.clock.advance(61)
    _put(cloud, "fresh", "fresh")
    cloud.run_until_idle()
    discarded = [d for d in cloud.stream_poller.deliveries if d.outcome == "discarded"]
    assert [d.condition for d in discarded] == ["RecordAgeExceeded"]
    assert _values(cloud, "worker")[-1] == ["fresh"]


def test_disabled_mapping_keeps_its_checkpoint(cloud: LocalCloud, code_dir) -> None:
    arn = _table(cloud)
    cloud.deploy(code_dir(app=RECORDER), name="audit")
    uuid = _map(cloud, arn, "audit")
    lam = cloud.client("lambda")
    _put(cloud, "a", "a")
    cloud.run_until_idle()
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    _put(cloud, "b", "b")
    assert cloud.run_until_idle() == 0
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    cloud.run_until_idle()
    assert _values(cloud, "audit") == [["a"], ["b"]]
    lam.delete_event_source_mapping(UUID=uuid)
    _put(cloud, "c", "c")
    assert cloud.run_until_idle() == 0


# ---------------------------------------------------------------- Kinesis


def test_kinesis_records_base64_in_order_with_shard_event_ids(cloud: LocalCloud, code_dir) -> None:
    from aws_lambda_powertools.utilities.parser.models import KinesisDataStreamModel

    arn = _kinesis(cloud)
    cloud.deploy(code_dir(app=RECORDER), name="clicks")
    _map(cloud, arn, "clicks")
    kinesis = cloud.client("kinesis")
    sent = []
    for i in range(3):
        out = kinesis.put_record(StreamName="clicks", Data=json.dumps({"n": i}).encode(), PartitionKey="user-1")
        sent.append((out["ShardId"], out["SequenceNumber"]))
    cloud.run_until_idle()
    (event,) = _events(cloud, "clicks")
    records = event["Records"]
    assert [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in records] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert [r["eventID"] for r in records] == [f"{shard}:{seq}" for shard, seq in sent]
    assert [r["kinesis"]["sequenceNumber"] for r in records] == [seq for _, seq in sent]
    assert all(r["kinesis"]["partitionKey"] == "user-1" and r["eventSourceARN"] == arn for r in records)
    assert records[0]["invokeIdentityArn"].startswith("arn:aws:iam::123456789012:role/")
    assert abs(records[0]["kinesis"]["approximateArrivalTimestamp"] - cloud.clock.now()) < 5

    parsed = KinesisDataStreamModel.model_validate(event)
    assert parsed.Records[0].kinesis.data == b'{"n": 0}'
    assert missing_fields(event, sample("kinesis")) == []


def test_kinesis_several_consumers_and_shards(cloud: LocalCloud, code_dir) -> None:
    arn = _kinesis(cloud, shards=2)
    for name in ["first", "second"]:
        cloud.deploy(code_dir(app=RECORDER), name=name)
        _map(cloud, arn, name)  # moto alone keeps only the last mapping of a stream
    kinesis = cloud.client("kinesis")
    for i in range(8):
        kinesis.put_record(StreamName="clicks", Data=str(i).encode(), PartitionKey=f"k{i}")
    cloud.run_until_idle()
    for name in ["first", "second"]:
        events = _events(cloud, name)
        got = sorted(base64.b64decode(r["kinesis"]["data"]).decode() for e in events for r in e["Records"])
        assert got == [str(i) for i in range(8)]
        for e in events:  # one batch never mixes shards, and is in sequence order
            shard_ids = {r["eventID"].split(":")[0] for r in e["Records"]}
            assert len(shard_ids) == 1
            seqs = [int(r["kinesis"]["sequenceNumber"]) for r in e["Records"]]
            assert seqs == sorted(seqs)
    reader = kinesis.get_shard_iterator(StreamName="clicks", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")
    assert kinesis.get_records(ShardIterator=reader["ShardIterator"])["Records"]  # still there for direct readers


def test_kinesis_retry_exhausted_record_names_kinesis_batch_info(cloud: LocalCloud, code_dir) -> None:
    sns = cloud.client("sns")
    sqs = cloud.client("sqs")
    topic = sns.create_topic(Name="kinesis-failures")["TopicArn"]
    queue = sqs.create_queue(QueueName="kinesis-failures")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    arn = _kinesis(cloud)
    cloud.deploy(code_dir(app="def handler(event, context):\n    raise RuntimeError('nope')\n"), name="broken")
    _map(cloud, arn, "broken", MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": topic}})
    cloud.client("kinesis").put_record(StreamName="clicks", Data=b"x", PartitionKey="p")
    cloud.run_until_idle()
    (message,) = sqs.receive_message(QueueUrl=queue).get("Messages", [])
    info = json.loads(message["Body"])["KinesisBatchInfo"]
    assert info["shardId"] == "shardId-000000000000" and info["batchSize"] == 1 and info["streamArn"] == arn


# ---------------------------------------------------------------- values as AWS writes them

STORE_CREATION_TIME = """
import boto3
def handler(event, context):
    table = boto3.resource("dynamodb").Table("audit-log")
    for record in event["Records"]:
        print("SEEN " + repr(record["dynamodb"]["ApproximateCreationDateTime"]))
        table.put_item(Item={"pk": record["eventID"], "at": record["dynamodb"]["ApproximateCreationDateTime"]})
"""


def test_dynamodb_creation_time_is_whole_epoch_seconds_a_handler_can_store(cloud: LocalCloud, code_dir) -> None:
    # AWS sends an integer ("ApproximateCreationDateTime": 1480642020), which boto3's resource
    # layer stores as a Number; a float (1480642020.0) fails there with "Float types are not supported".
    ddb = cloud.client("dynamodb")
    ddb.create_table(
        TableName="audit-log", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )
    arn = _table(cloud)
    label = arn.split("/stream/")[1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", label), label  # AWS: milliseconds
    assert ddb.describe_table(TableName="orders")["Table"]["LatestStreamLabel"] == label
    fn = cloud.deploy(code_dir(app=STORE_CREATION_TIME), name="store")
    _map(cloud, arn, "store")
    _put(cloud, "o1", "a")
    cloud.run_until_idle()
    assert [r.ok for r in cloud.runtime.history if r.function_name == "store"] == [True], fn.logs()
    (seen,) = [line[5:] for line in fn.logs() if line.startswith("SEEN ")]
    assert re.fullmatch(r"\d{10}", seen)  # an int, not 1795563373.0
    (item,) = ddb.scan(TableName="audit-log")["Items"]
    assert re.fullmatch(r"\d{10}", item["at"]["N"])


def test_kinesis_sequence_numbers_look_like_aws_and_work_for_direct_readers(cloud: LocalCloud, code_dir) -> None:
    arn = _kinesis(cloud)
    cloud.deploy(code_dir(app=RECORDER), name="clicks")
    _map(cloud, arn, "clicks")
    kinesis = cloud.client("kinesis")
    sent = [kinesis.put_record(StreamName="clicks", Data=str(i).encode(), PartitionKey="p")["SequenceNumber"] for i in range(3)]
    assert all(re.fullmatch(r"49\d{54}", s) for s in sent), sent  # 56 digits, as AWS's
    assert [int(s) for s in sent] == sorted(int(s) for s in sent) and len(set(sent)) == 3
    cloud.run_until_idle()
    (event,) = _events(cloud, "clicks")
    assert [r["kinesis"]["sequenceNumber"] for r in event["Records"]] == sent
    shard = "shardId-000000000000"
    for kind, start, expected in [("AT_SEQUENCE_NUMBER", sent[1], sent[1:]), ("AFTER_SEQUENCE_NUMBER", sent[1], sent[2:]),
                                  ("TRIM_HORIZON", None, sent), ("LATEST", None, [])]:
        options = {"StartingSequenceNumber": start} if start else {}
        iterator = kinesis.get_shard_iterator(StreamName="clicks", ShardId=shard, ShardIteratorType=kind, **options)["ShardIterator"]
        page = kinesis.get_records(ShardIterator=iterator)
        assert [r["SequenceNumber"] for r in page["Records"]] == expected, kind
    more = kinesis.put_record(StreamName="clicks", Data=b"3", PartitionKey="p")["SequenceNumber"]
    assert [r["SequenceNumber"] for r in kinesis.get_records(ShardIterator=page["NextShardIterator"])["Records"]] == [more]


def test_on_failure_arrival_times_kinesis_in_milliseconds_dynamodb_in_seconds(cloud: LocalCloud, code_dir) -> None:
    # AWS's examples: Kinesis "2019-11-14T00:38:04.835Z", DynamoDB Streams "2019-11-14T00:13:49Z".
    sqs = cloud.client("sqs")
    queue = sqs.create_queue(QueueName="failures")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    cloud.deploy(code_dir(app="def handler(event, context):\n    raise RuntimeError('nope')\n"), name="broken")
    on_failure = {"OnFailure": {"Destination": queue_arn}}
    _map(cloud, _kinesis(cloud), "broken", MaximumRetryAttempts=0, DestinationConfig=on_failure)
    _map(cloud, _table(cloud), "broken", MaximumRetryAttempts=0, DestinationConfig=on_failure)
    cloud.client("kinesis").put_record(StreamName="clicks", Data=b"x", PartitionKey="p")
    _put(cloud, "o1", "a")
    cloud.run_until_idle(fast_forward=True)
    records = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]]
    (kinesis,) = [r["KinesisBatchInfo"] for r in records if "KinesisBatchInfo" in r]
    (ddb,) = [r["DDBStreamBatchInfo"] for r in records if "DDBStreamBatchInfo" in r]
    for key in ("approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", kinesis[key]), kinesis[key]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ddb[key]), ddb[key]
