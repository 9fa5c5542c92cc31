"""EventBridge rules -> Lambda and SQS targets: full event, Input/InputPath/InputTransformer, state."""

from __future__ import annotations

import json

import pytest

from labkit.cloud import LocalCloud
from labkit.cloud.events.input import json_path, transform_input

from .conformance import missing_fields, sample

RECORDER = """
import json
def handler(event, context):
    print("SEEN " + json.dumps(event))
"""

ORDER = {"orderId": "A-1", "amount": 42, "customer": {"name": "김하늘", "tier": "gold"}}


def _events(cloud: LocalCloud, name: str) -> list:
    return [json.loads(line[5:]) for line in cloud.logs(name) if line.startswith("SEEN ")]


def _queue(cloud: LocalCloud, name: str, **attributes) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _bodies(cloud: LocalCloud, url: str) -> list[str]:
    return [m["Body"] for m in cloud.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


def _rule(cloud: LocalCloud, targets: list[dict], *, name: str = "orders", pattern: dict | None = None, **kwargs) -> str:
    events = cloud.client("events")
    arn = events.put_rule(Name=name, EventPattern=json.dumps(pattern or {"source": ["shop.orders"]}), **kwargs)["RuleArn"]
    events.put_targets(Rule=name, Targets=targets, **({"EventBusName": kwargs["EventBusName"]} if "EventBusName" in kwargs else {}))
    return arn


def _put(cloud: LocalCloud, detail: dict = ORDER, *, source: str = "shop.orders", **entry) -> str:
    response = cloud.client("events").put_events(
        Entries=[{"Source": source, "DetailType": "Order Placed", "Detail": json.dumps(detail), "Resources": ["arn:aws:shop:order/A-1"], **entry}]
    )
    assert response["FailedEntryCount"] == 0
    return response["Entries"][0]["EventId"]


def test_lambda_target_gets_the_full_event(cloud: LocalCloud, code_dir) -> None:
    from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

    fn = cloud.deploy(code_dir(app=RECORDER), name="on-order")
    _rule(cloud, [{"Id": "fn", "Arn": fn.arn}])
    cloud.clock.advance(7200)
    event_id = _put(cloud)
    assert _events(cloud, "on-order") == []  # EventBridge invokes Lambda asynchronously
    cloud.run_until_idle()
    (event,) = _events(cloud, "on-order")
    assert event["time"][:13] == cloud.clock.utcnow().strftime("%Y-%m-%dT%H")  # the runtime's clock
    assert event["time"].endswith("Z") and len(event["time"]) == 20
    assert {k: v for k, v in event.items() if k != "time"} == {
        "version": "0",
        "id": event_id,
        "detail-type": "Order Placed",
        "source": "shop.orders",
        "account": "123456789012",
        "region": "ap-northeast-2",
        "resources": ["arn:aws:shop:order/A-1"],
        "detail": ORDER,
    }
    EventBridgeModel.model_validate(event)
    assert missing_fields(event, sample("eventbridge"), opaque=frozenset({"detail"})) == []


def test_input_inputpath_and_transformer_for_lambda_and_sqs(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=RECORDER), name="on-order")
    url, queue_arn = _queue(cloud, "orders")
    transformer = {
        "InputPathsMap": {"id": "$.detail.orderId", "amount": "$.detail.amount", "who": "$.detail.customer.name", "nope": "$.detail.missing"},
        "InputTemplate": '{"order": <id>, "amount": <amount>, "text": "<who> ordered <id> (<amount>)", "missing": <nope>, "rule": <aws.events.rule-name>}',
    }
    targets = []
    for kind, arn in (("fn", fn.arn), ("q", queue_arn)):
        targets += [
            {"Id": f"{kind}-input", "Arn": arn, "Input": '{"fixed": true}'},
            {"Id": f"{kind}-path", "Arn": arn, "InputPath": "$.detail.customer"},
            {"Id": f"{kind}-transform", "Arn": arn, "InputTransformer": transformer},
        ]
    _rule(cloud, targets)
    _put(cloud)
    cloud.run_until_idle()
    expected = [
        {"fixed": True},
        {"name": "김하늘", "tier": "gold"},
        {"order": "A-1", "amount": 42, "text": "김하늘 ordered A-1 (42)", "missing": None, "rule": "orders"},
    ]
    assert _events(cloud, "on-order") == expected
    bodies = _bodies(cloud, url)
    canonical = lambda value: json.dumps(value, sort_keys=True, ensure_ascii=False)  # noqa: E731
    assert sorted(canonical(json.loads(b)) for b in bodies) == sorted(canonical(e) for e in expected)
    assert '{"fixed": true}' in bodies  # the constant Input arrives as written


def test_string_template_keeps_its_quotes() -> None:
    event = {"detail": {"instance-id": "i-0123456789", "state": "RUNNING"}}
    text = transform_input('"<instance> is in state <state>"', {"instance": "$.detail.instance-id", "state": "$.detail.state"}, event, "arn", "r")
    assert text == '"i-0123456789 is in state RUNNING"'
    assert json_path({"a": [{"b": 1}]}, "$.a[0].b") == (True, 1)
    assert json_path({"a": {"x-y": 2}}, "$.a['x-y']") == (True, 2)
    assert json_path({"a": 1}, "$.b") == (False, None)


def test_disabled_rule_delivers_nothing(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=RECORDER), name="on-order")
    url, queue_arn = _queue(cloud, "orders")
    _rule(cloud, [{"Id": "fn", "Arn": fn.arn}, {"Id": "q", "Arn": queue_arn}])
    events = cloud.client("events")
    events.disable_rule(Name="orders")
    _put(cloud)
    cloud.run_until_idle()
    assert _events(cloud, "on-order") == [] and _bodies(cloud, url) == []
    events.enable_rule(Name="orders")
    _put(cloud)
    cloud.run_until_idle()
    assert len(_events(cloud, "on-order")) == 1 and len(_bodies(cloud, url)) == 1


def test_rule_created_disabled_and_non_matching_events(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=RECORDER), name="on-order")
    _rule(cloud, [{"Id": "fn", "Arn": fn.arn}], State="DISABLED")
    _rule(cloud, [{"Id": "fn", "Arn": fn.arn}], name="big", pattern={"source": ["shop.orders"], "detail": {"amount": [{"numeric": [">", 100]}]}})
    _put(cloud)
    _put(cloud, source="other.app")
    cloud.run_until_idle()
    assert _events(cloud, "on-order") == []


def test_schedule_only_rules_do_not_match_events(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=RECORDER), name="nightly")
    events = cloud.client("events")
    events.put_rule(Name="nightly", ScheduleExpression="cron(0 3 * * ? *)")
    events.put_targets(Rule="nightly", Targets=[{"Id": "fn", "Arn": fn.arn}])
    _put(cloud)
    cloud.run_until_idle()
    assert _events(cloud, "nightly") == []


def test_custom_bus_rules_see_only_their_bus(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=RECORDER), name="on-order")
    cloud.client("events").create_event_bus(Name="shop")
    _rule(cloud, [{"Id": "fn", "Arn": fn.arn}], name="on-shop-bus", EventBusName="shop")
    _put(cloud)  # default bus: no rule there
    _put(cloud, EventBusName="shop")
    cloud.run_until_idle()
    assert len(_events(cloud, "on-order")) == 1


def test_fifo_queue_target_uses_group_and_event_id(cloud: LocalCloud) -> None:
    url, arn = _queue(cloud, "orders.fifo", FifoQueue="true")
    _rule(cloud, [{"Id": "q", "Arn": arn, "SqsParameters": {"MessageGroupId": "orders"}}])
    event_id = _put(cloud)
    messages = cloud.client("sqs").receive_message(QueueUrl=url, AttributeNames=["All"]).get("Messages", [])
    (message,) = messages
    assert message["Attributes"]["MessageGroupId"] == "orders"
    assert message["Attributes"]["MessageDeduplicationId"] == event_id


def test_unreachable_target_goes_to_the_target_dlq(cloud: LocalCloud) -> None:
    dlq, dlq_arn = _queue(cloud, "rule-dlq")
    gone = f"arn:aws:lambda:{cloud.region}:{cloud.account_id}:function:deleted"
    _rule(cloud, [{"Id": "gone", "Arn": gone, "DeadLetterConfig": {"Arn": dlq_arn}}])
    event_id = _put(cloud)
    messages = cloud.client("sqs").receive_message(QueueUrl=dlq, MessageAttributeNames=["All"]).get("Messages", [])
    (message,) = messages
    assert json.loads(message["Body"])["id"] == event_id
    assert message["MessageAttributes"]["TARGET_ARN"]["StringValue"] == gone
    assert cloud.eventbridge.failures[0].target_arn == gone


def test_unreachable_target_without_dlq_warns(cloud: LocalCloud) -> None:
    _rule(cloud, [{"Id": "gone", "Arn": f"arn:aws:lambda:{cloud.region}:{cloud.account_id}:function:deleted"}])
    with pytest.warns(UserWarning, match="EventBridge 규칙 orders"):
        _put(cloud)


def test_s3_events_reach_eventbridge_in_s3s_shape(cloud: LocalCloud, code_dir) -> None:
    from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel

    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="lab-uploads", CreateBucketConfiguration={"LocationConstraint": cloud.region})
    s3.put_bucket_versioning(Bucket="lab-uploads", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(Bucket="lab-uploads", NotificationConfiguration={"EventBridgeConfiguration": {}})
    fn = cloud.deploy(code_dir(app=RECORDER), name="on-upload")
    _rule(cloud, [{"Id": "fn", "Arn": fn.arn}], name="uploads", pattern={"source": ["aws.s3"], "detail-type": ["Object Created"]})
    put = s3.put_object(Bucket="lab-uploads", Key="in/a b.txt", Body=b"hello")
    cloud.run_until_idle()
    (event,) = _events(cloud, "on-upload")
    assert event["source"] == "aws.s3" and event["resources"] == ["arn:aws:s3:::lab-uploads"]
    obj = event["detail"]["object"]
    assert obj["key"] == "in/a b.txt"  # EventBridge events carry the key unencoded
    assert obj["etag"] == put["ETag"].strip('"') and obj["version-id"] == put["VersionId"]
    assert event["detail"]["reason"] == "PutObject"
    S3EventNotificationEventBridgeModel.model_validate(event)
    assert missing_fields(event, sample("s3-eventbridge")) == []


def test_step_functions_and_kinesis_targets(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name="on-order", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r")["stateMachineArn"]
    kinesis = cloud.client("kinesis")
    kinesis.create_stream(StreamName="orders", ShardCount=1)
    stream_arn = kinesis.describe_stream(StreamName="orders")["StreamDescription"]["StreamARN"]
    _rule(cloud, [
        {"Id": "sfn", "Arn": machine, "InputPath": "$.detail"},
        {"Id": "kin", "Arn": stream_arn, "KinesisParameters": {"PartitionKeyPath": "$.detail.orderId"}},
    ])
    _put(cloud)
    (execution,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    history = cloud.wait_execution(execution["executionArn"])
    assert history.succeeded and history.output == ORDER
    iterator = kinesis.get_shard_iterator(StreamName="orders", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    (record,) = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert record["PartitionKey"] == "A-1" and json.loads(record["Data"])["detail"] == ORDER
