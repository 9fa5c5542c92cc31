"""`ApiGateway`: one request in, API Gateway's answer out (route, event, invoke, response)."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any, Callable

from ..core.errors import CloudUsageError, RequestEntityTooLargeException, TooManyRequestsException, check_request_size
from . import patches, server
from .models import ApiRequest, ApiResponse, Route, header, json_response, short_id
from .authorizers import Authorizers
from .mock import mock_response
from .payloads import event, event_v1, event_v2
from .proxy import MalformedProxyResponse, cors_preflight, internal_error, lambda_rejected, proxy_response, with_gateway_headers
from .routing import default_stage, find_api, route

if TYPE_CHECKING:
    from ..core.context import CloudContext

__all__ = ["ApiGateway"]


class ApiGateway:
    """Routes API Gateway requests to Lambda for one offline cloud."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self.errors: list[str] = []  # what API Gateway would write to its execution log
        self.authorizers = Authorizers(ctx, self.errors)  # Lambda authorizers and their cached results
        self._servers: dict[tuple[str, int], Any] = {}  # werkzeug servers started by serve()

    # ---- learner-facing

    def url(self, api_id: str, stage: str | None = None) -> str:
        """The execute-api URL of an API's stage (for `requests`, inside the notebook)."""
        kind, api = find_api(self.ctx, api_id)
        stage = default_stage(kind, api, stage)
        base = f"https://{api_id}.execute-api.{self.ctx.region}.amazonaws.com"
        return base if stage == "$default" else f"{base}/{stage}"

    def serve(self, api_id: str, stage: str | None = None, port: int = 0) -> str:
        """Serve an API on a real HTTP server at 127.0.0.1 and return its base URL."""
        kind, api = find_api(self.ctx, api_id)
        stage = default_stage(kind, api, stage)
        http_server = server.serve(self.handle, api_id, port)
        self._servers[(api_id, http_server.server_address[1])] = http_server
        base = f"http://127.0.0.1:{http_server.server_address[1]}"
        return base if stage == "$default" else f"{base}/{stage}"

    def close(self) -> None:
        """Stop every server started by `serve()`."""
        for http_server in self._servers.values():
            http_server.shutdown()
            http_server.server_close()
        self._servers.clear()

    def install(self, set_: Callable[[Any, str, Any], None]) -> None:
        """Install API Gateway's moto patches (patches.py), routing execute-api URLs to `handle`."""
        patches.install(set_, self.handle)

    # ---- the entry point

    def handle(self, api_id: str, request: ApiRequest) -> ApiResponse:
        """Serve one request to an API, as API Gateway would."""
        try:
            kind, api = find_api(self.ctx, api_id)
        except CloudUsageError:
            return json_response(403, {"message": "Forbidden"})
        # REST: a uuid requestId and a short extendedRequestId (also the x-amz-apigw-id header);
        # HTTP APIs: a short requestId (the apigw-requestid header).
        extended_id = short_id()
        request_id = str(uuid.uuid4()) if kind == "rest" else extended_id
        if kind == "http":
            preflight = cors_preflight(api, request)
            if preflight is not None:
                return preflight
        matched = route(kind, api, request)
        response = self._answer(api_id, kind, api, matched, request, request_id, extended_id)
        return with_gateway_headers(kind, api, response, request, request_id, extended_id)

    def _answer(
        self, api_id: str, kind: str, api: Any, matched: Route, request: ApiRequest, request_id: str, extended_id: str
    ) -> ApiResponse:
        """The answer to a routed request: API Gateway's own, or the function's through the proxy rules."""
        if matched.authorizer_id is not None:  # the method's Lambda authorizer runs before its integration
            binary = list(api.binaryMediaTypes or []) if kind == "rest" else []

            def event_of(for_route: Route, payload_format: str) -> dict[str, Any]:
                if payload_format == "2.0":
                    return event_v2(self.ctx, api_id, for_route, request, request_id)
                return event_v1(self.ctx, api_id, for_route, request, request_id, binary, extended_id)

            verdict = self.authorizers.authorize(api_id, kind, api, matched, request, request_id, event_of)
            if verdict.response is not None:
                return verdict.response
            matched.authorizer = verdict.context
        if matched.problem is not None:
            return matched.problem
        if matched.mock is not None:
            return mock_response(matched.mock, request)
        if matched.function_arn is None:
            self.errors.append(f"({request_id}) 통합 URI에서 Lambda 함수 ARN을 찾지 못했습니다")
            return internal_error(kind)
        binary_types = list(api.binaryMediaTypes or []) if kind == "rest" else []
        payload = json.dumps(event(self.ctx, api_id, matched, request, request_id, extended_id, binary_types)).encode()
        try:
            # API Gateway calls Lambda's Invoke API, whose 6 MB request quota is smaller than API
            # Gateway's own 10 MB (base64 makes a binary body a third larger). Lambda rejects the
            # invocation and API Gateway answers 500 for both API types; the function never runs.
            check_request_size(payload, "RequestResponse")
        except RequestEntityTooLargeException as exc:
            self.errors.append(f"({request_id}) RequestEntityTooLargeException: {exc}")
            return lambda_rejected(kind)
        runtime = self.ctx.runtime
        try:
            invocation = runtime.invoke(runtime.resolve(matched.function_arn), payload, invoked_arn=matched.function_arn)
        except TooManyRequestsException:
            return json_response(429, {"message": "Too Many Requests"})
        except CloudUsageError as exc:
            self.errors.append(f"({request_id}) {exc}")
            return internal_error(kind)
        if not invocation.ok:
            self.errors.append(f"({request_id}) Lambda function error: {invocation.payload[:200]!r}")
            return internal_error(kind)
        try:
            return proxy_response(invocation.result, matched, header(request.headers, "accept"), binary_types)
        except MalformedProxyResponse as exc:
            self.errors.append(f"({request_id}) Execution failed due to configuration error: Malformed Lambda proxy response: {exc}")
            return internal_error(kind)
