"""API Gateway REST (v1) and HTTP API (v2) Lambda proxy integrations, in-process and over HTTP."""

from __future__ import annotations

import base64
import json
import urllib.request

import pytest
import requests

from labkit.cloud import LocalCloud

from .conformance import missing_fields, sample

ECHO = """
import base64, json
def handler(event, context):
    print("SEEN " + json.dumps(event))
    path = event.get("rawPath") or event.get("path") or ""
    if path.endswith("/boom"):
        raise RuntimeError("boom")
    if path.endswith("/malformed"):
        return {"statusCode": 200, "body": {"not": "a string"}}
    if path.endswith("/short"):
        return {"ok": True, "from": "shorthand"}
    if path.endswith("/text"):
        return "plain text"
    if path.endswith("/png"):
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "isBase64Encoded": True,
                "body": base64.b64encode(b"\\x89PNG-bytes").decode()}
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "X-Handler": "echo"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps({"params": event.get("pathParameters"), "query": event.get("queryStringParameters"),
                            "body": event.get("body"), "b64": event.get("isBase64Encoded")}),
    }
"""

REST_OPAQUE = frozenset({
    "headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters", "pathParameters", "stageVariables",
})
V2_OPAQUE = frozenset({"headers", "queryStringParameters", "pathParameters", "stageVariables", "cookies"})


def _events(cloud: LocalCloud, name: str = "echo") -> list[dict]:
    return [json.loads(line[5:]) for line in cloud.logs(name) if line.startswith("SEEN ")]


def _rest_api(cloud: LocalCloud, code_dir, paths: list[str], *, binary: list[str] | None = None, variables: dict | None = None) -> str:
    """A REST API whose listed resource paths all proxy (ANY) to the echo function, deployed as 'dev'."""
    fn = cloud.deploy(code_dir(app=ECHO), name="echo")
    apig = cloud.client("apigateway")
    api = apig.create_rest_api(name="shop", binaryMediaTypes=binary or [])["id"]
    by_path = {r["path"]: r["id"] for r in apig.get_resources(restApiId=api)["items"]}
    uri = f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{fn.arn}/invocations"
    for path in paths:
        parent = "/"
        for part in [p for p in path.split("/") if p]:
            here = (parent.rstrip("/") + "/" + part)
            if here not in by_path:
                by_path[here] = apig.create_resource(restApiId=api, parentId=by_path[parent], pathPart=part)["id"]
            parent = here
        apig.put_method(restApiId=api, resourceId=by_path[path], httpMethod="ANY", authorizationType="NONE")
        apig.put_integration(restApiId=api, resourceId=by_path[path], httpMethod="ANY", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri)
    apig.create_deployment(restApiId=api, stageName="dev", variables=variables or {})
    return api


def _http_api(cloud: LocalCloud, code_dir, routes: list[str], *, stage: str = "$default", payload: str = "2.0", **api_kwargs) -> str:
    fn = cloud.deploy(code_dir(app=ECHO), name="echo")
    v2 = cloud.client("apigatewayv2")
    api = v2.create_api(Name="orders", ProtocolType="HTTP", **api_kwargs)["ApiId"]
    integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn.arn, PayloadFormatVersion=payload)["IntegrationId"]
    for key in routes:
        v2.create_route(ApiId=api, RouteKey=key, Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api, StageName=stage, AutoDeploy=True, StageVariables={"table": "orders"})
    return api


# ---------------------------------------------------------------- REST (v1)


def test_rest_proxy_event_and_response(cloud: LocalCloud, code_dir) -> None:
    from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel

    api = _rest_api(cloud, code_dir, ["/items/{id}"], variables={"table": "orders"})
    url = cloud.api_url(api)
    assert url == f"https://{api}.execute-api.ap-northeast-2.amazonaws.com/dev"
    response = requests.post(
        f"{url}/items/42?tag=a&tag=b&q=%ED%95%9C", json={"qty": 2}, headers={"X-Trace": "t1", "User-Agent": "lab/1.0"}
    )
    assert response.status_code == 201
    assert response.headers["X-Handler"] == "echo" and response.headers["Content-Type"] == "application/json"
    assert response.json() == {"params": {"id": "42"}, "query": {"tag": "b", "q": "한"}, "body": '{"qty": 2}', "b64": False}
    assert "x-amzn-RequestId" in response.headers and "apigw-requestid" not in response.headers

    (event,) = _events(cloud)
    assert event["resource"] == "/items/{id}" and event["path"] == "/items/42" and event["httpMethod"] == "POST"
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "q": ["한"]}
    assert event["headers"]["X-Trace"] == "t1" and event["multiValueHeaders"]["X-Trace"] == ["t1"]
    # requests sent Connection and Content-Length; REST forwards neither (LocalStack's AWS recordings)
    sent = {name.lower() for name in response.request.headers}
    assert {"connection", "content-length"} <= sent
    assert not {"connection", "content-length"} & {name.lower() for name in [*event["headers"], *event["multiValueHeaders"]]}
    assert event["stageVariables"] == {"table": "orders"}
    context = event["requestContext"]
    assert context["stage"] == "dev" and context["path"] == "/dev/items/42" and context["resourcePath"] == "/items/{id}"
    assert context["apiId"] == api and context["identity"]["userAgent"] == "lab/1.0"
    stage = cloud.client("apigateway").get_stage(restApiId=api, stageName="dev")
    assert context["deploymentId"] == stage["deploymentId"]
    # extendedRequestId in AWS's 16-character form, also sent back as x-amz-apigw-id
    assert len(context["extendedRequestId"]) == 16 and context["extendedRequestId"].endswith("=")
    assert response.headers["x-amz-apigw-id"] == context["extendedRequestId"]
    assert response.headers["x-amzn-RequestId"] == context["requestId"] and len(context["requestId"]) == 36
    APIGatewayProxyEventModel.model_validate(event)
    assert missing_fields(event, sample("apigateway-rest"), opaque=REST_OPAQUE) == []


def test_rest_passes_the_path_and_path_parameters_still_percent_encoded(cloud: LocalCloud, code_dir) -> None:
    # AWS: REST APIs do not decode `path`, `pathParameters` or `requestContext.path` (LocalStack's
    # AWS-recorded snapshot: "proxy": "test-path/api/user/test%2Balias@gmail.com/..."); queries are decoded.
    api = _rest_api(cloud, code_dir, ["/users/{id}", "/{proxy+}"])
    url = cloud.api_url(api)
    assert requests.get(f"{url}/users/test%2Balias@gmail.com?email=test%2Balias@gmail.com").status_code == 201
    assert requests.get(f"{url}/users/%EA%B9%80%EC%84%9C%EB%B2%84").status_code == 201  # a Korean id still routes
    assert requests.get(f"{url}/files/a%20b/c.txt/").status_code == 201
    email, korean, files = _events(cloud)
    assert email["resource"] == "/users/{id}" and email["pathParameters"] == {"id": "test%2Balias@gmail.com"}
    assert email["path"] == "/users/test%2Balias@gmail.com"
    assert email["requestContext"]["path"] == "/dev/users/test%2Balias@gmail.com"
    assert email["queryStringParameters"] == {"email": "test+alias@gmail.com"}
    assert korean["resource"] == "/users/{id}" and korean["pathParameters"] == {"id": "%EA%B9%80%EC%84%9C%EB%B2%84"}
    assert files["pathParameters"] == {"proxy": "files/a%20b/c.txt"}  # the greedy parameter drops the trailing /
    assert files["path"] == "/files/a%20b/c.txt/" and files["requestContext"]["path"] == "/dev/files/a%20b/c.txt/"


def test_rest_deployment_id_of_a_stage_made_by_cloudformation(cloud: LocalCloud, code_dir) -> None:
    # moto keeps a Deployment object as the deployment id of a stage made by CloudFormation
    fn = cloud.deploy(code_dir(app=ECHO), name="echo")
    uri = f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{fn.arn}/invocations"
    integration = {"x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}}
    body = {"openapi": "3.0.1", "info": {"title": "shop", "version": "1"}, "paths": {"/{proxy+}": {"x-amazon-apigateway-any-method": integration}}}
    template = {
        "Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": body}},
            "Deployment": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": {"Ref": "Api"}}},
            "Live": {
                "Type": "AWS::ApiGateway::Stage",
                "Properties": {"RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deployment"}, "StageName": "live"},
            },
        },
        "Outputs": {"ApiId": {"Value": {"Ref": "Api"}}},
    }
    api = cloud.deploy_stack(template, name="shop").outputs["ApiId"]
    assert requests.get(cloud.api_url(api, "live") + "/a").status_code == 201
    (event,) = _events(cloud)
    (deployment,) = cloud.client("apigateway").get_deployments(restApiId=api)["items"]  # (moto's get_stage fails here)
    assert event["requestContext"]["deploymentId"] == deployment["id"]


def test_rest_route_precedence_and_greedy_proxy(cloud: LocalCloud, code_dir) -> None:
    api = _rest_api(cloud, code_dir, ["/items/special", "/items/{id}", "/{proxy+}"])
    url = cloud.api_url(api)
    for path in ["/items/special", "/items/7", "/files/a/b.txt"]:
        assert requests.get(url + path).status_code == 201
    resources = [(e["resource"], e["pathParameters"]) for e in _events(cloud)]
    assert resources == [("/items/special", None), ("/items/{id}", {"id": "7"}), ("/{proxy+}", {"proxy": "files/a/b.txt"})]


def test_rest_gateway_answers_for_unknown_routes_and_stages(cloud: LocalCloud, code_dir) -> None:
    api = _rest_api(cloud, code_dir, ["/items"])
    url = cloud.api_url(api)
    missing = requests.get(url + "/nothing/here")
    assert missing.status_code == 403 and missing.json() == {"message": "Missing Authentication Token"}
    wrong_stage = requests.get(url.replace("/dev", "/prod") + "/items")
    assert wrong_stage.status_code == 403 and wrong_stage.json() == {"message": "Forbidden"}
    assert _events(cloud) == []


def test_rest_function_error_and_malformed_response_are_502(cloud: LocalCloud, code_dir) -> None:
    api = _rest_api(cloud, code_dir, ["/{proxy+}"])
    url = cloud.api_url(api)
    for path in ["/boom", "/malformed"]:
        response = requests.get(url + path)
        assert response.status_code == 502 and response.json() == {"message": "Internal server error"}
    assert any("Malformed Lambda proxy response" in e for e in cloud.api_gateway.errors)


@pytest.mark.parametrize("payload", ["2.0", "1.0"])
def test_http_api_function_error_and_malformed_response_are_500(cloud: LocalCloud, code_dir, payload) -> None:
    # HTTP APIs answer {"message":"Internal Server Error"} with 500 (AWS's HTTP API troubleshooting
    # page and knowledge center), not REST's 502 "Internal server error".
    api = _http_api(cloud, code_dir, ["ANY /{proxy+}"], payload=payload)
    url = cloud.api_url(api)
    paths = ["/boom"] + (["/malformed"] if payload == "1.0" else [])  # payload 2.0 sends a dict body as JSON
    for path in paths:
        response = requests.get(url + path)
        assert (response.status_code, response.json()) == (500, {"message": "Internal Server Error"}), path


def test_binary_media_types_added_with_update_rest_api(cloud: LocalCloud, code_dir) -> None:
    # AWS's documented patch: the type is in the path, escaped (image~1png); moto stored [""].
    api = _rest_api(cloud, code_dir, ["/{proxy+}"])
    apig = cloud.client("apigateway")
    url = cloud.api_url(api)
    assert requests.get(url + "/png", headers={"Accept": "image/png"}).content != b"\x89PNG-bytes"  # base64 text
    updated = apig.update_rest_api(restApiId=api, patchOperations=[
        {"op": "add", "path": "/binaryMediaTypes/image~1png"}, {"op": "add", "path": "/binaryMediaTypes/application~1pdf"},
    ])
    assert updated["binaryMediaTypes"] == ["image/png", "application/pdf"]
    image = requests.get(url + "/png", headers={"Accept": "image/png"})
    assert image.content == b"\x89PNG-bytes"
    apig.update_rest_api(restApiId=api, patchOperations=[
        {"op": "replace", "path": "/binaryMediaTypes/application~1pdf", "value": "image/gif"},
        {"op": "remove", "path": "/binaryMediaTypes/image~1png"},
        {"op": "replace", "path": "/description", "value": "still moto's"},
    ])
    got = apig.get_rest_api(restApiId=api)
    assert (got["binaryMediaTypes"], got["description"]) == (["image/gif"], "still moto's")


def test_rest_binary_media_types(cloud: LocalCloud, code_dir) -> None:
    api = _rest_api(cloud, code_dir, ["/{proxy+}"], binary=["image/*"])
    url = cloud.api_url(api)
    sent = bytes(range(256))
    echoed = requests.post(url + "/upload", data=sent, headers={"Content-Type": "image/jpeg"}).json()
    assert echoed["b64"] is True and base64.b64decode(echoed["body"]) == sent
    text = requests.post(url + "/upload", data="plain", headers={"Content-Type": "text/plain"}).json()
    assert text == {"params": {"proxy": "upload"}, "query": None, "body": "plain", "b64": False}
    image = requests.get(url + "/png", headers={"Accept": "image/png"})
    assert image.content == b"\x89PNG-bytes" and image.headers["Content-Type"] == "image/png"


def test_rest_api_over_a_real_local_http_server(cloud: LocalCloud, code_dir) -> None:
    api = _rest_api(cloud, code_dir, ["/items/{id}"])
    base = cloud.serve_api(api)
    assert base.startswith("http://127.0.0.1:") and base.endswith("/dev")
    with urllib.request.urlopen(f"{base}/items/9?x=1") as response:  # a real socket, not the mock
        assert response.status == 201
        assert json.loads(response.read())["params"] == {"id": "9"}
        assert response.headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    event = _events(cloud)[-1]
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert requests.get(f"{base}/nope").status_code == 403


def test_local_server_reads_raw_utf8_in_the_request_line_like_a_browser_would(cloud: LocalCloud, code_dir) -> None:
    import socket
    from urllib.parse import urlsplit

    api = _rest_api(cloud, code_dir, ["/items/{id}"])
    base = urlsplit(cloud.serve_api(api))
    with socket.create_connection((base.hostname, base.port)) as sock:  # what curl sends for ?q=한글
        sock.sendall(f"GET {base.path}/items/한?q=한글 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        while sock.recv(65536):
            pass
    event = _events(cloud)[-1]
    assert event["pathParameters"] == {"id": "%ED%95%9C"}  # percent-encoded like a browser, and REST keeps it so
    assert event["queryStringParameters"] == {"q": "한글"}


# ---------------------------------------------------------------- HTTP API (v2)


def test_http_api_v2_event_and_response(cloud: LocalCloud, code_dir) -> None:
    from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model

    api = _http_api(cloud, code_dir, ["POST /orders/{orderId}", "GET /orders"])
    url = cloud.api_url(api)
    assert url == f"https://{api}.execute-api.ap-northeast-2.amazonaws.com"
    response = requests.post(
        f"{url}/orders/o-1?x=1&x=2&y=", data='{"qty": 1}',
        headers={"Content-Type": "application/json", "Cookie": "session=abc; theme=dark", "X-Multi": "v"},
    )
    assert response.status_code == 201
    (event,) = _events(cloud)
    assert event["version"] == "2.0" and event["routeKey"] == "POST /orders/{orderId}"
    assert event["rawPath"] == "/orders/o-1" and event["rawQueryString"] == "x=1&x=2&y="
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert event["cookies"] == ["session=abc", "theme=dark"] and "cookie" not in event["headers"]
    assert event["headers"]["x-multi"] == "v" and event["headers"]["content-type"] == "application/json"
    assert event["pathParameters"] == {"orderId": "o-1"} and event["stageVariables"] == {"table": "orders"}
    assert event["body"] == '{"qty": 1}' and event["isBase64Encoded"] is False
    http = event["requestContext"]["http"]
    assert http == {"method": "POST", "path": "/orders/o-1", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": http["userAgent"]}
    assert event["requestContext"]["stage"] == "$default"
    # HTTP APIs: a 16-character requestId, answered in apigw-requestid (not x-amzn-RequestId)
    assert len(event["requestContext"]["requestId"]) == 16 and event["requestContext"]["requestId"].endswith("=")
    assert response.headers["apigw-requestid"] == event["requestContext"]["requestId"]
    assert "x-amzn-RequestId" not in response.headers and "x-amz-apigw-id" not in response.headers
    APIGatewayProxyEventV2Model.model_validate(event)
    assert missing_fields(event, sample("apigateway-http-v2"), opaque=V2_OPAQUE) == []


def test_http_api_decodes_the_path_and_path_parameters(cloud: LocalCloud, code_dir) -> None:
    # AWS: HTTP APIs decode rawPath, requestContext.http.path and pathParameters before routing
    # (live captures in hotsock/voker vokerhttp/testdata); rawQueryString stays as sent.
    api = _http_api(cloud, code_dir, ["GET /orders/{orderId}"])
    response = requests.get(f"{cloud.api_url(api)}/orders/%EA%B9%80%20x?q=%ED%95%9C")
    assert response.status_code == 201
    (event,) = _events(cloud)
    assert event["rawPath"] == "/orders/김 x" and event["requestContext"]["http"]["path"] == "/orders/김 x"
    assert event["pathParameters"] == {"orderId": "김 x"}
    assert event["rawQueryString"] == "q=%ED%95%9C" and event["queryStringParameters"] == {"q": "한"}


def test_http_api_response_shorthand_and_binary(cloud: LocalCloud, code_dir) -> None:
    api = _http_api(cloud, code_dir, ["ANY /{proxy+}"])
    url = cloud.api_url(api)
    short = requests.get(url + "/x/short")
    assert short.status_code == 200 and short.headers["Content-Type"] == "application/json"
    assert short.json() == {"ok": True, "from": "shorthand"}
    assert requests.get(url + "/x/text").text == "plain text"
    assert requests.get(url + "/x/png").content == b"\x89PNG-bytes"  # HTTP APIs always decode
    sent = b"\x00\xff binary"
    echoed = requests.put(url + "/upload", data=sent, headers={"Content-Type": "application/octet-stream"}).json()
    assert echoed["b64"] is True and base64.b64decode(echoed["body"]) == sent


def test_http_api_named_stage_default_route_and_not_found(cloud: LocalCloud, code_dir) -> None:
    api = _http_api(cloud, code_dir, ["GET /health"], stage="prod")
    url = cloud.api_url(api)
    assert url.endswith("/prod")
    assert requests.get(url + "/health").status_code == 201
    assert _events(cloud)[-1]["rawPath"] == "/prod/health"  # rawPath keeps the stage, as on AWS
    missing = requests.get(url + "/other")
    assert missing.status_code == 404 and missing.json() == {"message": "Not Found"}
    v2 = cloud.client("apigatewayv2")
    integration = v2.get_integrations(ApiId=api)["Items"][0]["IntegrationId"]
    v2.create_route(ApiId=api, RouteKey="$default", Target=f"integrations/{integration}")
    assert requests.get(url + "/other").status_code == 201
    assert _events(cloud)[-1]["routeKey"] == "$default"


def test_http_api_payload_format_1(cloud: LocalCloud, code_dir) -> None:
    from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel

    api = _http_api(cloud, code_dir, ["GET /items/{id}"], payload="1.0")
    response = requests.get(cloud.api_url(api) + "/items/%ED%95%9C?a=1", headers={"X-Trace": "t1", "User-Agent": "lab/1.0"})
    (event,) = _events(cloud)
    assert event["version"] == "1.0" and event["pathParameters"] == {"id": "한"}
    assert event["path"] == "/items/한" and event["requestContext"]["path"] == "/items/한"
    assert event["queryStringParameters"] == {"a": "1"}
    # "All header names are lowercase" (HTTP API payload formats 1.0 and 2.0)
    assert event["headers"]["x-trace"] == "t1" and event["multiValueHeaders"]["x-trace"] == ["t1"]
    assert event["headers"]["user-agent"] == "lab/1.0" and event["headers"]["x-forwarded-proto"] == "https"
    assert all(name == name.lower() for name in [*event["headers"], *event["multiValueHeaders"]])
    assert response.headers["apigw-requestid"] == event["requestContext"]["requestId"]
    APIGatewayProxyEventModel.model_validate(event)
    assert missing_fields(event, sample("apigateway-http-v1"), opaque=REST_OPAQUE) == []


def test_http_api_quick_create_with_target(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=ECHO), name="echo")
    api = cloud.client("apigatewayv2").create_api(Name="quick", ProtocolType="HTTP", Target=fn.arn)
    assert requests.get(api["ApiEndpoint"] + "/anything/short").json()["from"] == "shorthand"
    assert _events(cloud)[0]["routeKey"] == "$default"


def test_http_api_cors_preflight(cloud: LocalCloud, code_dir) -> None:
    api = _http_api(
        cloud, code_dir, ["GET /items"],
        CorsConfiguration={"AllowOrigins": ["https://shop.example"], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["content-type"]},
    )
    url = cloud.api_url(api)
    preflight = requests.options(url + "/items", headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET,POST"
    get = requests.get(url + "/items", headers={"Origin": "https://shop.example"})
    assert get.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert _events(cloud)  # the preflight never reached the function; the GET did
    assert len(_events(cloud)) == 1


def test_http_api_served_over_http(cloud: LocalCloud, code_dir) -> None:
    api = _http_api(cloud, code_dir, ["GET /orders/{id}"])
    base = cloud.serve_api(api)
    response = requests.get(f"{base}/orders/5", cookies={"k": "v"})
    assert response.status_code == 201 and response.json()["params"] == {"id": "5"}
    assert _events(cloud)[-1]["cookies"] == ["k=v"]


def test_unknown_api_and_missing_stage_get_korean_errors(cloud: LocalCloud, code_dir) -> None:
    from labkit.cloud import CloudUsageError

    with pytest.raises(CloudUsageError, match="찾을 수 없습니다"):
        cloud.api_url("nope123")
    cloud.deploy(code_dir(app=ECHO), name="echo")
    api = cloud.client("apigateway").create_rest_api(name="undeployed")["id"]
    with pytest.raises(CloudUsageError, match="create_deployment"):
        cloud.api_url(api)
