"""The event each of the six event sources delivers, captured from the offline cloud.

The FaaS chapter (docs/faas/event-sources.md) shows these files instead of hand-written examples, so
what a learner reads is exactly what their handler receives in lab01. Each scenario builds
the source on a fresh `LocalCloud`, triggers it through the real path (an HTTP request, a
put_object, a send_message, ...) and records the event a deployed handler was given.

    python -m workshop.event_samples          # rewrite docs/faas/events/*.json

tests/site/test_faas_events.py captures them again and checks that the committed files still
have the runtime's shape, so the chapter cannot drift from the runtime.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

from labkit.cloud import LocalCloud

__all__ = ["EVENTS_DIR", "SCENARIOS", "capture", "render"]

EVENTS_DIR = Path(__file__).resolve().parent.parent / "docs" / "faas" / "events"
MARK = "EVENT "


def _recorder(event, context):  # deployed as the handler of every scenario
    print(MARK + json.dumps(event, ensure_ascii=False))
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}


def _captured(cloud: LocalCloud, name: str) -> list[dict[str, Any]]:
    return [json.loads(line[len(MARK):]) for line in cloud.logs(name) if line.startswith(MARK)]


def _deploy(cloud: LocalCloud, name: str):
    return cloud.deploy(_recorder, name=name)


def _post_user(base_url: str) -> None:
    import requests

    body = json.dumps({"name": "김서버"}, ensure_ascii=False).encode()
    requests.post(f"{base_url}/users/42?dryRun=true", data=body, headers={"Content-Type": "application/json"})


def api_rest(cloud: LocalCloud) -> dict[str, Any]:
    fn = _deploy(cloud, "users-rest")
    apig = cloud.client("apigateway")
    api = apig.create_rest_api(name="users")["id"]
    root = apig.get_resources(restApiId=api)["items"][0]["id"]
    users = apig.create_resource(restApiId=api, parentId=root, pathPart="users")
    user = apig.create_resource(restApiId=api, parentId=users["id"], pathPart="{id}")
    method = {"restApiId": api, "resourceId": user["id"], "httpMethod": "POST"}
    apig.put_method(**method, authorizationType="NONE")
    apig.put_integration(
        **method, type="AWS_PROXY", integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{fn.arn}/invocations",
    )
    apig.create_deployment(restApiId=api, stageName="prod")
    _post_user(cloud.api_url(api))
    return _captured(cloud, fn.name)[0]


def api_http(cloud: LocalCloud) -> dict[str, Any]:
    fn = _deploy(cloud, "users-http")
    v2 = cloud.client("apigatewayv2")
    api = v2.create_api(Name="users", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(
        ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn.arn, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    v2.create_route(ApiId=api, RouteKey="POST /users/{id}", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    _post_user(cloud.api_url(api))
    return _captured(cloud, fn.name)[0]


def s3(cloud: LocalCloud) -> dict[str, Any]:
    fn = _deploy(cloud, "photo-indexer")
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="lab-photos", CreateBucketConfiguration={"LocationConstraint": cloud.region})
    s3.put_bucket_notification_configuration(
        Bucket="lab-photos",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"Id": "index-photos", "LambdaFunctionArn": fn.arn, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    s3.put_object(Bucket="lab-photos", Key="사진/빨간 꽃.jpg", Body=b"not really a jpeg")
    cloud.run_until_idle()
    return _captured(cloud, fn.name)[0]


def sqs(cloud: LocalCloud) -> dict[str, Any]:
    fn = _deploy(cloud, "order-worker")
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=fn.name, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    sqs.send_message(
        QueueUrl=url,
        MessageBody=json.dumps({"orderId": "A-1", "qty": 2}),
        MessageAttributes={"channel": {"DataType": "String", "StringValue": "web"}},
    )
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"orderId": "A-2", "qty": 1}))
    cloud.run_until_idle()
    return _captured(cloud, fn.name)[0]


def dynamodb(cloud: LocalCloud) -> dict[str, Any]:
    fn = _deploy(cloud, "order-audit")
    ddb = cloud.client("dynamodb")
    table = ddb.create_table(
        TableName="orders",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=table["LatestStreamArn"], FunctionName=fn.name, StartingPosition="TRIM_HORIZON"
    )
    key = {"orderId": {"S": "A-1"}}
    ddb.put_item(TableName="orders", Item={**key, "state": {"S": "new"}, "total": {"N": "12000"}})
    ddb.update_item(
        TableName="orders", Key=key, UpdateExpression="SET #s = :paid",
        ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":paid": {"S": "paid"}},
    )
    ddb.delete_item(TableName="orders", Key=key)
    cloud.run_until_idle()
    return _captured(cloud, fn.name)[0]


def schedule(cloud: LocalCloud) -> dict[str, Any]:
    fn = _deploy(cloud, "nightly-report")
    events = cloud.client("events")
    events.put_rule(Name="every-hour", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="every-hour", Targets=[{"Id": "report", "Arn": fn.arn}])
    cloud.clock.advance(3600)
    cloud.run_until_idle()
    return _captured(cloud, fn.name)[0]


def kinesis(cloud: LocalCloud) -> dict[str, Any]:
    fn = _deploy(cloud, "click-counter")
    kinesis = cloud.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    stream = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=stream["StreamARN"], FunctionName=fn.name, StartingPosition="TRIM_HORIZON"
    )
    for user, page in [("user-1", "/home"), ("user-2", "/cart")]:
        data = json.dumps({"page": page}).encode()
        kinesis.put_record(StreamName="clicks", Data=data, PartitionKey=user)
    cloud.run_until_idle()
    return _captured(cloud, fn.name)[0]


SCENARIOS: dict[str, Callable[[LocalCloud], dict[str, Any]]] = {
    "apigateway-rest": api_rest,
    "apigateway-http": api_http,
    "s3": s3,
    "sqs": sqs,
    "dynamodb-stream": dynamodb,
    "eventbridge-schedule": schedule,
    "kinesis": kinesis,
}


def capture(name: str) -> dict[str, Any]:
    """Run one scenario on a fresh offline cloud and return the event its handler received."""
    cloud = LocalCloud()
    try:
        return SCENARIOS[name](cloud)
    finally:
        cloud.stop()


def render(event: dict[str, Any]) -> str:
    """The file form: indented, Korean kept readable rather than \\u-escaped."""
    return json.dumps(event, ensure_ascii=False, indent=2) + "\n"


def main() -> int:
    EVENTS_DIR.mkdir(parents=True, exist_ok=True)
    for name in SCENARIOS:
        path = EVENTS_DIR / f"{name}.json"
        path.write_text(render(capture(name)), encoding="utf-8")
        print(f"{path.relative_to(EVENTS_DIR.parent.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

