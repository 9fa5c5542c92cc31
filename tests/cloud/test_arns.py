"""ARN helpers on the ARN shapes AWS really uses (function versions and aliases, FIFO queues,
stream ARNs with labels, Step Functions executions), and on what moto returns."""
from __future__ import annotations

import boto3
import pytest

from labkit.cloud.core import arns


def handler(event, context):
    return event


FUNCTION = "arn:aws:lambda:ap-northeast-2:123456789012:function:orders"


@pytest.mark.parametrize("arn", [FUNCTION, f"{FUNCTION}:7", f"{FUNCTION}:live", f"{FUNCTION}:$LATEST"])
def test_function_name_and_unqualified_arn_drop_the_qualifier(arn: str) -> None:
    assert arns.function_name(arn) == "orders"
    assert arns.unqualified_function_arn(arn) == FUNCTION


@pytest.mark.parametrize("value", ["orders", "orders:live", "orders:3"])
def test_function_name_from_a_name_with_qualifier(value: str) -> None:
    assert arns.function_name(value) == "orders"


def test_parse_keeps_the_resource_whole() -> None:
    execution = "arn:aws:states:ap-northeast-2:123456789012:execution:OrderFlow:run-1"
    assert arns.parse(execution) == ("aws", "states", "ap-northeast-2", "123456789012", "execution:OrderFlow:run-1")
    assert str(arns.parse(execution)) == execution
    assert arns.build("states", "ap-northeast-2", "123456789012", "execution:OrderFlow:run-1") == execution
    china = "arn:aws-cn:sqs:cn-north-1:123456789012:jobs"
    assert arns.parse(china).partition == "aws-cn" and str(arns.parse(china)) == china


def test_stream_arns_name_their_table_and_service() -> None:
    stream = "arn:aws:dynamodb:ap-northeast-2:123456789012:table/Orders/stream/2024-05-01T00:00:00.000"
    assert arns.table_name(stream) == "Orders"
    assert arns.service(stream) == "dynamodb"
    kinesis = "arn:aws:kinesis:ap-northeast-2:123456789012:stream/clicks"
    assert arns.service(kinesis) == "kinesis"


@pytest.mark.parametrize("value", ["", "orders", "arn:aws:sqs:ap-northeast-2", "https://sqs.ap-northeast-2.amazonaws.com/1/q"])
def test_values_that_are_not_arns(value: str) -> None:
    assert arns.service(value) == ""
    with pytest.raises(ValueError):
        arns.parse(value)


@pytest.mark.parametrize("name", ["jobs", "jobs.fifo"])
def test_queue_url_and_arn_agree_with_sqs(name: str) -> None:
    from labkit.cloud import local_cloud

    with local_cloud() as cloud:
        sqs = boto3.client("sqs")
        attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        assert arns.queue_url(arn) == url
        assert arns.queue_arn(url) == arn
        assert arns.queue_name(arn) == name
        fn_arn = cloud.deploy(handler, name="orders").arn
        assert arns.function_name(fn_arn) == "orders"


def test_queue_arn_rejects_a_url_that_is_not_a_queue() -> None:
    with pytest.raises(ValueError, match="SQS queue URL"):
        arns.queue_arn("https://example.com/orders")
