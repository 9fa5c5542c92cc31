"""The event a Lambda proxy integration receives (API Gateway's "wire in"): payload 1.0 and 2.0.

- payload 1.0 (REST APIs, and HTTP API integrations that ask for it): resource, path,
  httpMethod, headers/multiValueHeaders, queryStringParameters/multiValue..., pathParameters,
  stageVariables, requestContext (identity, requestTime, ...), body, isBase64Encoded;
- payload 2.0 (HTTP APIs): version, routeKey, rawPath, rawQueryString, cookies, headers (repeated
  ones joined by commas), queryStringParameters, requestContext.http, pathParameters,
  stageVariables, body, isBase64Encoded.
Paths: REST keeps `path`, `pathParameters` and `requestContext.path` percent-encoded; HTTP APIs
decode them (`rawQueryString` stays raw); both decode query parameters. Headers: REST keeps the
client's names and drops `Connection` and `Content-Length`; HTTP APIs lowercase every name.
Bodies: REST base64-encodes a body whose Content-Type is one of the API's binaryMediaTypes, HTTP
APIs every body that is not text. After a Lambda authorizer allowed the request,
`requestContext.authorizer` holds what it returned (authorizers.py).
"""

from __future__ import annotations

import base64
import datetime as _dt
import re
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from .models import ApiRequest, Route, header, media_matches, short_id

if TYPE_CHECKING:
    from ..core.context import CloudContext

__all__ = ["event", "event_v1", "event_v2"]

_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_TEXT_TYPES = re.compile(r"^(text/.*|application/(json|xml|javascript|x-www-form-urlencoded|.*\+json|.*\+xml))(;.*)?$", re.I)


def event(
    ctx: "CloudContext", api_id: str, route: Route, request: ApiRequest, request_id: str, extended_request_id: str,
    binary_types: list[str],
) -> dict[str, Any]:
    """The event in the payload format of the route's integration."""
    if route.payload_format == "2.0":
        return event_v2(ctx, api_id, route, request, request_id)
    return event_v1(ctx, api_id, route, request, request_id, binary_types, extended_request_id)


# ---- payload 1.0


def event_v1(
    ctx: "CloudContext", api_id: str, route: Route, request: ApiRequest, request_id: str, binary_types: list[str],
    extended_request_id: str | None = None,
) -> dict[str, Any]:
    """A payload 1.0 event (REST APIs, and HTTP API integrations that ask for 1.0)."""
    now = ctx.clock.now()
    headers = _v1_headers(route.kind, _gateway_headers(ctx, api_id, request))
    single_headers, multi_headers = _single_and_multi(headers)
    query, multi_query = _single_and_multi(parse_qsl(request.query, keep_blank_values=True))
    content_type = header(headers, "content-type")
    if route.kind == "rest":
        binary = media_matches(content_type, binary_types)
    else:
        binary = not _TEXT_TYPES.match(content_type or "text/plain")
    body, encoded = _body(request.body, binary=binary)
    v1: dict[str, Any] = {"version": "1.0"} if route.kind == "http" else {}
    v1.update({
        "resource": route.resource_path or route.route_key,
        "path": route.stage_path if route.kind == "rest" else unquote(request.path),
        "httpMethod": request.method,
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": route.path_parameters or None,
        "stageVariables": route.stage_variables or None,
        "requestContext": _v1_request_context(
            ctx, api_id, route, request, request_id, extended_request_id or short_id(), header(headers, "user-agent"), now
        ),
        "body": body,
        "isBase64Encoded": encoded,
    })
    return v1


def _v1_headers(kind: str, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """REST keeps the client's names and drops Connection and Content-Length; HTTP APIs lowercase them."""
    if kind == "rest":
        return [(k, v) for k, v in headers if k.lower() not in ("connection", "content-length")]
    return [(k.lower(), v) for k, v in headers]


def _single_and_multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Payload 1.0's two views of repeated names: the last value, and every value in order."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _v1_request_context(
    ctx: "CloudContext", api_id: str, route: Route, request: ApiRequest, request_id: str, extended_request_id: str,
    user_agent: str | None, now: float,
) -> dict[str, Any]:
    time, epoch = _request_time(now)
    context: dict[str, Any] = {"accountId": ctx.account_id, "apiId": api_id}
    if route.kind == "rest":
        context["deploymentId"] = route.deployment_id
    stage_prefix = "" if route.stage == "$default" else f"/{route.stage}"
    context.update({
        "domainName": _domain(ctx, api_id),
        "domainPrefix": api_id,
        "extendedRequestId": extended_request_id,
        "httpMethod": request.method,
        "identity": _identity(request.source_ip, user_agent),
        "path": f"{stage_prefix}{route.stage_path}" if route.kind == "rest" else unquote(request.path),
        "protocol": "HTTP/1.1",
        "requestId": request_id,
        "requestTime": time,
        "requestTimeEpoch": epoch,
        "resourceId": route.resource_id,
        "resourcePath": route.resource_path or route.route_key,
        "stage": route.stage,
    })
    if route.authorizer is not None:  # what the Lambda authorizer allowed the request with
        context["authorizer"] = route.authorizer
    return context


def _identity(source_ip: str, user_agent: str | None) -> dict[str, Any]:
    """requestContext.identity of an unauthenticated caller (no IAM or Cognito authorizer runs here)."""
    return {
        "accessKey": None,
        "accountId": None,
        "caller": None,
        "cognitoAuthenticationProvider": None,
        "cognitoAuthenticationType": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "principalOrgId": None,
        "sourceIp": source_ip,
        "user": None,
        "userAgent": user_agent,
        "userArn": None,
    }


# ---- payload 2.0


def event_v2(ctx: "CloudContext", api_id: str, route: Route, request: ApiRequest, request_id: str) -> dict[str, Any]:
    """A payload 2.0 event (HTTP APIs)."""
    now = ctx.clock.now()
    headers, cookies = _v2_headers(_gateway_headers(ctx, api_id, request))
    query = _joined(parse_qsl(request.query, keep_blank_values=True))
    v2: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": unquote(request.path),  # HTTP APIs decode the path (rawQueryString stays raw)
        "rawQueryString": request.query,
    }
    if cookies:
        v2["cookies"] = cookies
    v2["headers"] = headers
    if query:
        v2["queryStringParameters"] = query
    if route.path_parameters:
        v2["pathParameters"] = route.path_parameters
    if route.stage_variables:
        v2["stageVariables"] = route.stage_variables
    v2["requestContext"] = _v2_request_context(ctx, api_id, route, request, request_id, headers.get("user-agent", ""), now)
    if request.body:
        v2["body"], v2["isBase64Encoded"] = _body(
            request.body, binary=not _TEXT_TYPES.match(headers.get("content-type", "text/plain"))
        )
    else:
        v2["isBase64Encoded"] = False
    return v2


def _v2_headers(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Lowercased headers, repeated ones joined by commas, and the Cookie header split into `cookies`."""
    cookies: list[str] = []
    others = []
    for name, value in pairs:
        if name.lower() == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        else:
            others.append((name.lower(), value))
    return _joined(others), cookies


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Payload 2.0's one view of repeated names: their values joined by commas."""
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _v2_request_context(
    ctx: "CloudContext", api_id: str, route: Route, request: ApiRequest, request_id: str, user_agent: str, now: float
) -> dict[str, Any]:
    time, epoch = _request_time(now)
    context: dict[str, Any] = {"accountId": ctx.account_id, "apiId": api_id}
    if route.authorizer is not None:  # {"lambda": context} of the Lambda authorizer
        context["authorizer"] = route.authorizer
    return {
        **context,
        "domainName": _domain(ctx, api_id),
        "domainPrefix": api_id,
        "http": {
            "method": request.method,
            "path": unquote(request.path),
            "protocol": "HTTP/1.1",
            "sourceIp": request.source_ip,
            "userAgent": user_agent,
        },
        "requestId": request_id,
        "routeKey": route.route_key,
        "stage": route.stage,
        "time": time,
        "timeEpoch": epoch,
    }


# ---- both


def _domain(ctx: "CloudContext", api_id: str) -> str:
    return f"{api_id}.execute-api.{ctx.region}.amazonaws.com"


def _request_time(now: float) -> tuple[str, int]:
    """API Gateway's request time (`02/Dec/2026:01:02:03 +0000`, CLF) and epoch milliseconds."""
    moment = _dt.datetime.fromtimestamp(now, tz=_dt.timezone.utc)
    return f"{moment:%d}/{_MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} +0000", int(now * 1000)


def _gateway_headers(ctx: "CloudContext", api_id: str, request: ApiRequest) -> list[tuple[str, str]]:
    """The request's headers plus those API Gateway adds on the way to the integration."""
    headers = list(request.headers)
    if "host" not in {k.lower() for k, _ in headers}:
        headers.append(("Host", _domain(ctx, api_id)))
    headers += [
        ("X-Amzn-Trace-Id", f"Root=1-{int(ctx.clock.now()):08x}-{secrets.token_hex(12)}"),
        ("X-Forwarded-For", request.source_ip),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
    ]
    return headers


def _body(raw: bytes, *, binary: bool) -> tuple[str | None, bool]:
    if not raw:
        return None, False
    if binary:
        return base64.b64encode(raw).decode(), True
    return raw.decode("utf-8", errors="replace"), False
