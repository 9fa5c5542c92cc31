"""A template the offline CloudFormation cannot deploy gets one Korean message that names the
logical id, the type and the property at fault, and says how to fix it (never a bare KeyError)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from labkit.cloud import LocalCloud
from labkit.cloud.core.errors import DeployError

QUEUE = "arn:aws:sqs:ap-northeast-2:123456789012:jobs"


def _deploy_error(cloud: LocalCloud, template: dict, name: str) -> str:
    with pytest.raises(DeployError) as caught:
        cloud.deploy_stack(template, name=name)
    return str(caught.value)


def test_a_missing_property_is_named_with_its_resource_and_path(cloud: LocalCloud) -> None:
    # moto's model reads Properties["FunctionName"]: a bare KeyError before
    message = _deploy_error(cloud, {"Resources": {"Worker": {
        "Type": "AWS::Lambda::EventSourceMapping", "Properties": {"EventSourceArn": QUEUE, "BatchSize": 5}}}}, "no-function")
    assert "스택 no-function을 배포하지 못했습니다" in message
    assert "리소스 Worker(AWS::Lambda::EventSourceMapping)" in message
    assert "Properties.FunctionName" in message and "넣으십시오" in message
    assert "KeyError" not in message
    # a property inside a list: the path says which item
    message = _deploy_error(cloud, {"Resources": {"Tick": {
        "Type": "AWS::Events::Rule", "Properties": {"ScheduleExpression": "rate(1 hour)", "Targets": [{"Id": "t1"}]}}}}, "no-arn")
    assert "리소스 Tick(AWS::Events::Rule)" in message and "Properties.Targets.0.Arn" in message


def test_a_dangling_ref_and_a_wrong_type_are_named(cloud: LocalCloud) -> None:
    message = _deploy_error(cloud, {"Resources": {
        "OrdersTopic": {"Type": "AWS::SNS::Topic"},
        "Audit": {"Type": "AWS::SNS::Subscription",
                  "Properties": {"TopicArn": {"Ref": "OrderTopic"}, "Protocol": "sqs", "Endpoint": QUEUE}}}}, "dangling")
    assert "리소스 Audit(AWS::SNS::Subscription)의 속성 TopicArn" in message
    assert "OrderTopic" in message and "철자" in message
    message = _deploy_error(cloud, {"Resources": {
        "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}, "maxReceiveCount": 3}}},
        "Dlq": {"Type": "AWS::SQS::Queue", "Properties": {"Tags": "team=orders"}}}}, "wrong-type")
    # the queue that failed is the DLQ the other one refers to: the message names it, not its referrer
    assert "리소스 Dlq(AWS::SQS::Queue)" in message and "Jobs" not in message
    assert "Properties.Tags" in message and "array" in message


def test_boto3_gets_the_explanation_as_a_validation_error(cloud: LocalCloud) -> None:
    cfn = cloud.client("cloudformation")
    with pytest.raises(ClientError) as caught:
        cfn.create_stack(StackName="direct", TemplateBody='{"Resources": {"T": {"Type": "AWS::DynamoDB::Table", '
                         '"Properties": {"BillingMode": "PAY_PER_REQUEST"}}}}')
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"].startswith("리소스 T(AWS::DynamoDB::Table)") and "Properties.KeySchema" in error["Message"]
