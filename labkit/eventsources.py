"""Wire event sources to functions on the offline cloud, and read back what the functions did.

The event-source lab (lab01) has learners write handlers; connecting each source to its
function is the same boto3 in every task, so it lives here, short and idempotent: running a
lab cell twice updates what exists instead of creating a second queue, API or mapping (a
second event source mapping would deliver every message twice).

    from labkit import eventsources as es
    es.table(cloud, "notes", "id")
    url = es.http_api(cloud, "notes", fn.arn, ["POST /notes", "GET /notes/{id}"])
    queue_url, queue_arn = es.queue(cloud, "orders", dead_letter="orders-dlq", max_receive_count=3)
    es.mapping(cloud, queue_arn, fn.name, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    es.items(cloud, "notes")        # every item, numbers as Decimal
    es.last_error(cloud, fn.name)   # "NotImplementedError: 아직 풀지 않았습니다" or None
    es.remove_function(cloud, fn.name)  # with its mappings and pending retries (a later part of a lab)

Every function takes the `LocalCloud` first and uses only public AWS APIs through it, so what a
learner reads here is what they would write against AWS.

Not to be confused with `labkit.cloud.eventsources`, the offline cloud's pollers (SqsPoller,
StreamPoller): this module creates the queues, tables and mappings; those pollers then read them
and invoke the functions, as Lambda does.
"""
from __future__ import annotations

import json
from typing import Any

from .cloud.core import arns

__all__ = [
    "table", "queue", "mapping", "http_api", "rest_api", "s3_notifications", "schedule_rule",
    "kinesis_stream", "items", "last_error", "remove_function",
]


def table(cloud: Any, name: str, hash_key: str, range_key: str | None = None, *, stream: bool = False) -> dict:
    """Create an on-demand DynamoDB table with string keys (once); return its description.

    `stream=True` turns on a NEW_AND_OLD_IMAGES stream (`LatestStreamArn` in the description).
    """
    ddb = cloud.client("dynamodb")
    try:
        return ddb.describe_table(TableName=name)["Table"]
    except ddb.exceptions.ResourceNotFoundException:
        pass
    keys = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    attrs = [{"AttributeName": hash_key, "AttributeType": "S"}]
    if range_key:
        keys.append({"AttributeName": range_key, "KeyType": "RANGE"})
        attrs.append({"AttributeName": range_key, "AttributeType": "S"})
    extra = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}
    return ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=keys,
                            AttributeDefinitions=attrs, **extra)["TableDescription"]


def queue(cloud: Any, name: str, *, dead_letter: str | None = None, max_receive_count: int = 3,
          visibility_timeout: int = 30) -> tuple[str, str]:
    """Create an SQS queue (and its dead-letter queue, with a redrive policy); return (url, arn)."""
    sqs = cloud.client("sqs")
    attributes = {"VisibilityTimeout": str(visibility_timeout)}
    if dead_letter:
        _, dlq_arn = queue(cloud, dead_letter, visibility_timeout=visibility_timeout)
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, arns.queue_arn(url)


def mapping(cloud: Any, source_arn: str, function_name: str, **options: Any) -> str:
    """Create the event source mapping from `source_arn` to the function, or update the one there is.

    `options` are CreateEventSourceMapping's (BatchSize, StartingPosition,
    FunctionResponseTypes, MaximumRetryAttempts, ...). Returns the mapping's UUID.
    """
    lam = cloud.client("lambda")
    for existing in lam.list_event_source_mappings(EventSourceArn=source_arn)["EventSourceMappings"]:
        if arns.function_name(existing["FunctionArn"]) == function_name:
            updatable = {k: v for k, v in options.items() if k not in ("StartingPosition", "StartingPositionTimestamp")}
            if updatable:
                lam.update_event_source_mapping(UUID=existing["UUID"], FunctionName=function_name, **updatable)
            return existing["UUID"]
    return lam.create_event_source_mapping(EventSourceArn=source_arn, FunctionName=function_name, **options)["UUID"]


def _routes(routes: list[str]) -> list[tuple[str, str]]:
    return [tuple(route.split(" ", 1)) for route in routes]  # "GET /notes/{id}" -> ("GET", "/notes/{id}")


def http_api(cloud: Any, name: str, function_arn: str, routes: list[str]) -> str:
    """An HTTP API (payload format 2.0) whose `routes` ("METHOD /path") go to the function; return its URL."""
    v2 = cloud.client("apigatewayv2")
    for api in v2.get_apis()["Items"]:
        if api["Name"] == name:
            return cloud.api_url(api["ApiId"])
    api_id = v2.create_api(Name=name, ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function_arn,
                                        PayloadFormatVersion="2.0")["IntegrationId"]
    for method, path in _routes(routes):
        v2.create_route(ApiId=api_id, RouteKey=f"{method} {path}", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return cloud.api_url(api_id)


def rest_api(cloud: Any, name: str, function_arn: str, routes: list[str], stage: str = "dev") -> str:
    """A REST API (Lambda proxy integration, format 1.0) serving `routes`; return its stage URL."""
    apig = cloud.client("apigateway")
    for api in apig.get_rest_apis()["items"]:
        if api["name"] == name:
            return cloud.api_url(api["id"], stage)
    api_id = apig.create_rest_api(name=name)["id"]
    resources = {"/": apig.get_resources(restApiId=api_id)["items"][0]["id"]}
    uri = arns.build("apigateway", cloud.region, "lambda", f"path/2015-03-31/functions/{function_arn}/invocations")
    for method, path in _routes(routes):
        parent = "/"
        for part in [p for p in path.split("/") if p]:
            current = parent.rstrip("/") + "/" + part
            if current not in resources:
                resources[current] = apig.create_resource(restApiId=api_id, parentId=resources[parent],
                                                          pathPart=part)["id"]
            parent = current
        target = {"restApiId": api_id, "resourceId": resources[parent], "httpMethod": method}
        apig.put_method(**target, authorizationType="NONE")
        apig.put_integration(**target, type="AWS_PROXY", integrationHttpMethod="POST", uri=uri)
    apig.create_deployment(restApiId=api_id, stageName=stage)
    return cloud.api_url(api_id, stage)


def s3_notifications(cloud: Any, bucket: str, function_arn: str, events: tuple[str, ...] = ("s3:ObjectCreated:*",)) -> None:
    """Create the bucket if needed and send its `events` to the function (replaces the bucket's configuration)."""
    s3 = cloud.client("s3")
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": cloud.region})
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": function_arn, "Events": list(events)}]})


def schedule_rule(cloud: Any, rule: str, expression: str, function_arn: str) -> str:
    """An EventBridge rule with `expression` (rate(...) or cron(...)) targeting the function; return its ARN."""
    events = cloud.client("events")
    arn = events.put_rule(Name=rule, ScheduleExpression=expression)["RuleArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "function", "Arn": function_arn}])
    return arn


def kinesis_stream(cloud: Any, name: str, shards: int = 1) -> str:
    """A Kinesis data stream (once); return its ARN."""
    kinesis = cloud.client("kinesis")
    try:
        return kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]
    except kinesis.exceptions.ResourceNotFoundException:
        kinesis.create_stream(StreamName=name, ShardCount=shards)
        return kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]


def items(cloud: Any, table_name: str) -> list[dict]:
    """Every item of a table as Python values (numbers as Decimal), read page by page."""
    import boto3

    table_ = boto3.resource("dynamodb", region_name=cloud.region).Table(table_name)
    found, kwargs = [], {}
    while True:
        page = table_.scan(**kwargs)
        found.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def remove_function(cloud: Any, function_name: str) -> None:
    """Delete a function and its event source mappings, if they exist (a cell run twice is fine).

    Pending asynchronous invocations and their retries go with it, as on AWS: a later part of a
    lab does not spend its time on an earlier part's function that hangs or keeps failing.
    """
    lam = cloud.client("lambda")
    for mapping in lam.list_event_source_mappings(FunctionName=function_name)["EventSourceMappings"]:
        lam.delete_event_source_mapping(UUID=mapping["UUID"])
    try:
        lam.delete_function(FunctionName=function_name)
    except lam.exceptions.ResourceNotFoundException:
        pass


def last_error(cloud: Any, function_name: str) -> str | None:
    """The last error a function logged ("NotImplementedError: ..."), or None if it never failed.

    Checks quote it so a learner sees why a delivery did not arrive, without opening the logs.
    """
    try:
        lines = cloud.logs(function_name)
    except Exception:  # no log group yet: the function never ran
        return None
    for line in reversed(lines):
        if line.startswith("[ERROR]"):
            return line[len("[ERROR]"):].strip().splitlines()[0]
        if "Task timed out" in line:
            return line.split(" ", 2)[-1]
    return None
