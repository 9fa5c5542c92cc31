"""The HTTP response of a Lambda proxy integration (API Gateway's "wire out"), and CORS.

- The function's answer is a proxy response object (statusCode, headers, multiValueHeaders,
  cookies, body, isBase64Encoded) or, for payload 2.0, any other JSON value: a 200
  `application/json` body.
- A function error or a malformed proxy response is, on a REST API, a 502
  `{"message": "Internal server error"}` (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html)
  and, on an HTTP API, a 500 `{"message": "Internal Server Error"}` (body:
  http-api-troubleshooting-lambda.html; status: AWS's knowledge center article
  api-gateway-status-codes-http-api, "returns a 500 error").
- HTTP APIs with a CORS configuration answer preflight requests themselves and add the
  Access-Control-* headers to every answer for an allowed Origin.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from .models import ApiRequest, ApiResponse, Route, header, json_response, media_matches

__all__ = ["MalformedProxyResponse", "internal_error", "lambda_rejected", "proxy_response", "with_gateway_headers", "cors_preflight"]

_INTERNAL_ERROR = {"rest": (502, {"message": "Internal server error"}), "http": (500, {"message": "Internal Server Error"})}
_PROXY_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}


class MalformedProxyResponse(ValueError):
    """The function answered something API Gateway cannot turn into an HTTP response (the reason, Korean)."""


def internal_error(kind: str) -> ApiResponse:
    """A function error or a malformed proxy response: REST 502, HTTP API 500."""
    return json_response(*_INTERNAL_ERROR[kind])


def lambda_rejected(kind: str) -> ApiResponse:
    """Lambda refused the invocation (the event is over its 6 MB quota): 500 on both API types,
    with each type's internal-error body."""
    return json_response(500, _INTERNAL_ERROR[kind][1])


def proxy_response(result: Any, route: Route, accept: str | None, binary_types: list[str]) -> ApiResponse:
    """Turn the function's answer into the HTTP response, by the payload format's rules; raises
    MalformedProxyResponse."""
    v2 = route.payload_format == "2.0"
    if v2 and not (isinstance(result, dict) and "statusCode" in result):
        body = result if isinstance(result, str) else json.dumps(result)
        return ApiResponse(200, [("Content-Type", "application/json")], body.encode())
    status, body = _status_and_body(result, v2)
    headers = _headers(result)
    content = (body or "").encode()
    if result.get("isBase64Encoded") and body:
        if v2 or media_matches(accept, binary_types) or media_matches(header(headers, "content-type"), binary_types):
            try:
                content = base64.b64decode(body)
            except ValueError:
                raise MalformedProxyResponse("isBase64Encoded인데 body가 base64가 아닙니다") from None
    if header(headers, "content-type") is None:
        headers.append(("Content-Type", "application/json" if not v2 else "text/plain; charset=utf-8"))
    return ApiResponse(status, headers, content)


def _status_and_body(result: Any, v2: bool) -> tuple[int, str | None]:
    """The checked statusCode and body (payload 2.0 is lenient: extra keys, a JSON body)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        raise MalformedProxyResponse("statusCode가 없습니다")
    extra = set(result) - _PROXY_KEYS
    if extra and not v2:
        raise MalformedProxyResponse(f"허용되지 않는 키 {sorted(extra)}")
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        raise MalformedProxyResponse(f"statusCode가 정수가 아닙니다: {result['statusCode']!r}") from None
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        if not v2:
            raise MalformedProxyResponse("body는 문자열이어야 합니다(json.dumps를 쓰십시오)")
        body = json.dumps(body)
    return status, body


def _headers(result: dict[str, Any]) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(str(name), str(v)) for v in (values or [])]
    for cookie in result.get("cookies") or []:
        headers.append(("Set-Cookie", str(cookie)))
    return headers


def with_gateway_headers(kind: str, api: Any, response: ApiResponse, request: ApiRequest, request_id: str, extended_id: str) -> ApiResponse:
    """The headers API Gateway adds to every answer: its request ids, and on HTTP APIs CORS."""
    if kind == "rest":
        response.headers.append(("x-amzn-RequestId", request_id))
        response.headers.append(("x-amz-apigw-id", extended_id))
    else:
        response.headers.append(("Apigw-Requestid", request_id))
        response.headers += _cors_headers(api, request)
    return response


# ---- CORS (HTTP APIs)


def cors_preflight(api: Any, request: ApiRequest) -> ApiResponse | None:
    """HTTP APIs answer CORS preflight requests themselves when CORS is configured."""
    config = _cors(api)
    wanted = header(request.headers, "access-control-request-method")
    if config is None or request.method.upper() != "OPTIONS" or wanted is None:
        return None
    allow = _cors_headers(api, request)
    if not allow:
        return ApiResponse(204, [])
    methods = _setting(config, "allowMethods") or ["*"]
    headers = _setting(config, "allowHeaders") or []
    allow.append(("Access-Control-Allow-Methods", ",".join(methods)))
    if headers:
        allow.append(("Access-Control-Allow-Headers", ",".join(headers)))
    max_age = _setting(config, "maxAge")
    if max_age:
        allow.append(("Access-Control-Max-Age", str(max_age)))
    return ApiResponse(204, allow)


def _cors(api: Any) -> dict[str, Any] | None:
    config = getattr(api, "cors_configuration", None)
    return config if isinstance(config, dict) and config else None


def _setting(config: dict[str, Any], name: str) -> Any:
    """A CORS setting by its API name (`allowOrigins`) or its CloudFormation name (`AllowOrigins`)."""
    return config.get(name) or config.get(name[0].upper() + name[1:])


def _cors_headers(api: Any, request: ApiRequest) -> list[tuple[str, str]]:
    config = _cors(api)
    origin = header(request.headers, "origin")
    if config is None or origin is None:
        return []
    origins = _setting(config, "allowOrigins") or []
    if "*" not in origins and origin not in origins:
        return []
    headers = [("Access-Control-Allow-Origin", "*" if "*" in origins else origin)]
    expose = _setting(config, "exposeHeaders")
    if expose:
        headers.append(("Access-Control-Expose-Headers", ",".join(expose)))
    if _setting(config, "allowCredentials"):
        headers.append(("Access-Control-Allow-Credentials", "true"))
    return headers
