"""The values API Gateway works with: a request, its answer, the route it matched, and the
answers API Gateway gives itself (errors, ids)."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ApiRequest", "ApiResponse", "Route", "json_response", "short_id", "header", "media_matches"]


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
        return header(self.headers, name)


@dataclass
class Route:
    """What a request matched: a REST resource and method, or an HTTP API route."""

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
    problem: ApiResponse | None = None  # API Gateway's own answer: no such stage, route or integration
    authorizer_id: str | None = None  # the method's or route's Lambda authorizer (authorizationType CUSTOM)
    authorizer: dict[str, Any] | None = None  # requestContext.authorizer, once the authorizer allowed the request
    mock: Any = None  # REST: the MOCK integration that answers instead of a function


def json_response(status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> ApiResponse:
    return ApiResponse(status, [("Content-Type", "application/json"), *(headers or [])], json.dumps(body).encode())


def short_id() -> str:
    """An id in API Gateway's short form (`extendedRequestId`, HTTP API `requestId`): 16 characters."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first value of a header, by its name in any case."""
    name = name.lower()
    return next((v for k, v in headers if k.lower() == name), None)


def media_matches(content_type: str | None, patterns: list[str]) -> bool:
    """Whether a Content-Type (or Accept) value is one of a REST API's binaryMediaTypes."""
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
