"""Lambda authorizers enforced by the offline API Gateway, over real HTTP (`cloud.serve_api`).

REST APIs: TOKEN and REQUEST authorizers (boto3 and CloudFormation); HTTP APIs: REQUEST
authorizers with payload 1.0 and 2.0 (simple responses). The authorizer and the integration are
real handler code; the tests count the authorizer's invocations in its log.
"""

from __future__ import annotations

import json

import pytest
import requests

from labkit.cloud import LocalCloud

AUTH = """
import json, time

def policy(effect, resource, principal="user-1", context=None):
    answer = {"principalId": principal, "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]}}
    if context is not None:
        answer["context"] = context
    return answer

def handler(event, context):
    print("AUTH " + json.dumps(event))
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    token = event.get("authorizationToken") or headers.get("authorization") or ""
    token = token.removeprefix("Bearer ")
    arn = event.get("methodArn") or event.get("routeArn")
    api_arn = arn.split("/")[0]
    if token == "boom":
        raise RuntimeError("database down")
    if token == "nope":
        raise Exception("Unauthorized")
    if token == "deny":
        return policy("Deny", arn)
    if token == "other":
        return policy("Allow", api_arn + "/*/GET/other")
    if token == "items":
        return policy("Allow", api_arn + "/*/GET/items/*")
    if token == "malformed":
        return {"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "allow", "Resource": arn}]}}
    if token == "returned":
        return "Unauthorized"
    if token == "nested":
        return policy("Allow", arn, context={"roles": ["admin"]})
    if token == "slow":
        time.sleep(2)
    if token == "simple-yes":
        return {"isAuthorized": True, "context": {"user": "kim", "n": 1, "tags": ["a"]}}
    if token == "simple-no":
        return {"isAuthorized": False}
    if token == "simple-bad":
        return {"isAuthorized": "yes"}
    return policy("Allow", arn, context={"user": "kim", "admin": True, "n": 1})
"""

ECHO = """
import json
def handler(event, context):
    print("SEEN " + json.dumps(event))
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"authorizer": event["requestContext"].get("authorizer")})}
"""


def _lines(cloud: LocalCloud, name: str, prefix: str) -> list[dict]:
    return [json.loads(line[len(prefix):]) for line in cloud.logs(name) if line.startswith(prefix)]


def _rest(cloud: LocalCloud, code_dir, *, type_: str = "TOKEN", identity: str = "method.request.header.Authorization",
          ttl: int | None = None, validation: str | None = None, auth_timeout: int = 3) -> tuple[str, str]:
    """A REST API: GET /items/{id} and GET /other behind one Lambda authorizer; (base URL, api id)."""
    auth = cloud.deploy(code_dir(app=AUTH), name="auth", timeout=auth_timeout)
    echo = cloud.deploy(code_dir(app=ECHO), name="echo")
    apig = cloud.client("apigateway")
    api = apig.create_rest_api(name="shop")["id"]
    root = apig.get_resources(restApiId=api)["items"][0]["id"]
    kwargs = {"identityValidationExpression": validation} if validation else {}
    if ttl is not None:
        kwargs["authorizerResultTtlInSeconds"] = ttl
    authorizer = apig.create_authorizer(
        restApiId=api, name="auth", type=type_, identitySource=identity,
        authorizerUri=f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{auth.arn}/invocations", **kwargs,
    )["id"]
    items = apig.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
    item = apig.create_resource(restApiId=api, parentId=items, pathPart="{id}")["id"]
    other = apig.create_resource(restApiId=api, parentId=root, pathPart="other")["id"]
    uri = f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{echo.arn}/invocations"
    for resource in (item, other):
        apig.put_method(restApiId=api, resourceId=resource, httpMethod="GET", authorizationType="CUSTOM", authorizerId=authorizer)
        apig.put_integration(restApiId=api, resourceId=resource, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri)
    apig.create_deployment(restApiId=api, stageName="dev", variables={"table": "orders"})
    return cloud.serve_api(api), api


def _get(url: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": token} if token is not None else {}
    return requests.get(url, headers=headers, timeout=30, **kwargs)


# ---------------------------------------------------------------- REST TOKEN


def test_token_authorizer_allows_and_the_integration_sees_principal_and_stringified_context(cloud: LocalCloud, code_dir) -> None:
    base, api = _rest(cloud, code_dir)
    response = _get(f"{base}/items/7", "allow")
    assert response.status_code == 200
    seen = response.json()["authorizer"]
    assert isinstance(seen.pop("integrationLatency"), int)
    assert seen == {"principalId": "user-1", "user": "kim", "admin": "true", "n": "1"}
    (event,) = _lines(cloud, "auth", "AUTH ")
    assert event == {"type": "TOKEN", "authorizationToken": "allow",
                     "methodArn": f"arn:aws:execute-api:ap-northeast-2:123456789012:{api}/dev/GET/items/7"}


def test_token_authorizer_refuses_as_api_gateway_does_and_the_integration_never_runs(cloud: LocalCloud, code_dir) -> None:
    base, _ = _rest(cloud, code_dir, ttl=0)
    missing = _get(f"{base}/items/7")
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    assert _lines(cloud, "auth", "AUTH ") == []  # no token: API Gateway answers without invoking the function
    empty = _get(f"{base}/items/7", "")
    assert empty.status_code == 401 and _lines(cloud, "auth", "AUTH ") == []
    unauthorized = _get(f"{base}/items/7", "nope")
    assert (unauthorized.status_code, unauthorized.json()) == (401, {"message": "Unauthorized"})
    assert unauthorized.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    denied = _get(f"{base}/items/7", "deny")
    assert (denied.status_code, denied.json()) == (403, {"Message": "User is not authorized to access this resource with an explicit deny"})
    elsewhere = _get(f"{base}/items/7", "other")  # an Allow for another resource only
    assert (elsewhere.status_code, elsewhere.json()) == (403, {"Message": "User is not authorized to access this resource"})
    assert _get(f"{base}/other", "other").status_code == 200
    assert len(_lines(cloud, "auth", "AUTH ")) == 4
    assert len(_lines(cloud, "echo", "SEEN ")) == 1  # only the allowed request reached the integration


def test_identity_validation_expression_refuses_without_invoking(cloud: LocalCloud, code_dir) -> None:
    base, _ = _rest(cloud, code_dir, validation=r"^Bearer [a-z-]+$")
    assert _get(f"{base}/items/7", "allow").status_code == 401
    assert _lines(cloud, "auth", "AUTH ") == []
    assert _get(f"{base}/items/7", "Bearer allow").status_code == 200
    assert [e["authorizationToken"] for e in _lines(cloud, "auth", "AUTH ")] == ["Bearer allow"]


def test_results_are_cached_by_token_on_the_labs_clock_and_checked_per_method_arn(cloud: LocalCloud, code_dir) -> None:
    base, _ = _rest(cloud, code_dir)  # authorizerResultTtlInSeconds: 300 by default
    assert _get(f"{base}/items/1", "items").status_code == 200
    assert _get(f"{base}/items/2", "items").status_code == 200
    assert len(_lines(cloud, "auth", "AUTH ")) == 1  # the second request used the cached policy
    assert _get(f"{base}/other", "items").status_code == 403  # the cached policy does not cover /other
    assert len(_lines(cloud, "auth", "AUTH ")) == 1
    assert _get(f"{base}/items/1", "allow").status_code == 200  # another token: invoked
    assert len(_lines(cloud, "auth", "AUTH ")) == 2
    cloud.clock.advance(299)
    assert _get(f"{base}/items/1", "items").status_code == 200
    assert len(_lines(cloud, "auth", "AUTH ")) == 2
    cloud.clock.advance(2)
    assert _get(f"{base}/items/1", "items").status_code == 200
    assert len(_lines(cloud, "auth", "AUTH ")) == 3  # expired after 300 s


def test_ttl_zero_invokes_the_authorizer_every_time(cloud: LocalCloud, code_dir) -> None:
    base, _ = _rest(cloud, code_dir, ttl=0)
    for _ in range(3):
        assert _get(f"{base}/items/1", "allow").status_code == 200
    assert len(_lines(cloud, "auth", "AUTH ")) == 3


# ---------------------------------------------------------------- REST REQUEST


def test_request_authorizer_gets_the_request_and_needs_every_identity_source(cloud: LocalCloud, code_dir) -> None:
    base, api = _rest(cloud, code_dir, type_="REQUEST",
                      identity="method.request.header.Authorization, method.request.querystring.tenant")
    assert _get(f"{base}/items/7", "allow").status_code == 401  # no ?tenant=
    assert _get(f"{base}/items/7", params={"tenant": "t1"}).status_code == 401  # no header
    assert _lines(cloud, "auth", "AUTH ") == []
    response = _get(f"{base}/items/7", "allow", params={"tenant": "t1"})
    assert response.status_code == 200
    assert response.json()["authorizer"]["principalId"] == "user-1"
    (event,) = _lines(cloud, "auth", "AUTH ")
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == f"arn:aws:execute-api:ap-northeast-2:123456789012:{api}/dev/GET/items/7"
    assert event["resource"] == "/items/{id}" and event["path"] == "/items/7" and event["httpMethod"] == "GET"
    assert event["headers"]["Authorization"] == "allow"
    assert event["queryStringParameters"] == {"tenant": "t1"}
    assert event["pathParameters"] == {"id": "7"} and event["stageVariables"] == {"table": "orders"}
    assert event["requestContext"]["resourcePath"] == "/items/{id}" and event["requestContext"]["stage"] == "dev"
    assert "body" not in event and "authorizer" not in event["requestContext"]


# ---------------------------------------------------------------- failures: 500 and a Korean line


def test_errors_and_malformed_answers_are_500_with_a_korean_explanation_in_the_functions_log(cloud: LocalCloud, code_dir) -> None:
    base, _ = _rest(cloud, code_dir, ttl=0)
    for token in ("boom", "malformed", "nested", "returned"):
        response = _get(f"{base}/items/7", token)
        assert (response.status_code, response.json()) == (500, {"message": None}), token
        assert response.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"
    assert _lines(cloud, "echo", "SEEN ") == []
    explained = [line for line in cloud.logs("auth") if line.startswith("[API Gateway]")]
    assert len(explained) == 4
    assert "오류로 끝나" in explained[0] and "RuntimeError: database down" in explained[0] and "Unauthorized" in explained[0]
    assert "Effect" in explained[1] and '"Allow"' in explained[1] and "'allow'" in explained[1]
    assert "context['roles']" in explained[2] and "json.dumps" in explained[2]
    assert "raise Exception" in explained[3]  # a returned "Unauthorized" is not the documented 401
    assert cloud.api_gateway.errors[-1].endswith(explained[3].removeprefix("[API Gateway] "))


def test_an_authorizer_that_times_out_is_500(cloud: LocalCloud, code_dir) -> None:
    base, _ = _rest(cloud, code_dir, ttl=0, auth_timeout=1)
    response = _get(f"{base}/items/7", "slow")
    assert (response.status_code, response.json()) == (500, {"message": None})
    explained = [line for line in cloud.logs("auth") if line.startswith("[API Gateway]")]
    assert len(explained) == 1 and "제한 시간(1초)" in explained[0] and "Timeout" in explained[0]
    assert _lines(cloud, "echo", "SEEN ") == []


# ---------------------------------------------------------------- HTTP APIs


def _http(cloud: LocalCloud, code_dir, *, payload: str, simple: bool, ttl: int = 0) -> tuple[str, str]:
    auth = cloud.deploy(code_dir(app=AUTH), name="auth")
    echo = cloud.deploy(code_dir(app=ECHO), name="echo")
    v2 = cloud.client("apigatewayv2")
    api = v2.create_api(Name="orders", ProtocolType="HTTP")["ApiId"]
    kwargs = {"EnableSimpleResponses": True} if simple else {}
    authorizer = v2.create_authorizer(
        ApiId=api, Name="auth", AuthorizerType="REQUEST", IdentitySource=["$request.header.Authorization"],
        AuthorizerUri=f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{auth.arn}/invocations",
        AuthorizerPayloadFormatVersion=payload, AuthorizerResultTtlInSeconds=ttl, **kwargs,
    )["AuthorizerId"]
    integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=echo.arn, PayloadFormatVersion="2.0")["IntegrationId"]
    v2.create_route(ApiId=api, RouteKey="GET /items/{id}", Target=f"integrations/{integration}",
                    AuthorizationType="CUSTOM", AuthorizerId=authorizer)
    v2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    return cloud.serve_api(api), api


def test_http_api_simple_responses_and_the_lambda_context(cloud: LocalCloud, code_dir) -> None:
    base, api = _http(cloud, code_dir, payload="2.0", simple=True)
    assert _get(f"{base}/items/7").status_code == 401
    assert _lines(cloud, "auth", "AUTH ") == []
    allowed = _get(f"{base}/items/7", "simple-yes")
    assert allowed.status_code == 200
    assert allowed.json()["authorizer"] == {"lambda": {"user": "kim", "n": 1, "tags": ["a"]}}  # kept as returned
    refused = _get(f"{base}/items/7", "simple-no")
    assert (refused.status_code, refused.json()) == (403, {"message": "Forbidden"})
    broken = _get(f"{base}/items/7", "simple-bad")
    assert (broken.status_code, broken.json()) == (500, {"message": "Internal Server Error"})
    assert any("isAuthorized" in line for line in cloud.logs("auth") if line.startswith("[API Gateway]"))
    event = _lines(cloud, "auth", "AUTH ")[0]
    assert event["version"] == "2.0" and event["type"] == "REQUEST" and event["identitySource"] == ["simple-yes"]
    assert event["routeArn"] == f"arn:aws:execute-api:ap-northeast-2:123456789012:{api}/$default/GET/items/7"
    assert event["routeKey"] == "GET /items/{id}" and event["pathParameters"] == {"id": "7"}
    assert len(_lines(cloud, "echo", "SEEN ")) == 1


def test_http_api_payload_1_policy_answers(cloud: LocalCloud, code_dir) -> None:
    base, _ = _http(cloud, code_dir, payload="1.0", simple=False, ttl=300)
    allowed = _get(f"{base}/items/7", "allow")
    assert allowed.status_code == 200
    assert allowed.json()["authorizer"] == {"lambda": {"user": "kim", "admin": True, "n": 1}}
    denied = _get(f"{base}/items/7", "deny")
    assert (denied.status_code, denied.json()) == (403, {"message": "Forbidden"})
    assert _get(f"{base}/items/7", "allow").status_code == 200  # cached by the header's value
    events = _lines(cloud, "auth", "AUTH ")
    assert len(events) == 2
    assert events[0]["version"] == "1.0" and events[0]["identitySource"] == "allow" and events[0]["authorizationToken"] == "allow"
    assert events[0]["methodArn"].endswith("/$default/GET/items/7")


# ---------------------------------------------------------------- CloudFormation


def test_authorizer_from_a_cloudformation_template(cloud: LocalCloud, code_dir) -> None:
    auth = cloud.deploy(code_dir(app=AUTH), name="auth")
    echo = cloud.deploy(code_dir(app=ECHO), name="echo")
    invoke = "arn:aws:apigateway:ap-northeast-2:lambda:path/2015-03-31/functions/{}/invocations"
    template = {"Resources": {
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "shop"}},
        "Items": {"Type": "AWS::ApiGateway::Resource",
                  "Properties": {"RestApiId": {"Ref": "Api"}, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "PathPart": "items"}},
        "TokenAuthorizer": {"Type": "AWS::ApiGateway::Authorizer", "Properties": {
            "Name": "token", "RestApiId": {"Ref": "Api"}, "Type": "TOKEN", "IdentitySource": "method.request.header.Authorization",
            "AuthorizerResultTtlInSeconds": 0, "AuthorizerUri": invoke.format(auth.arn)}},
        "GetItems": {"Type": "AWS::ApiGateway::Method", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": "Items"}, "HttpMethod": "GET",
            "AuthorizationType": "CUSTOM", "AuthorizerId": {"Ref": "TokenAuthorizer"},
            "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": invoke.format(echo.arn)}}},
        "Deployment": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": ["GetItems"],
                       "Properties": {"RestApiId": {"Ref": "Api"}, "StageName": "dev"}},
    }}
    stack = cloud.deploy_stack(template, name="shop")
    base = cloud.serve_api(stack["Api"])
    assert _get(f"{base}/items").status_code == 401
    assert _get(f"{base}/items", "deny").status_code == 403
    allowed = _get(f"{base}/items", "allow")
    assert allowed.status_code == 200 and allowed.json()["authorizer"]["user"] == "kim"
    assert len(_lines(cloud, "auth", "AUTH ")) == 2
