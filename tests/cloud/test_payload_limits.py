"""Invoke payload quotas as on AWS: 6 MB sync request and response, 1 MB async request."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labkit.cloud import LocalCloud, RequestEntityTooLargeException
from labkit.cloud.core.errors import MAX_ASYNC_REQUEST_BYTES, MAX_RESPONSE_BYTES, MAX_SYNC_REQUEST_BYTES

ECHO_SIZE = """
def handler(event, context):
    print("RAN")
    if isinstance(event, dict) and "reply" in event:
        return "x" * (event["reply"] - 2)  # JSON adds the two quotes
    return len(event)
"""


def _json_of_size(size: int) -> bytes:
    """A JSON string document of exactly `size` bytes."""
    return json.dumps("x" * (size - 2)).encode()


@pytest.fixture
def fn(cloud: LocalCloud, code_dir) -> str:
    cloud.deploy(code_dir(app=ECHO_SIZE), name="sized")
    return "sized"


def _runs(cloud: LocalCloud) -> int:
    return sum(line == "RAN" for line in cloud.logs("sized"))


def test_sync_request_limit_is_6_mb(cloud: LocalCloud, fn: str) -> None:
    lam = cloud.client("lambda")
    ok = lam.invoke(FunctionName=fn, Payload=_json_of_size(MAX_SYNC_REQUEST_BYTES))
    assert ok["StatusCode"] == 200 and "FunctionError" not in ok
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=fn, Payload=_json_of_size(MAX_SYNC_REQUEST_BYTES + 1))
    error = caught.value.response
    assert error["Error"]["Code"] == "RequestEntityTooLargeException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "6291456 bytes" in error["Error"]["Message"]
    assert _runs(cloud) == 1  # the oversized request never reached the function


def test_async_request_limit_is_1_mb(cloud: LocalCloud, fn: str) -> None:
    lam = cloud.client("lambda")
    queued = lam.invoke(FunctionName=fn, InvocationType="Event", Payload=_json_of_size(MAX_ASYNC_REQUEST_BYTES))
    assert queued["StatusCode"] == 202
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=fn, InvocationType="Event", Payload=_json_of_size(MAX_ASYNC_REQUEST_BYTES + 1))
    assert caught.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert "1048576 bytes" in caught.value.response["Error"]["Message"]
    # the same payload is fine synchronously
    assert lam.invoke(FunctionName=fn, Payload=_json_of_size(MAX_ASYNC_REQUEST_BYTES + 1))["StatusCode"] == 200
    cloud.run_until_idle()
    assert _runs(cloud) == 2  # the queued 1 MB event and the synchronous one


def test_local_invoke_raises_a_korean_error(cloud: LocalCloud, fn: str) -> None:
    with pytest.raises(RequestEntityTooLargeException) as caught:
        cloud.invoke(fn, "x" * MAX_SYNC_REQUEST_BYTES)
    assert "S3" in str(caught.value) and caught.value.limit == MAX_SYNC_REQUEST_BYTES
    with pytest.raises(RequestEntityTooLargeException, match="비동기"):
        cloud.invoke(fn, "x" * MAX_ASYNC_REQUEST_BYTES, invocation_type="Event")
    assert cloud.async_invoker.pending() == 0
    assert cloud.invoke(fn, "x" * 10, invocation_type="DryRun").status_code == 204  # DryRun sends no payload to check


def test_response_over_the_limit_is_a_function_error(cloud: LocalCloud, fn: str) -> None:
    at_limit = cloud.invoke(fn, {"reply": MAX_RESPONSE_BYTES})
    assert at_limit.ok and len(at_limit.payload) == MAX_RESPONSE_BYTES
    over = cloud.invoke(fn, {"reply": MAX_RESPONSE_BYTES + 1})
    assert over.function_error == "Unhandled"
    assert over.result == {
        "errorMessage": "Response payload size (6291557 bytes) exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
    assert over.log_lines[-1].startswith("REPORT") and not over.cold_start
    response = cloud.client("lambda").invoke(FunctionName=fn, Payload=json.dumps({"reply": 7 * 1024 * 1024}))
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "Function.ResponseSizeTooLarge"
    assert cloud.invoke(fn, {"reply": 10}).cold_start is False  # the environment is kept
