"""Invoke API semantics: RequestResponse, Event (async retries, destinations, DLQ), DryRun, qualifiers."""

from __future__ import annotations

import json

from labkit.cloud import LocalCloud

FAILS = "def handler(event, context):\n    print('SEEN', event)\n    raise RuntimeError('always')\n"
OK = "def handler(event, context):\n    print('SEEN', event)\n    return {'ok': event}\n"


def _queue(cloud: LocalCloud, name: str) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _drain(cloud: LocalCloud, url: str) -> list[dict]:
    return cloud.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])


def test_dry_run_does_not_execute(cloud: LocalCloud, code_dir) -> None:
    cloud.deploy(code_dir(app=OK), name="dry")
    response = cloud.client("lambda").invoke(FunctionName="dry", InvocationType="DryRun", Payload=b"{}")
    assert response["StatusCode"] == 204
    assert cloud.logs("dry") == []


def test_event_is_queued_until_the_runtime_delivers_it(cloud: LocalCloud, code_dir) -> None:
    cloud.deploy(code_dir(app=OK), name="later")
    response = cloud.client("lambda").invoke(FunctionName="later", InvocationType="Event", Payload=b'{"n": 1}')
    assert response["StatusCode"] == 202 and response["Payload"].read() == b""
    assert cloud.logs("later") == []
    assert cloud.run_until_idle() == 1
    assert "SEEN {'n': 1}" in cloud.logs("later")


def test_async_failure_is_retried_twice_then_sent_to_the_failure_destination(cloud: LocalCloud, code_dir) -> None:
    url, arn = _queue(cloud, "failures")
    cloud.deploy(code_dir(app=FAILS), name="flaky")
    lam = cloud.client("lambda")
    lam.put_function_event_invoke_config(
        FunctionName="flaky", DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"order": 7}')
    started = cloud.clock.now()
    cloud.run_until_idle()
    assert cloud.logs("flaky").count("SEEN {'order': 7}") == 1  # retry waits on the clock
    cloud.run_until_idle(fast_forward=True)
    starts = [l for l in cloud.logs("flaky") if l.startswith("START")]
    assert len(starts) == 3 and len({s.split()[2] for s in starts}) == 1  # same request id
    assert 180 <= cloud.clock.now() - started < 200  # 1 min, then 2 min between attempts
    (message,) = _drain(cloud, url)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"order": 7}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "always"


def test_maximum_retry_attempts_zero_and_dead_letter_queue(cloud: LocalCloud, code_dir) -> None:
    url, arn = _queue(cloud, "dlq")
    cloud.deploy(code_dir(app=FAILS), name="once", dead_letter_arn=arn)
    lam = cloud.client("lambda")
    assert lam.get_function(FunctionName="once")["Configuration"]["DeadLetterConfig"] == {"TargetArn": arn}
    lam.put_function_event_invoke_config(FunctionName="once", MaximumRetryAttempts=0)
    result = cloud.invoke("once", {"id": 1}, invocation_type="Event")
    assert result.status_code == 202
    cloud.run_until_idle(fast_forward=True)
    assert cloud.logs("once").count("SEEN {'id': 1}") == 1
    (message,) = _drain(cloud, url)
    assert json.loads(message["Body"]) == {"id": 1}
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == "always"
    assert message["MessageAttributes"]["RequestID"]["StringValue"] == result.request_id


def test_success_destination(cloud: LocalCloud, code_dir) -> None:
    url, arn = _queue(cloud, "done")
    cloud.deploy(code_dir(app=OK), name="fine")
    cloud.client("lambda").put_function_event_invoke_config(
        FunctionName="fine", DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    cloud.invoke("fine", {"x": 1}, invocation_type="Event")
    cloud.run_until_idle()
    (message,) = _drain(cloud, url)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["responsePayload"] == {"ok": {"x": 1}}


def test_a_destination_in_another_region_gets_the_record_there(cloud: LocalCloud, code_dir) -> None:
    """The destination's ARN names its region; the record goes there, not to the cloud's region."""
    import boto3

    away = boto3.client("sqs", region_name="us-east-1")
    url = away.create_queue(QueueName="done")["QueueUrl"]
    arn = away.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    cloud.deploy(code_dir(app=OK), name="fine")
    cloud.client("lambda").put_function_event_invoke_config(
        FunctionName="fine", DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    cloud.invoke("fine", {"x": 1}, invocation_type="Event")
    cloud.run_until_idle()
    (message,) = away.receive_message(QueueUrl=url).get("Messages", [])
    assert json.loads(message["Body"])["requestContext"]["condition"] == "Success"


def test_versions_and_aliases_honour_qualifier(cloud: LocalCloud, code_dir) -> None:
    lam = cloud.client("lambda")
    cloud.deploy(code_dir(app="def handler(e, c):\n    return ['v1', c.invoked_function_arn]\n"), name="ver")
    assert lam.publish_version(FunctionName="ver")["Version"] == "1"
    lam.create_alias(FunctionName="ver", Name="live", FunctionVersion="1")
    cloud.deploy(code_dir(app="def handler(e, c):\n    return ['v2', c.invoked_function_arn]\n"), name="ver")

    def call(**kwargs: str) -> tuple[list, str]:
        response = lam.invoke(FunctionName="ver", Payload=b"{}", **kwargs)
        return json.loads(response["Payload"].read()), response["ExecutedVersion"]

    base = "arn:aws:lambda:ap-northeast-2:123456789012:function:ver"
    assert call() == (["v2", base], "$LATEST")
    assert call(Qualifier="1") == (["v1", f"{base}:1"], "1")
    assert call(Qualifier="live") == (["v1", f"{base}:live"], "1")
    assert cloud.invoke("ver", qualifier="live").result == ["v1", f"{base}:live"]
    assert cloud.invoke("ver:live").executed_version == "1"


def test_invoke_response_request_id_is_the_invocation_request_id(cloud: LocalCloud, code_dir) -> None:
    # AWS: the Invoke response's x-amzn-RequestId (boto3's ResponseMetadata.RequestId) is the
    # request id the handler sees as context.aws_request_id and the START/END/REPORT lines name.
    cloud.deploy(code_dir(app="def handler(event, context):\n    return context.aws_request_id\n"), name="ids")
    lam = cloud.client("lambda")
    for isolation in ("inprocess", "subprocess"):
        cloud.set_isolation("ids", isolation)
        response = lam.invoke(FunctionName="ids", Payload=b"{}")
        request_id = response["ResponseMetadata"]["RequestId"]
        assert json.loads(response["Payload"].read()) == request_id, isolation
        assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == request_id
        assert f"START RequestId: {request_id} Version: $LATEST" in cloud.logs("ids")
    queued = lam.invoke(FunctionName="ids", InvocationType="Event", Payload=b"{}")
    cloud.run_until_idle()
    assert f"START RequestId: {queued['ResponseMetadata']['RequestId']} Version: $LATEST" in cloud.logs("ids")
    failing = cloud.deploy(code_dir(app=FAILS), name="failing")
    response = lam.invoke(FunctionName="failing", Payload=b"{}")
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert failing.name == "failing"
