"""`cloud.serve_api`: the HTTP transport in front of API Gateway, tested over real sockets.

What a browser, curl or `requests` may send: bodies with Content-Length or chunked, several
requests on one connection object, Korean paths, large and binary bodies (API Gateway's 10 MB
quota answered 413).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
from urllib.parse import urlsplit

import pytest
import requests

from labkit.cloud import LocalCloud

DIGEST = """
import base64, hashlib, json
def handler(event, context):
    raw = event.get("body") or ""
    data = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    print("SEEN", len(data))
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps({
        "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "b64": event.get("isBase64Encoded"),
        "path": event.get("rawPath") or event.get("path"), "params": event.get("pathParameters"),
        "transfer_encoding": headers.get("transfer-encoding"), "content_length": headers.get("content-length"),
    })}
"""


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _calls(cloud: LocalCloud) -> int:
    return sum(1 for line in cloud.logs("digest") if line.startswith("SEEN "))


@pytest.fixture
def rest(cloud: LocalCloud, code_dir) -> str:
    """A REST API with ANY /items/{id} and ANY /{proxy+} -> the digest function, served at stage dev."""
    fn = cloud.deploy(code_dir(app=DIGEST), name="digest")
    apig = cloud.client("apigateway")
    api = apig.create_rest_api(name="upload", binaryMediaTypes=["application/octet-stream"])["id"]
    root = apig.get_resources(restApiId=api)["items"][0]["id"]
    items = apig.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
    item = apig.create_resource(restApiId=api, parentId=items, pathPart="{id}")["id"]
    proxy = apig.create_resource(restApiId=api, parentId=root, pathPart="{proxy+}")["id"]
    uri = f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{fn.arn}/invocations"
    for resource in (item, proxy):
        apig.put_method(restApiId=api, resourceId=resource, httpMethod="ANY", authorizationType="NONE")
        apig.put_integration(restApiId=api, resourceId=resource, httpMethod="ANY", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri)
    apig.create_deployment(restApiId=api, stageName="dev")
    return cloud.serve_api(api)


@pytest.fixture
def http_api(cloud: LocalCloud, code_dir) -> str:
    """An HTTP API whose $default route proxies to the digest function (payload 2.0)."""
    fn = cloud.deploy(code_dir(app=DIGEST), name="digest")
    v2 = cloud.client("apigatewayv2")
    api = v2.create_api(Name="upload", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn.arn, PayloadFormatVersion="2.0")["IntegrationId"]
    v2.create_route(ApiId=api, RouteKey="ANY /items/{id}", Target=f"integrations/{integration}")
    v2.create_route(ApiId=api, RouteKey="$default", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    return cloud.serve_api(api)


def test_a_chunked_body_from_a_generator_arrives_whole(cloud: LocalCloud, rest: str, http_api: str) -> None:
    parts = [b"first,", "둘째,".encode(), b"x" * 70_000, b"last"]
    whole = b"".join(parts)
    for base in (rest, http_api):
        response = requests.post(f"{base}/upload", data=iter(parts), headers={"Content-Type": "text/plain"})
        assert response.request.headers.get("Transfer-Encoding") == "chunked"  # what was sent
        assert response.status_code == 200
        seen = response.json()
        assert seen["size"] == len(whole) and seen["sha256"] == _digest(whole), base
        # API Gateway reads the whole body first: the function sees no chunked framing; an HTTP
        # API passes the length on (a REST API drops Content-Length from every request).
        assert seen["transfer_encoding"] is None
        assert seen["content_length"] == (None if base == rest else str(len(whole)))


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_upload_from_stdin_arrives_whole(cloud: LocalCloud, http_api: str) -> None:
    data = os.urandom(200_000)
    done = subprocess.run(
        ["curl", "-sS", "--noproxy", "*", "-T", "-", "-H", "Content-Type: application/octet-stream", f"{http_api}/upload"],
        input=data, capture_output=True, timeout=60, check=True,
    )
    seen = json.loads(done.stdout)
    assert seen["size"] == len(data) and seen["sha256"] == _digest(data) and seen["b64"] is True


def test_several_requests_on_one_connection_each_get_their_own_answer(cloud: LocalCloud, rest: str) -> None:
    base = urlsplit(rest)
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
    try:
        bodies = [b"chunk-one " * 1000, b"", b"plain with a length", "청크 둘".encode() * 500]
        for i, body in enumerate(bodies):
            if i % 2 == 0:  # chunked, then a GET, then Content-Length, then chunked again
                conn.request("POST", f"{base.path}/n{i}", body=iter([body[:7], body[7:]]), encode_chunked=True,
                             headers={"Content-Type": "text/plain"})
            elif body:
                conn.request("POST", f"{base.path}/n{i}", body=body, headers={"Content-Type": "text/plain"})
            else:
                conn.request("GET", f"{base.path}/n{i}")
            response = conn.getresponse()
            seen = json.loads(response.read())
            assert response.status == 200, seen
            assert (seen["path"], seen["size"], seen["sha256"]) == (f"/n{i}", len(body), _digest(body))
    finally:
        conn.close()
    assert _calls(cloud) == len(bodies)  # no leftover chunk was taken for a request of its own


def test_chunks_left_on_a_raw_socket_are_never_parsed_as_the_next_request(cloud: LocalCloud, rest: str) -> None:
    base = urlsplit(rest)
    chunked = (
        f"POST {base.path}/raw HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    ).encode()
    with socket.create_connection((base.hostname, base.port), timeout=30) as sock:
        sock.sendall(chunked)
        reply = b""
        while data := sock.recv(65536):
            reply += data
    assert reply.count(b"HTTP/1.1 ") == 1 and reply.startswith(b"HTTP/1.1 200 ")
    seen = json.loads(reply.partition(b"\r\n\r\n")[2])
    assert seen["size"] == 11 and seen["sha256"] == _digest(b"hello world")
    assert _calls(cloud) == 1


def test_korean_paths_reach_the_function_as_api_gateway_passes_them(cloud: LocalCloud, rest: str, http_api: str) -> None:
    # REST keeps the path percent-encoded; HTTP APIs decode it (requests encodes like a browser)
    assert requests.get(f"{rest}/items/사과").json()["params"] == {"id": "%EC%82%AC%EA%B3%BC"}
    seen = requests.get(f"{http_api}/items/사과 한 개").json()
    assert seen["params"] == {"id": "사과 한 개"} and seen["path"] == "/items/사과 한 개"


def test_large_bodies_up_to_the_quota_and_413_beyond_it(cloud: LocalCloud, rest: str) -> None:
    five_mb = b"a" * (5 * 1024 * 1024)
    seen = requests.post(f"{rest}/big", data=five_mb, headers={"Content-Type": "text/plain"}).json()
    assert seen["size"] == len(five_mb) and seen["sha256"] == _digest(five_mb)
    calls = _calls(cloud)
    over = b"b" * (10 * 1024 * 1024 + 1)
    for body in (over, iter([over[:4 << 20], over[4 << 20:]])):  # with a length, then chunked
        response = requests.post(f"{rest}/big", data=body, headers={"Content-Type": "text/plain"})
        assert response.status_code == 413 and response.json() == {"message": "Request Too Long"}
    assert _calls(cloud) == calls  # API Gateway never called the function


def test_binary_bodies_arrive_byte_for_byte(cloud: LocalCloud, rest: str, http_api: str) -> None:
    data = bytes(range(256)) * 4096 + b"\x00\xff\r\n0\r\n\r\n"  # 1 MB, every byte value, chunk-like tail
    for base in (rest, http_api):
        seen = requests.post(f"{base}/blob", data=data, headers={"Content-Type": "application/octet-stream"}).json()
        assert seen["b64"] is True and seen["size"] == len(data) and seen["sha256"] == _digest(data), base
        chunked = requests.post(f"{base}/blob", data=iter([data[:1000], data[1000:]]), headers={"Content-Type": "application/octet-stream"}).json()
        assert chunked["sha256"] == _digest(data), base


def test_serving_an_unknown_api_says_so_in_korean(cloud: LocalCloud) -> None:
    from labkit.cloud import CloudUsageError

    with pytest.raises(CloudUsageError) as raised:
        cloud.serve_api("nope123")
    assert str(raised.value).startswith("API nope123을 찾을 수 없습니다.") and "(를)" not in str(raised.value)


def test_an_event_over_lambdas_invoke_quota_is_answered_500_without_calling_the_function(
    cloud: LocalCloud, rest: str, http_api: str
) -> None:
    # 5 MB of binary is under API Gateway's 10 MB quota, but base64 makes the event about 6.7 MB:
    # over Lambda's 6 MB synchronous request quota. The Lambda API rejects the invocation, and
    # API Gateway answers 500 (not 502: the function never ran).
    five_mb = os.urandom(5 * 1024 * 1024)
    for base, body in ((rest, {"message": "Internal server error"}), (http_api, {"message": "Internal Server Error"})):
        response = requests.post(f"{base}/blob", data=five_mb, headers={"Content-Type": "application/octet-stream"})
        assert (response.status_code, response.json()) == (500, body), base
    assert _calls(cloud) == 0
    assert any("RequestEntityTooLargeException" in line for line in cloud.api_gateway.errors)
