"""API Gateway: REST APIs (v1) and HTTP APIs (v2) in front of Lambda, in-process and over real HTTP.

What API Gateway does with a Lambda proxy integration, and so what this does:
- routes a request on `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/...` to a
  REST resource (literal segments before `{param}` before `{proxy+}`) and method (or ANY), or to
  an HTTP API route (`GET /items/{id}`, `ANY /{proxy+}`, `$default`); unknown routes get
  API Gateway's answers (REST: 403 Missing Authentication Token; HTTP API: 404 Not Found);
- builds the event in the integration's payload format: REST and HTTP API payload 1.0 (resource,
  path, httpMethod, headers/multiValueHeaders, queryStringParameters/multiValue...,
  pathParameters, stageVariables, requestContext, body, isBase64Encoded) or HTTP API payload
  2.0 (version, routeKey, rawPath, rawQueryString, cookies, headers, queryStringParameters,
  requestContext.http, pathParameters, stageVariables, body, isBase64Encoded);
- paths as AWS passes them: REST keeps `path`, `pathParameters` and `requestContext.path`
  percent-encoded (routing still matches encoded segments, Korean ids included); HTTP APIs
  decode the path before routing, so `rawPath`, `requestContext.http.path` and
  `pathParameters` are decoded; query string parameters are decoded by both;
- headers: REST keeps the client's names and drops `Connection` and `Content-Length`; HTTP APIs
  lowercase every name, in payload 1.0 too;
- ids: REST has a uuid `requestId` (response header `x-amzn-RequestId`), a 16-character
  `extendedRequestId` (`x-amz-apigw-id`) and the stage's `deploymentId`; HTTP APIs have a
  16-character `requestId` (`Apigw-Requestid`);
- binary bodies: REST base64-encodes a body whose Content-Type matches the API's
  binaryMediaTypes; HTTP APIs base64-encode every body that is not text;
- invokes the function synchronously and turns its answer into the HTTP response: a proxy
  response object (statusCode, headers, multiValueHeaders, cookies, body, isBase64Encoded), or,
  for payload 2.0, any other JSON value as a 200 `application/json` body. A function error or a
  malformed proxy response is, on a REST API, a 502 `{"message": "Internal server error"}` and,
  on an HTTP API, a 500 `{"message": "Internal Server Error"}`; a throttle a 429.
Two ways in, both through `handle()`:
- in-process: moto's `responses` mock routes every `requests` call to an execute-api URL here
  (moto's own router cannot invoke Lambda proxies and is switched off);
- `serve()`: a real HTTP server on 127.0.0.1 that a browser or curl can reach (werkzeug's, as
  for the moto endpoint): bodies sent with Content-Length or chunked (`curl -T -`, `requests`
  with a generator) arrive whole, and a body over API Gateway's 10 MB quota is answered 413.
  An event over Lambda's 6 MB invoke quota (a 5 MB binary body once base64-encoded) is answered
  500 on both API types without running the function, as when Lambda rejects the invocation.
Only Lambda proxy integrations run (AWS_PROXY); other integration types answer 500 with a Korean
explanation. Authorizers, API keys, usage plans, request validation and mapping templates are
not applied. binaryMediaTypes given to create_rest_api are kept (moto drops them), and
update_rest_api's add/remove/replace of `/binaryMediaTypes/image~1png` work on the type named in
the path (moto adds the operation's empty value). HTTP API quick create (`create_api(..., Target=fn_arn)`) makes the $default route,
integration and auto-deployed stage, as AWS does (moto ignores Target).
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import re
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from ..korean import josa
from .core.errors import CloudUsageError, RequestEntityTooLargeException, TooManyRequestsException, check_request_size
from .moto.registry import MotoName

if TYPE_CHECKING:
    from .core.context import CloudContext

__all__ = ["ApiGateway", "ApiResponse", "ApiRequest"]

EXECUTE_API = re.compile(r"https?://([A-Za-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(/[^?#]*)?(?:\?([^#]*))?")
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_TEXT_TYPES = re.compile(r"^(text/.*|application/(json|xml|javascript|x-www-form-urlencoded|.*\+json|.*\+xml))(;.*)?$", re.I)
# A function error or a malformed proxy response. REST APIs: 502 "Internal server error"
# (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html). HTTP APIs: 500
# "Internal Server Error" (body: http-api-troubleshooting-lambda.html; status: AWS's knowledge
# center article api-gateway-status-codes-http-api, "returns a 500 error").
_INTERNAL_ERROR = {"rest": (502, {"message": "Internal server error"}), "http": (500, {"message": "Internal Server Error"})}
# API Gateway's request payload quota (REST and HTTP APIs: 10 MB, not adjustable); over it the
# request never reaches the integration.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
_TOO_LARGE = (413, {"message": "Request Too Long"})


@dataclass
class ApiRequest:
    """An HTTP request as API Gateway receives it."""

    method: str
    path: str  # raw (still percent-encoded), starting with /
    query: str  # raw query string, without ?
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str = "127.0.0.1"


@dataclass
class ApiResponse:
    """What API Gateway answers."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class _Route:
    kind: str  # "rest" or "http"
    stage: str
    stage_variables: dict[str, str]
    resource_path: str  # REST resource path or HTTP API route path
    route_key: str
    path_parameters: dict[str, str]
    function_arn: str | None
    payload_format: str  # "1.0" or "2.0"
    resource_id: str | None = None
    stage_path: str = ""  # the path after the stage (REST: still percent-encoded, as AWS passes it)
    deployment_id: str | None = None  # REST: the stage's deployment
    problem: ApiResponse | None = None


def _json_response(status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> ApiResponse:
    return ApiResponse(status, [("Content-Type", "application/json"), *(headers or [])], json.dumps(body).encode())


def _short_id() -> str:
    """An id in API Gateway's short form (`extendedRequestId`, HTTP API `requestId`): 16 characters."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


def _template_score(template: str, segments: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """Match path segments against a resource/route template; (precedence score, parameters).

    Parameters take the segments as given: REST passes them still percent-encoded (AWS does not
    decode path parameters), HTTP APIs pass the decoded path. Literal parts match either form.
    """
    parts = [p for p in template.split("/") if p]
    params: dict[str, str] = {}
    score: list[int] = []
    for index, part in enumerate(parts):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[index:]
            if not rest or index != len(parts) - 1:
                return None
            params[part[1:-2]] = "/".join(rest)
            score.append(0)
            return tuple(score), params
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = segments[index]
            score.append(1)
        elif part in (segments[index], unquote(segments[index])):
            score.append(2)
        else:
            return None
    if len(parts) != len(segments):
        return None
    return tuple(score), params


def _deployment_id(stage: Any) -> str | None:
    """A REST stage's deployment id (moto keeps a Deployment object for stages made by CloudFormation)."""
    deployment = getattr(stage, "deployment_id", None)
    if deployment is None or isinstance(deployment, str):
        return deployment
    return getattr(deployment, "id", None)


def _function_arn(uri: str | None, stage_variables: dict[str, str]) -> str | None:
    """The Lambda ARN in an integration URI (the apigateway ARN form or a plain function ARN)."""
    if not uri:
        return None
    uri = re.sub(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}", lambda m: stage_variables.get(m.group(1), ""), uri)
    match = re.search(r"functions/(arn:[^/]+)/invocations", uri)
    if match:
        return match.group(1)
    return uri if uri.startswith("arn:") and ":lambda:" in uri else None


def _patch_binary_media_types(api: Any, op: dict[str, Any]) -> bool:
    """Apply one update_rest_api operation on `/binaryMediaTypes/<type>`, as API Gateway does:
    the type is in the path, JSON-pointer escaped (`image~1png`); `replace` puts `value` in its
    place. Returns False for any other operation (moto applies those)."""
    prefix = "/binaryMediaTypes/"
    path = str(op.get("path") or "")
    if not path.startswith(prefix) or op.get("op") not in ("add", "remove", "replace"):
        return False
    named = path[len(prefix):].replace("~1", "/").replace("~0", "~")
    types = api.binaryMediaTypes = list(api.binaryMediaTypes or [])
    if op["op"] == "add" and named not in types:
        types.append(named)
    elif op["op"] == "remove" and named in types:
        types.remove(named)
    elif op["op"] == "replace":
        value = op.get("value")
        if named in types:
            types[types.index(named)] = value
        elif value:
            types.append(value)
    return True


def _media_matches(content_type: str | None, patterns: list[str]) -> bool:
    if not content_type:
        return False
    kind = content_type.split(";")[0].strip().lower()
    for pattern in patterns:
        pattern = pattern.replace("~1", "/").lower()  # moto keeps the JSON-patch escape
        if pattern == "*/*" or pattern == kind:
            return True
        if pattern.endswith("/*") and kind.startswith(pattern[:-1]):
            return True
    return False


class ApiGateway:
    """Routes API Gateway requests to Lambda for one local cloud."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self.errors: list[str] = []  # what API Gateway would write to its execution log
        self._servers: dict[tuple[str, int], Any] = {}  # werkzeug servers started by serve()

    # ---- learner-facing

    def url(self, api_id: str, stage: str | None = None) -> str:
        """The execute-api URL of an API's stage (for `requests`, inside the notebook)."""
        kind, api = self._api(api_id)
        stage = self._default_stage(kind, api, stage)
        base = f"https://{api_id}.execute-api.{self.ctx.region}.amazonaws.com"
        return base if stage == "$default" else f"{base}/{stage}"

    def serve(self, api_id: str, stage: str | None = None, port: int = 0) -> str:
        """Serve an API on a real HTTP server at 127.0.0.1 and return its base URL."""
        kind, api = self._api(api_id)
        stage = self._default_stage(kind, api, stage)
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", port, _wsgi_app(self, api_id), threaded=True, request_handler=_request_handler())
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"api-{api_id}", daemon=True).start()
        self._servers[(api_id, server.server_address[1])] = server
        base = f"http://127.0.0.1:{server.server_address[1]}"
        return base if stage == "$default" else f"{base}/{stage}"

    def close(self) -> None:
        """Stop every server started by `serve()`."""
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        self._servers.clear()

    # ---- lookups

    def _api(self, api_id: str) -> tuple[str, Any]:
        import sys

        from moto.apigatewayv2.models import apigatewayv2_backends

        http = apigatewayv2_backends[self.ctx.account_id][self.ctx.region].apis.get(api_id)
        if http is not None and http.protocol_type == "HTTP":
            return "http", http
        if "moto.apigateway.models" in sys.modules:  # no REST API exists before moto imports it (slow)
            from moto.apigateway.models import apigateway_backends

            rest = apigateway_backends[self.ctx.account_id][self.ctx.region].apis.get(api_id)
            if rest is not None:
                return "rest", rest
        raise CloudUsageError(f"API {josa(api_id, '을')} 찾을 수 없습니다. create_rest_api 또는 apigatewayv2 create_api가 돌려준 id를 쓰십시오.")

    def _default_stage(self, kind: str, api: Any, stage: str | None) -> str:
        stages = list(api.stages)
        if stage is not None:
            if stage not in stages:
                raise CloudUsageError(f"API {api.id if kind == 'rest' else api.api_id}에 스테이지 {stage!r}가 없습니다. 있는 스테이지: {stages}")
            return stage
        if not stages:
            hint = "create_deployment(restApiId=..., stageName='dev')" if kind == "rest" else "create_stage(ApiId=..., StageName='$default', AutoDeploy=True)"
            raise CloudUsageError(f"API에 배포된 스테이지가 없습니다. {hint}로 먼저 배포하십시오.")
        return "$default" if "$default" in stages else stages[0]

    # ---- routing

    def _route_rest(self, api: Any, segments: list[str], method: str, raw_path: str = "/") -> _Route:
        if not segments or segments[0] not in api.stages:
            return _Route("rest", "", {}, "", "", {}, None, "1.0", problem=_json_response(403, {"message": "Forbidden"}))
        stage = api.stages[segments[0]]
        variables = dict(stage.variables or {})
        rest = segments[1:]
        best: tuple[tuple[int, ...], Any, dict[str, str]] | None = None
        for resource in api.resources.values():
            matched = _template_score(resource.get_path(), rest)
            if matched and (best is None or matched[0] > best[0]):
                best = (matched[0], resource, matched[1])
        missing = _json_response(403, {"message": "Missing Authentication Token"})
        if best is None:
            return _Route("rest", stage.name, variables, "", "", {}, None, "1.0", problem=missing)
        _, resource, params = best
        api_method = resource.resource_methods.get(method) or resource.resource_methods.get("ANY")
        if api_method is None:
            return _Route("rest", stage.name, variables, "", "", {}, None, "1.0", problem=missing)
        # `path` is the request's own path after the stage: still encoded, trailing slash kept
        after_stage = raw_path.lstrip("/")[len(segments[0]):]
        route = _Route(
            "rest", stage.name, variables, resource.get_path(), "", params, None, "1.0",
            resource_id=resource.id, stage_path=after_stage if after_stage.startswith("/") else "/" + after_stage,
            deployment_id=_deployment_id(stage),
        )
        integration = api_method.method_integration
        if integration is None or integration.integration_type != "AWS_PROXY":
            kind = integration.integration_type if integration else "없음"
            route.problem = _json_response(
                500, {"message": f"오프라인 클라우드는 Lambda 프록시 통합(AWS_PROXY)만 실행합니다. 이 메서드의 통합 유형: {kind}"}
            )
            return route
        route.function_arn = _function_arn(integration.uri, variables)
        return route

    def _route_http(self, api: Any, segments: list[str], method: str) -> _Route:
        not_found = _json_response(404, {"message": "Not Found"})
        if "$default" in api.stages:
            stage, rest = api.stages["$default"], segments
        elif segments and segments[0] in api.stages:
            stage, rest = api.stages[segments[0]], segments[1:]
        else:
            return _Route("http", "", {}, "", "", {}, None, "2.0", problem=not_found)
        variables = dict(stage.stage_variables or {})
        best: tuple[tuple[Any, ...], Any, dict[str, str]] | None = None
        default_route = None
        for route in api.routes.values():
            if route.route_key == "$default":
                default_route = route
                continue
            route_method, _, route_path = route.route_key.partition(" ")
            if route_method not in (method, "ANY"):
                continue
            matched = _template_score(route_path, rest)
            if matched:
                score = (matched[0], route_method == method)
                if best is None or score > best[0]:
                    best = (score, route, matched[1])
        if best is not None:
            chosen, params = best[1], best[2]
        elif default_route is not None:
            chosen, params = default_route, {}
        else:
            return _Route("http", stage.name, variables, "", "", {}, None, "2.0", problem=not_found)
        target = chosen.target or ""
        integration = api.integrations.get(target.split("/", 1)[1]) if target.startswith("integrations/") else None
        route = _Route(
            "http", stage.name, variables, chosen.route_key.partition(" ")[2], chosen.route_key, params, None,
            (integration.payload_format_version if integration else None) or "2.0", stage_path="/" + "/".join(rest),
        )
        if integration is None or integration.integration_type != "AWS_PROXY":
            route.problem = _json_response(
                500, {"message": "오프라인 클라우드는 Lambda 프록시 통합(AWS_PROXY)만 실행합니다. 라우트의 대상 통합을 확인하십시오."}
            )
            return route
        route.function_arn = _function_arn(integration.integration_uri, variables)
        return route

    # ---- events

    def _context_common(self, api_id: str, request: ApiRequest, request_id: str, now: float) -> dict[str, Any]:
        moment = _dt.datetime.fromtimestamp(now, tz=_dt.timezone.utc)
        return {
            "accountId": self.ctx.account_id,
            "apiId": api_id,
            "domainName": f"{api_id}.execute-api.{self.ctx.region}.amazonaws.com",
            "domainPrefix": api_id,
            "requestId": request_id,
            "_time": f"{moment:%d}/{_MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} +0000",
            "_epoch": int(now * 1000),
        }

    def _gateway_headers(self, api_id: str, request: ApiRequest) -> list[tuple[str, str]]:
        """The request's headers plus those API Gateway adds on the way to the integration."""
        headers = list(request.headers)
        names = {k.lower() for k, _ in headers}
        if "host" not in names:
            headers.append(("Host", f"{api_id}.execute-api.{self.ctx.region}.amazonaws.com"))
        trace = f"Root=1-{int(self.ctx.clock.now()):08x}-{secrets.token_hex(12)}"
        headers += [
            ("X-Amzn-Trace-Id", trace),
            ("X-Forwarded-For", request.source_ip),
            ("X-Forwarded-Port", "443"),
            ("X-Forwarded-Proto", "https"),
        ]
        return headers

    def event_v1(
        self, api_id: str, route: _Route, request: ApiRequest, request_id: str, binary_types: list[str],
        extended_request_id: str | None = None,
    ) -> dict[str, Any]:
        """A payload 1.0 event (REST APIs, and HTTP API integrations that ask for 1.0).

        REST keeps the client's header names and drops `Connection` and `Content-Length`; HTTP
        APIs lowercase every header name. REST passes `path`, `pathParameters` and
        `requestContext.path` still percent-encoded; HTTP APIs decode them.
        """
        now = self.ctx.clock.now()
        headers = self._gateway_headers(api_id, request)
        if route.kind == "rest":
            headers = [(k, v) for k, v in headers if k.lower() not in ("connection", "content-length")]
        else:
            headers = [(k.lower(), v) for k, v in headers]
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in headers:
            single[name] = value
            multi.setdefault(name, []).append(value)
        query = parse_qsl(request.query, keep_blank_values=True)
        query_single = {k: v for k, v in query}
        query_multi: dict[str, list[str]] = {}
        for k, v in query:
            query_multi.setdefault(k, []).append(v)
        content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
        body, encoded = self._body(request.body, binary=_media_matches(content_type, binary_types) if route.kind == "rest" else not _TEXT_TYPES.match(content_type or "text/plain"))
        user_agent = next((v for k, v in headers if k.lower() == "user-agent"), None)
        common = self._context_common(api_id, request, request_id, now)
        stage_prefix = "" if route.stage == "$default" else f"/{route.stage}"
        event: dict[str, Any] = {}
        if route.kind == "http":
            event["version"] = "1.0"
        context: dict[str, Any] = {"accountId": common["accountId"], "apiId": api_id}
        if route.kind == "rest":
            context["deploymentId"] = route.deployment_id
        event.update(
            {
                "resource": route.resource_path or route.route_key,
                "path": route.stage_path if route.kind == "rest" else unquote(request.path),
                "httpMethod": request.method,
                "headers": single,
                "multiValueHeaders": multi,
                "queryStringParameters": query_single or None,
                "multiValueQueryStringParameters": query_multi or None,
                "pathParameters": route.path_parameters or None,
                "stageVariables": route.stage_variables or None,
                "requestContext": {
                    **context,
                    "domainName": common["domainName"],
                    "domainPrefix": api_id,
                    "extendedRequestId": extended_request_id or _short_id(),
                    "httpMethod": request.method,
                    "identity": {
                        "accessKey": None,
                        "accountId": None,
                        "caller": None,
                        "cognitoAuthenticationProvider": None,
                        "cognitoAuthenticationType": None,
                        "cognitoIdentityId": None,
                        "cognitoIdentityPoolId": None,
                        "principalOrgId": None,
                        "sourceIp": request.source_ip,
                        "user": None,
                        "userAgent": user_agent,
                        "userArn": None,
                    },
                    "path": f"{stage_prefix}{route.stage_path}" if route.kind == "rest" else unquote(request.path),
                    "protocol": "HTTP/1.1",
                    "requestId": request_id,
                    "requestTime": common["_time"],
                    "requestTimeEpoch": common["_epoch"],
                    "resourceId": route.resource_id,
                    "resourcePath": route.resource_path or route.route_key,
                    "stage": route.stage,
                },
                "body": body,
                "isBase64Encoded": encoded,
            }
        )
        return event

    def event_v2(self, api_id: str, route: _Route, request: ApiRequest, request_id: str) -> dict[str, Any]:
        """A payload 2.0 event (HTTP APIs)."""
        now = self.ctx.clock.now()
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in self._gateway_headers(api_id, request):
            lowered = name.lower()
            if lowered == "cookie":
                cookies += [c.strip() for c in value.split(";") if c.strip()]
                continue
            headers[lowered] = f"{headers[lowered]},{value}" if lowered in headers else value
        query: dict[str, str] = {}
        for k, v in parse_qsl(request.query, keep_blank_values=True):
            query[k] = f"{query[k]},{v}" if k in query else v
        common = self._context_common(api_id, request, request_id, now)
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": unquote(request.path),  # HTTP APIs decode the path (rawQueryString stays raw)
            "rawQueryString": request.query,
        }
        if cookies:
            event["cookies"] = cookies
        event["headers"] = headers
        if query:
            event["queryStringParameters"] = query
        if route.path_parameters:
            event["pathParameters"] = route.path_parameters
        if route.stage_variables:
            event["stageVariables"] = route.stage_variables
        event["requestContext"] = {
            "accountId": common["accountId"],
            "apiId": api_id,
            "domainName": common["domainName"],
            "domainPrefix": api_id,
            "http": {
                "method": request.method,
                "path": unquote(request.path),
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route.route_key,
            "stage": route.stage,
            "time": common["_time"],
            "timeEpoch": common["_epoch"],
        }
        if request.body:
            body, encoded = self._body(request.body, binary=not _TEXT_TYPES.match(headers.get("content-type", "text/plain")))
            event["body"] = body
            event["isBase64Encoded"] = encoded
        else:
            event["isBase64Encoded"] = False
        return event

    @staticmethod
    def _body(raw: bytes, *, binary: bool) -> tuple[str | None, bool]:
        if not raw:
            return None, False
        if binary:
            return base64.b64encode(raw).decode(), True
        return raw.decode("utf-8", errors="replace"), False

    # ---- responses

    def _proxy_response(self, result: Any, route: _Route, accept: str | None, binary_types: list[str], request_id: str) -> ApiResponse:
        """Turn the function's answer into the HTTP response, by the payload format's rules."""
        v2 = route.payload_format == "2.0"
        if v2 and not (isinstance(result, dict) and "statusCode" in result):
            body = result if isinstance(result, str) else json.dumps(result)
            return ApiResponse(200, [("Content-Type", "application/json")], body.encode())
        if not isinstance(result, dict) or "statusCode" not in result:
            return self._malformed("statusCode가 없습니다", request_id, route.kind)
        allowed = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}
        extra = set(result) - allowed
        if extra and not v2:
            return self._malformed(f"허용되지 않는 키 {sorted(extra)}", request_id, route.kind)
        try:
            status = int(result["statusCode"])
        except (TypeError, ValueError):
            return self._malformed(f"statusCode가 정수가 아닙니다: {result['statusCode']!r}", request_id, route.kind)
        body = result.get("body")
        if body is not None and not isinstance(body, str):
            if not v2:
                return self._malformed("body는 문자열이어야 합니다(json.dumps를 쓰십시오)", request_id, route.kind)
            body = json.dumps(body)
        headers: list[tuple[str, str]] = []
        for name, value in (result.get("headers") or {}).items():
            headers.append((str(name), str(value)))
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers += [(str(name), str(v)) for v in (values or [])]
        for cookie in result.get("cookies") or []:
            headers.append(("Set-Cookie", str(cookie)))
        content = (body or "").encode()
        if result.get("isBase64Encoded") and body:
            content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
            if v2 or _media_matches(accept, binary_types) or _media_matches(content_type, binary_types):
                try:
                    content = base64.b64decode(body)
                except ValueError:
                    return self._malformed("isBase64Encoded인데 body가 base64가 아닙니다", request_id, route.kind)
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json" if not v2 else "text/plain; charset=utf-8"))
        return ApiResponse(status, headers, content)

    def _malformed(self, reason: str, request_id: str, kind: str) -> ApiResponse:
        self.errors.append(f"({request_id}) Execution failed due to configuration error: Malformed Lambda proxy response: {reason}")
        return _json_response(*_INTERNAL_ERROR[kind])

    # ---- the entry point

    def handle(self, api_id: str, request: ApiRequest) -> ApiResponse:
        """Serve one request to an API, as API Gateway would."""
        try:
            kind, api = self._api(api_id)
        except CloudUsageError:
            return _json_response(403, {"message": "Forbidden"})
        method = request.method.upper()
        # REST: a uuid requestId and a short extendedRequestId (also the x-amz-apigw-id header);
        # HTTP APIs: a short requestId (the apigw-requestid header).
        extended_id = _short_id()
        request_id = str(uuid.uuid4()) if kind == "rest" else extended_id
        if kind == "http":
            preflight = self._cors_preflight(api, request)
            if preflight is not None:
                return preflight
            # HTTP APIs route on the decoded path; REST matches its still-encoded segments
            segments = [s for s in unquote(request.path).split("/") if s]
            route = self._route_http(api, segments, method)
            binary_types: list[str] = []
        else:
            segments = [s for s in request.path.split("/") if s]
            route = self._route_rest(api, segments, method, request.path)
            binary_types = list(api.binaryMediaTypes or [])
        if route.problem is not None:
            return self._finish(api, kind, route.problem, request, request_id, extended_id)
        if route.function_arn is None:
            self.errors.append(f"({request_id}) 통합 URI에서 Lambda 함수 ARN을 찾지 못했습니다")
            return self._finish(api, kind, _json_response(*_INTERNAL_ERROR[kind]), request, request_id, extended_id)
        if route.payload_format == "2.0":
            event = self.event_v2(api_id, route, request, request_id)
        else:
            event = self.event_v1(api_id, route, request, request_id, binary_types, extended_id)
        runtime = self.ctx.runtime
        payload = json.dumps(event).encode()
        try:
            # API Gateway calls Lambda's Invoke API, whose 6 MB request quota is smaller than API
            # Gateway's own 10 MB (base64 makes a binary body a third larger). Lambda rejects the
            # invocation and API Gateway answers 500 for both API types; the function never runs.
            check_request_size(payload, "RequestResponse")
        except RequestEntityTooLargeException as exc:
            self.errors.append(f"({request_id}) RequestEntityTooLargeException: {exc}")
            body = {"rest": {"message": "Internal server error"}, "http": {"message": "Internal Server Error"}}[kind]
            return self._finish(api, kind, _json_response(500, body), request, request_id, extended_id)
        try:
            fn = runtime.resolve(route.function_arn)
            invocation = runtime.invoke(fn, payload, invoked_arn=route.function_arn)
        except TooManyRequestsException:
            return self._finish(api, kind, _json_response(429, {"message": "Too Many Requests"}), request, request_id, extended_id)
        except CloudUsageError as exc:
            self.errors.append(f"({request_id}) {exc}")
            return self._finish(api, kind, _json_response(*_INTERNAL_ERROR[kind]), request, request_id, extended_id)
        if not invocation.ok:
            self.errors.append(f"({request_id}) Lambda function error: {invocation.payload[:200]!r}")
            return self._finish(api, kind, _json_response(*_INTERNAL_ERROR[kind]), request, request_id, extended_id)
        accept = next((v for k, v in request.headers if k.lower() == "accept"), None)
        response = self._proxy_response(invocation.result, route, accept, binary_types, request_id)
        return self._finish(api, kind, response, request, request_id, extended_id)

    def _finish(
        self, api: Any, kind: str, response: ApiResponse, request: ApiRequest, request_id: str, extended_id: str
    ) -> ApiResponse:
        if kind == "rest":
            response.headers.append(("x-amzn-RequestId", request_id))
            response.headers.append(("x-amz-apigw-id", extended_id))
        else:
            response.headers.append(("Apigw-Requestid", request_id))
            response.headers += self._cors_headers(api, request)
        return response

    def _cors(self, api: Any) -> dict[str, Any] | None:
        config = getattr(api, "cors_configuration", None)
        return config if isinstance(config, dict) and config else None

    def _cors_headers(self, api: Any, request: ApiRequest) -> list[tuple[str, str]]:
        config = self._cors(api)
        origin = next((v for k, v in request.headers if k.lower() == "origin"), None)
        if config is None or origin is None:
            return []
        origins = config.get("allowOrigins") or config.get("AllowOrigins") or []
        if "*" not in origins and origin not in origins:
            return []
        headers = [("Access-Control-Allow-Origin", "*" if "*" in origins else origin)]
        expose = config.get("exposeHeaders") or config.get("ExposeHeaders")
        if expose:
            headers.append(("Access-Control-Expose-Headers", ",".join(expose)))
        if config.get("allowCredentials") or config.get("AllowCredentials"):
            headers.append(("Access-Control-Allow-Credentials", "true"))
        return headers

    def _cors_preflight(self, api: Any, request: ApiRequest) -> ApiResponse | None:
        """HTTP APIs answer CORS preflight requests themselves when CORS is configured."""
        config = self._cors(api)
        wanted = next((v for k, v in request.headers if k.lower() == "access-control-request-method"), None)
        if config is None or request.method.upper() != "OPTIONS" or wanted is None:
            return None
        allow = self._cors_headers(api, request)
        if not allow:
            return ApiResponse(204, [])
        methods = config.get("allowMethods") or config.get("AllowMethods") or ["*"]
        headers = config.get("allowHeaders") or config.get("AllowHeaders") or []
        allow.append(("Access-Control-Allow-Methods", ",".join(methods)))
        if headers:
            allow.append(("Access-Control-Allow-Headers", ",".join(headers)))
        max_age = config.get("maxAge") or config.get("MaxAge")
        if max_age:
            allow.append(("Access-Control-Max-Age", str(max_age)))
        return ApiResponse(204, allow)

    # ---- moto hooks

    def _requests_callback(self, prepared: Any) -> tuple[int, dict[str, str], bytes]:
        match = EXECUTE_API.match(str(prepared.url))
        if match is None:  # pragma: no cover - the URL pattern guarantees a match
            return 404, {}, b""
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode()
        request = ApiRequest(
            method=str(prepared.method), path=match.group(3) or "/", query=match.group(4) or "",
            headers=[(k, v) for k, v in prepared.headers.items()], body=body,
        )
        response = self.handle(match.group(1), request)
        headers: dict[str, str] = {}
        for name, value in response.headers:  # `responses` takes one value per header name
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return response.status, headers, response.body

    def install(self, set_: Callable[[Any, str, Any], None]) -> None:
        import responses
        from moto.core.models import responses_mock

        from .moto.patching import when_imported

        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
            responses_mock.add(
                responses.CallbackResponse(method=method, url=EXECUTE_API, callback=self._requests_callback, content_type=None)
            )

        def patch_rest_models() -> None:
            from moto.apigateway.models import RestAPI

            set_(RestAPI, "update_integration_mocks", lambda self, stage_name: None)  # moto's router: off
            original_patch = RestAPI.apply_patch_operations

            def apply_patch_operations(self: Any, patch_operations: list[dict[str, Any]]) -> None:
                others = [op for op in patch_operations if not _patch_binary_media_types(self, op)]
                original_patch(self, others)

            set_(RestAPI, "apply_patch_operations", apply_patch_operations)

        def patch_rest_responses() -> None:
            from moto.apigateway.responses import APIGatewayResponse

            original_create_rest_api = APIGatewayResponse.create_rest_api

            def create_rest_api(response: Any) -> Any:
                result = original_create_rest_api(response)  # moto drops binaryMediaTypes
                types = response._get_param("binaryMediaTypes")
                if types and result[0] == 200:
                    api = response.backend.get_rest_api(json.loads(result[2])["id"])
                    api.binaryMediaTypes = list(types)
                    result = (result[0], result[1], json.dumps(api.to_dict()))
                return result

            set_(APIGatewayResponse, "create_rest_api", create_rest_api)

        def patch_http_responses() -> None:
            from moto.apigatewayv2.responses import ApiGatewayV2Response

            original_create_api = ApiGatewayV2Response.create_api

            def create_api(response: Any) -> Any:
                result = original_create_api(response)
                params = json.loads(response.body or "{}")
                target = params.get("target")
                if target and params.get("protocolType") == "HTTP":  # quick create, as AWS does it
                    api = response.apigatewayv2_backend.get_api(json.loads(result[2])["apiId"])
                    integration = api.create_integration(
                        connection_type="INTERNET", description="", integration_method="POST",
                        integration_type="AWS_PROXY", integration_uri=target, payload_format_version="2.0",
                    )
                    api.create_route(
                        api_key_required=False, authorization_scopes=[], route_key=params.get("routeKey") or "$default",
                        target=f"integrations/{integration.id}",
                    )
                    api.create_stage({"stageName": "$default", "autoDeploy": True})
                return result

            set_(ApiGatewayV2Response, "create_api", create_api)

        # moto.apigateway takes ~2.5 s to import: patch it when a lab first uses it, not at start.
        when_imported("moto.apigateway.models", patch_rest_models)
        when_imported("moto.apigateway.responses", patch_rest_responses)
        when_imported("moto.apigatewayv2.responses", patch_http_responses)


# --------------------------------------------------------------------------- serve(): the HTTP transport


def _request_handler() -> type:
    """werkzeug's request handler, quiet, and keeping what WSGI loses: the request target as
    sent and the header names as the client spelled them (REST APIs pass them on so)."""
    from werkzeug.serving import WSGIRequestHandler

    class GatewayRequestHandler(WSGIRequestHandler):
        def make_environ(self) -> dict[str, Any]:
            environ = super().make_environ()
            environ["labkit.target"] = self.path
            environ["labkit.headers"] = list(self.headers.items())
            return environ

        def log_request(self, *args: Any, **kwargs: Any) -> None:  # no stderr noise in notebooks
            return None

        def log(self, type: str, message: str, *args: Any) -> None:
            if type == "error":
                super().log(type, message, *args)

    return GatewayRequestHandler


def _wsgi_app(gateway: ApiGateway, api_id: str) -> Callable[..., Any]:
    """The WSGI application of `ApiGateway.serve`: one HTTP request in, `handle()`, its answer out."""
    from http import HTTPStatus

    from werkzeug.exceptions import RequestEntityTooLarge
    from werkzeug.wsgi import get_input_stream

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        try:
            # Content-Length or chunked (werkzeug de-chunks it); over the quota: never read whole.
            # A stream stops at its limit without an error, hence one byte more than the quota.
            body = get_input_stream(environ, max_content_length=MAX_REQUEST_BYTES + 1).read()
        except RequestEntityTooLarge:
            body = None
        if body is None or len(body) > MAX_REQUEST_BYTES:
            response = _json_response(*_TOO_LARGE)
        else:
            headers = environ["labkit.headers"]
            if any(name.lower() == "transfer-encoding" for name, _ in headers):
                # API Gateway reads the whole body before it calls the integration: it passes a
                # length, not the client's framing.
                headers = [(n, v) for n, v in headers if n.lower() != "transfer-encoding"] + [("Content-Length", str(len(body)))]
            # http.server decodes the request line as Latin-1; a client that sends raw UTF-8
            # (curl with a Korean query) gets its bytes percent-encoded, as a browser would.
            target = quote(environ["labkit.target"].encode("latin-1"), safe="/?&=%:+,;@!$'()*[]~#")
            split = urlsplit(target)
            request = ApiRequest(environ["REQUEST_METHOD"], split.path or "/", split.query, headers, body, environ.get("REMOTE_ADDR", "127.0.0.1"))
            response = gateway.handle(api_id, request)
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        headers_out = [(n, v) for n, v in response.headers if n.lower() not in ("content-length", "connection")]
        headers_out.append(("Content-Length", str(len(response.body))))
        start_response(f"{response.status} {reason}".rstrip(), headers_out)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [response.body]

    return app


# moto's private names `ApiGateway.install` patches or reads (the first two on moto's import of them).
PATCHES = (
    MotoName("moto.apigateway.models:RestAPI", "update_integration_mocks", "(self, stage_name)"),
    MotoName("moto.apigateway.models:RestAPI", "apply_patch_operations", "(self, patch_operations)"),
    MotoName("moto.apigateway.models", "apigateway_backends"),
    MotoName("moto.apigatewayv2.models", "apigatewayv2_backends"),
    MotoName("moto.apigatewayv2.responses:ApiGatewayV2Response", "create_api", "(self)"),
    MotoName("moto.apigateway.responses:APIGatewayResponse", "create_rest_api", "(self)"),
    MotoName("moto.apigateway.models:RestAPI", "binaryMediaTypes", instance=True),
    MotoName("moto.core.models", "responses_mock"),
)
