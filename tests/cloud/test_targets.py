"""The one send-to-an-ARN dispatcher (core/targets.py) and CloudContext, without a LocalCloud.

Each test builds a `CloudContext` over a plain moto mock (fake credentials, no patches), so the
services' shared parts are shown to work on their own: one test per kind of ARN, an ARN in
another region than the context's, and an SQS poller delivering a batch to a real handler.
"""
from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from labkit.cloud.core import arns
from labkit.cloud.core.context import CloudContext
from labkit.cloud.core.credentials import ACCOUNT_ID, fake_aws_environment
from labkit.cloud.core.errors import CloudUsageError
from labkit.cloud.core.targets import invocation_result, lambda_dlq_attributes

REGION = "ap-northeast-2"
OTHER = "us-east-1"


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> Iterator[CloudContext]:
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in fake_aws_environment(REGION).items():
        monkeypatch.setenv(key, value)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield CloudContext(REGION, ACCOUNT_ID)


def _queue(region: str, name: str = "q", **attributes: str) -> tuple[object, str, str]:
    sqs = boto3.client("sqs", region_name=region)
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return sqs, url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _received(sqs: object, url: str) -> list[dict]:
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],  # type: ignore[attr-defined]
                               AttributeNames=["All"]).get("Messages", [])


def test_sqs_goes_to_the_region_the_arn_names_not_the_contexts(ctx: CloudContext) -> None:
    home, home_url, _ = _queue(REGION)
    away, away_url, away_arn = _queue(OTHER)
    assert ctx.send(away_arn, "hello", attributes=lambda_dlq_attributes("req-1", "boom")) == 1
    (message,) = _received(away, away_url)
    assert message["Body"] == "hello"
    assert {k: v["StringValue"] for k, v in message["MessageAttributes"].items()} == {
        "RequestID": "req-1", "ErrorCode": "200", "ErrorMessage": "boom"
    }
    assert _received(home, home_url) == []


def test_a_fifo_queue_gets_the_group_and_deduplication_id(ctx: CloudContext) -> None:
    sqs, url, arn = _queue(REGION, "orders.fifo", FifoQueue="true")
    ctx.send(arn, "a", group_id="g1", deduplication_id="d1")
    ctx.send(arn, "again", group_id="g1", deduplication_id="d1")  # deduplicated, as SQS does
    (message,) = _received(sqs, url)
    assert (message["Body"], message["Attributes"]["MessageGroupId"]) == ("a", "g1")


def test_sns_publishes_with_subject_and_attributes(ctx: CloudContext) -> None:
    sns = boto3.client("sns", region_name=OTHER)
    topic = sns.create_topic(Name="t")["TopicArn"]
    sqs, url, queue_arn = _queue(OTHER, "fanout")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    ctx.send(topic, "body", subject="Amazon S3 Notification", attributes=lambda_dlq_attributes("r", ""))
    envelope = json.loads(_received(sqs, url)[0]["Body"])
    assert (envelope["Message"], envelope["Subject"]) == ("body", "Amazon S3 Notification")
    assert envelope["MessageAttributes"]["ErrorCode"] == {"Type": "Number", "Value": "200"}
    assert envelope["MessageAttributes"]["ErrorMessage"]["Value"] == "-"


class _Runtime:
    """Only `resolve`, which is all the Lambda kind needs (the async queue is the caller's)."""

    def resolve(self, name: str) -> str:
        return f"fn:{arns.function_name(name)}"


def test_lambda_is_an_async_invocation_of_json(ctx: CloudContext) -> None:
    queued: list[tuple] = []
    ctx.attach_runtime(_Runtime())
    ctx.attach_async_queue(lambda fn, payload, arn: queued.append((fn, payload, arn)))
    arn = arns.build("lambda", OTHER, ACCOUNT_ID, "function:worker")
    ctx.send(arn, '{"a": 1}')
    assert queued == [("fn:worker", b'{"a": 1}', arn)]
    with pytest.raises(ValueError, match="JSON이 아닙니다"):
        ctx.send(arn, "not json")
    assert len(queued) == 1


def test_an_event_bus_gets_a_put_events_entry(ctx: CloudContext) -> None:
    events = boto3.client("events", region_name=OTHER)
    _, url, queue_arn = _queue(OTHER, "seen")
    events.put_rule(Name="all", EventPattern=json.dumps({"source": ["lambda"]}))
    events.put_targets(Rule="all", Targets=[{"Id": "q", "Arn": queue_arn}])
    bus = arns.build("events", OTHER, ACCOUNT_ID, "event-bus/default")
    fn = arns.build("lambda", REGION, ACCOUNT_ID, "function:f")
    ctx.send(bus, json.dumps({"k": "v"}), **invocation_result(False, fn))
    (message,) = _received(boto3.client("sqs", region_name=OTHER), url)
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"], event["detail"], event["resources"]) == (
        "lambda", "Lambda Function Invocation Result - Failure", {"k": "v"}, [fn]
    )


def test_a_rule_arn_goes_to_the_registered_rule_handler(ctx: CloudContext) -> None:
    rule = arns.build("events", REGION, ACCOUNT_ID, "rule/nightly")
    with pytest.raises(CloudUsageError, match="EventBridge"):
        ctx.send(rule, "{}")
    fired: list[tuple[str, dict]] = []
    ctx.targets.on_rule(lambda arn, event: fired.append((arn, event)) or 3)
    assert ctx.send(rule, '{"id": "1"}') == 3
    assert fired == [(rule, {"id": "1"})]


def test_kinesis_gets_the_record_with_its_partition_key(ctx: CloudContext) -> None:
    kinesis = boto3.client("kinesis", region_name=OTHER)
    kinesis.create_stream(StreamName="s", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="s")["StreamDescription"]["StreamARN"]
    ctx.send(arn, "payload", partition_key="pk-7")
    shard = kinesis.describe_stream(StreamName="s")["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    (record,) = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert (record["Data"], record["PartitionKey"]) == (b"payload", "pk-7")


def test_step_functions_starts_an_execution_with_the_body_as_input(ctx: CloudContext) -> None:
    sfn = boto3.client("stepfunctions", region_name=OTHER)
    iam = boto3.client("iam", region_name=OTHER)
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=role)["stateMachineArn"]
    ctx.send(machine, '{"order": 1}')
    (execution,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"]) == {"order": 1}


def test_an_arn_no_target_can_be_is_refused_in_korean(ctx: CloudContext) -> None:
    for target in ("arn:aws:dynamodb:ap-northeast-2:123456789012:table/T", "my-queue"):
        with pytest.raises(CloudUsageError, match="보낼 수 없는 대상입니다"):
            ctx.send(target, "{}")


def test_the_runtime_is_asked_for_before_it_exists(ctx: CloudContext) -> None:
    with pytest.raises(CloudUsageError, match=r"cloud\.start\(\)"):
        ctx.runtime
    with pytest.raises(CloudUsageError, match="대기열"):
        ctx.async_invoke("f", b"{}")


def test_an_sqs_poller_delivers_a_batch_on_a_bare_context(ctx: CloudContext, tmp_path) -> None:
    """SqsPoller built on a CloudContext and a real LambdaRuntime: the handler runs, the batch is deleted."""
    import io
    import zipfile

    from labkit.cloud.awslambda import FixedKeepAlive, LambdaRuntime
    from labkit.cloud.eventsources import SqsPoller

    sqs, url, queue_arn = _queue(REGION, "jobs")
    for body in ("one", "two"):
        sqs.send_message(QueueUrl=url, MessageBody=body)  # before the mapping: moto would deliver it itself
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return [r['body'] for r in event['Records']]\n")
    lam = boto3.client("lambda", region_name=REGION)
    role = boto3.client("iam", region_name=REGION).create_role(RoleName="lr", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(FunctionName="worker", Runtime="python3.11", Role=role, Handler="app.handler", Code={"ZipFile": buffer.getvalue()})
    lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="worker", BatchSize=10)
    runtime = LambdaRuntime(ctx.clock, ctx.account_id, ctx.region, FixedKeepAlive(600.0))
    ctx.attach_runtime(runtime)
    try:
        poller = SqsPoller(ctx)
        assert poller.poll() == 1
        (delivery,) = poller.deliveries
        assert delivery.invocation is not None and delivery.invocation.result == ["one", "two"]
        assert delivery.deleted_ids == delivery.message_ids
        assert _received(sqs, url) == []
    finally:
        runtime.close()
