"""What the real Serverless Framework (osls, from npm) packages deploys and runs on the local cloud.

test_cloudformation.py pins the deployment mechanics on a template written by hand; here the
template and the ZIP come from `osls package` itself, run offline on a service that uses the
event sources the course teaches, so a framework upgrade that changes its output shows up here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from labkit.cloud import LocalCloud

from .conftest import osls_package

SERVERLESS_YML = """\
service: users-svc
frameworkVersion: "3"
provider:
  name: aws
  runtime: python3.12
  region: ap-northeast-2
  stage: ${opt:stage, 'dev'}
  environment:
    TABLE: ${self:service}-${sls:stage}-users
functions:
  getUser:
    handler: app.get_user
    events:
      - http:
          path: "/users/{id}"
          method: get
  worker:
    handler: app.work
    reservedConcurrency: 2
    events:
      - sqs:
          arn: !GetAtt JobsQueue.Arn
          batchSize: 5
          functionResponseType: ReportBatchItemFailures
  tick:
    handler: app.tick
    events:
      - schedule: rate(1 hour)
resources:
  Resources:
    JobsQueue:
      Type: AWS::SQS::Queue
      Properties:
        VisibilityTimeout: 60
        RedrivePolicy:
          deadLetterTargetArn: !GetAtt JobsDlq.Arn
          maxReceiveCount: 3
    JobsDlq:
      Type: AWS::SQS::Queue
    UsersTable:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: ${self:provider.environment.TABLE}
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
"""

APP = """\
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def get_user(event, context):
    user_id = event["pathParameters"]["id"]
    item = table.get_item(Key={"id": user_id}).get("Item")
    if item is None:
        return {"statusCode": 404, "body": json.dumps({"message": "없는 사용자입니다."}, ensure_ascii=False)}
    return {"statusCode": 200, "body": json.dumps(item, ensure_ascii=False)}


def work(event, context):
    failures = []
    for record in event["Records"]:
        job = json.loads(record["body"])
        if job.get("poison"):
            failures.append({"itemIdentifier": record["messageId"]})
        else:
            table.put_item(Item={"id": job["id"], "name": job["name"]})
    return {"batchItemFailures": failures}


def tick(event, context):
    print("tick", event["time"])
"""


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return osls_package(tmp_path_factory, "users-svc", {"serverless.yml": SERVERLESS_YML, "app.py": APP}).folder


@pytest.fixture
def stack(cloud: LocalCloud, packaged: Path):
    return cloud.deploy_stack(packaged / "cloudformation-template-update-stack.json",
                              name="users-svc-dev", artifacts=packaged)


def test_the_packaged_service_deploys_with_nothing_skipped(stack) -> None:
    assert stack.status == "CREATE_COMPLETE"
    assert stack.skipped == []
    assert {"GetUserLambdaFunction", "WorkerEventSourceMappingSQSJobsQueue", "TickEventsRuleSchedule1",
            "ApiGatewayRestApi", "UsersTable"} <= set(stack.resources)


def test_qualified_arn_outputs_are_version_arns(stack) -> None:
    arn = stack.outputs["GetUserLambdaFunctionQualifiedArn"]
    assert arn == f"arn:aws:lambda:ap-northeast-2:123456789012:function:{stack['GetUserLambdaFunction']}:1"


def test_http_event_reaches_the_handler_with_the_stage_environment(cloud: LocalCloud, stack) -> None:
    cloud.client("dynamodb").put_item(TableName="users-svc-dev-users",
                                      Item={"id": {"S": "42"}, "name": {"S": "김서버"}})
    url = stack.outputs["ServiceEndpoint"]
    assert url.endswith("/dev")
    assert requests.get(f"{url}/users/42").json() == {"id": "42", "name": "김서버"}
    missing = requests.get(f"{url}/users/7")
    assert missing.status_code == 404 and missing.json() == {"message": "없는 사용자입니다."}


def test_sqs_event_keeps_batch_size_partial_failures_and_redrive(cloud: LocalCloud, stack) -> None:
    sqs = cloud.client("sqs")
    url = stack["JobsQueue"]
    for n in range(6):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": f"u-{n}", "name": f"n{n}"}))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"poison": True}))
    cloud.run_until_idle(fast_forward=True)
    sizes = [len(d.message_ids) for d in cloud.sqs_poller.deliveries]
    assert max(sizes) <= 5  # batchSize: 5
    items = cloud.client("dynamodb").scan(TableName="users-svc-dev-users")["Items"]
    assert sorted(i["id"]["S"] for i in items) == [f"u-{n}" for n in range(6)]
    dlq = sqs.receive_message(QueueUrl=stack["JobsDlq"], AttributeNames=["All"])["Messages"]
    assert [json.loads(m["Body"]) for m in dlq] == [{"poison": True}]
    poison_deliveries = [d for d in cloud.sqs_poller.deliveries if d.failed_ids]
    assert len(poison_deliveries) == 3  # maxReceiveCount: 3, then SQS moves it to the DLQ
    concurrency = cloud.client("lambda").get_function_concurrency(FunctionName=stack["WorkerLambdaFunction"])
    assert concurrency["ReservedConcurrentExecutions"] == 2


def test_schedule_event_fires_on_the_clock(cloud: LocalCloud, stack) -> None:
    name = stack["TickLambdaFunction"]
    cloud.run_until_idle()
    assert not [line for line in cloud.logs(name) if line.startswith("tick")]
    cloud.clock.advance(3 * 3600)
    cloud.run_until_idle()
    assert len([line for line in cloud.logs(name) if line.startswith("tick")]) == 3


def test_the_template_is_osls_output_not_a_copy(packaged: Path) -> None:
    """The fixture really ran the framework: its state file names the service and stage."""
    state = json.loads((packaged / "serverless-state.json").read_text())
    assert state["service"]["service"] == "users-svc"
    assert state["service"]["provider"]["stage"] == "dev"
    assert (packaged / "users-svc.zip").stat().st_size > 0
