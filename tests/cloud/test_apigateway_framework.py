"""What the Serverless Framework (osls) generates for a REST API's `authorizer:` and `cors: true`
runs on the offline API Gateway: the template comes from `osls package` itself, the requests go
over real HTTP (`cloud.serve_api`).

- `cors: true` adds an OPTIONS method with a MOCK integration: API Gateway answers it with the
  integration response's `Access-Control-Allow-*` headers, 200 and an empty body; the Lambda proxy
  methods answer with the headers the handler returns;
- `authorizer: auth` is a TOKEN authorizer on the Authorization header (cached 300 s);
  `authorizer: {type: request, identitySource: ..., resultTtlInSeconds: 0}` a REQUEST one;
- an `httpApi` event's authorizer (`provider.httpApi.authorizers`, simple responses) guards an
  HTTP API route.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from labkit.cloud import LocalCloud

from .conftest import osls_package

SERVERLESS_YML = """\
service: shop-auth
frameworkVersion: "3"
provider:
  name: aws
  runtime: python3.12
  region: ap-northeast-2
  stage: dev
  httpApi:
    authorizers:
      simpleAuth:
        type: request
        functionName: simpleAuth
        enableSimpleResponses: true
        identitySource: $request.header.Authorization
functions:
  auth:
    handler: app.authorize
  simpleAuth:
    handler: app.authorize_simple
  orders:
    handler: app.orders
    events:
      - httpApi:
          path: /orders/{id}
          method: get
          authorizer:
            name: simpleAuth
  tenantAuth:
    handler: app.authorize_tenant
  items:
    handler: app.items
    events:
      - http:
          path: /items/{id}
          method: get
          cors: true
          authorizer: auth
      - http:
          path: /tenants/{id}
          method: get
          authorizer:
            name: tenantAuth
            type: request
            identitySource: method.request.header.X-Tenant
            resultTtlInSeconds: 0
      - http:
          path: /items
          method: post
          cors: true
"""

APP = """\
import json


def _policy(effect, arn, principal):
    return {"principalId": principal, "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": effect, "Resource": arn}]}, "context": {"who": principal}}


def authorize(event, context):
    print("TOKEN " + event["authorizationToken"])
    if event["authorizationToken"] != "Bearer good":
        raise Exception("Unauthorized")
    return _policy("Allow", event["methodArn"], "kim")


def authorize_tenant(event, context):
    tenant = event["headers"]["X-Tenant"]
    print("TENANT " + tenant)
    return _policy("Allow" if tenant == "t1" else "Deny", event["methodArn"], tenant)


def authorize_simple(event, context):
    print("SIMPLE " + event["headers"]["authorization"])
    return {"isAuthorized": event["headers"]["authorization"] == "good", "context": {"user": "kim", "level": 3}}


def orders(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"]["authorizer"])}


def items(event, context):
    return {"statusCode": 200,
            "headers": {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"},
            "body": json.dumps({"method": event["httpMethod"], "authorizer": event["requestContext"].get("authorizer")})}
"""


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return osls_package(tmp_path_factory, "shop-auth", {"serverless.yml": SERVERLESS_YML, "app.py": APP}).folder


@pytest.fixture(scope="module")
def deployed(packaged: Path) -> Iterator[tuple[LocalCloud, object, str]]:
    with LocalCloud() as cloud:
        stack = cloud.deploy_stack(packaged / "cloudformation-template-update-stack.json", name="shop-auth-dev", artifacts=packaged)
        yield cloud, stack, cloud.serve_api(stack["ApiGatewayRestApi"])


def _printed(cloud: LocalCloud, stack, function: str, prefix: str) -> list[str]:
    return [line[len(prefix):] for line in cloud.logs(stack[function]) if line.startswith(prefix)]


def test_the_cors_stack_deploys_with_its_mock_options_methods(packaged: Path, deployed) -> None:
    template = json.loads((packaged / "cloudformation-template-update-stack.json").read_text())
    options = template["Resources"]["ApiGatewayMethodItemsOptions"]["Properties"]
    assert options["Integration"]["Type"] == "MOCK" and "IntegrationHttpMethod" not in options["Integration"]
    _, stack, _ = deployed
    assert stack.status == "CREATE_COMPLETE" and stack.skipped == []
    assert {"AuthApiGatewayAuthorizer", "TenantAuthApiGatewayAuthorizer", "ApiGatewayMethodItemsOptions"} <= set(stack.resources)


def test_options_is_answered_by_api_gateway_with_the_cors_headers(deployed) -> None:
    cloud, stack, base = deployed
    preflight = requests.options(f"{base}/items", headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}, timeout=30)
    assert preflight.status_code == 200 and preflight.content == b""
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Methods"] == "OPTIONS,POST"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"].split(",")
    # the OPTIONS of an authorized resource needs no token: its method's authorization is NONE
    item_preflight = requests.options(f"{base}/items/7", timeout=30)
    assert item_preflight.status_code == 200 and item_preflight.headers["Access-Control-Allow-Methods"] == "OPTIONS,GET"
    assert _printed(cloud, stack, "AuthLambdaFunction", "TOKEN ") == []
    posted = requests.post(f"{base}/items", json={}, headers={"Origin": "https://shop.example"}, timeout=30)
    assert posted.status_code == 200 and posted.headers["Access-Control-Allow-Origin"] == "*"  # what the handler returned
    assert posted.json() == {"method": "POST", "authorizer": None}


def test_the_frameworks_token_authorizer_guards_the_method(deployed) -> None:
    cloud, stack, base = deployed
    assert requests.get(f"{base}/items/7", timeout=30).status_code == 401
    refused = requests.get(f"{base}/items/7", headers={"Authorization": "Bearer bad"}, timeout=30)
    assert (refused.status_code, refused.json()) == (401, {"message": "Unauthorized"})
    for _ in range(2):
        allowed = requests.get(f"{base}/items/7", headers={"Authorization": "Bearer good"}, timeout=30)
        assert allowed.status_code == 200 and allowed.headers["Access-Control-Allow-Origin"] == "*"
        seen = allowed.json()["authorizer"]
        assert (seen["principalId"], seen["who"]) == ("kim", "kim")
    assert _printed(cloud, stack, "AuthLambdaFunction", "TOKEN ") == ["Bearer bad", "Bearer good"]  # the default TTL cached it


def test_the_frameworks_request_authorizer_with_caching_off(deployed) -> None:
    cloud, stack, base = deployed
    assert requests.get(f"{base}/tenants/1", timeout=30).status_code == 401  # no X-Tenant header
    denied = requests.get(f"{base}/tenants/1", headers={"X-Tenant": "t2"}, timeout=30)
    assert denied.status_code == 403
    for _ in range(2):
        assert requests.get(f"{base}/tenants/1", headers={"X-Tenant": "t1"}, timeout=30).json()["authorizer"]["principalId"] == "t1"
    assert _printed(cloud, stack, "TenantAuthLambdaFunction", "TENANT ") == ["t2", "t1", "t1"]  # resultTtlInSeconds: 0


def test_the_frameworks_http_api_authorizer_with_simple_responses(deployed) -> None:
    cloud, stack, _ = deployed
    base = cloud.serve_api(stack["HttpApi"])
    assert requests.get(f"{base}/orders/1", timeout=30).status_code == 401
    refused = requests.get(f"{base}/orders/1", headers={"Authorization": "bad"}, timeout=30)
    assert (refused.status_code, refused.json()) == (403, {"message": "Forbidden"})
    allowed = requests.get(f"{base}/orders/1", headers={"Authorization": "good"}, timeout=30)
    assert allowed.status_code == 200 and allowed.json() == {"lambda": {"user": "kim", "level": 3}}
    assert _printed(cloud, stack, "SimpleAuthLambdaFunction", "SIMPLE ") == ["bad", "good"]
