"""Lambda authorizers, as API Gateway runs them before the integration.

REST APIs (a method with `authorizationType` CUSTOM and an `authorizerId`):
- TOKEN: the header named by `identitySource` (`method.request.header.Authorization`) is the
  token; missing or empty, or not matching `identityValidationExpression`, is 401 without
  invoking the function; the event is `{type, authorizationToken, methodArn}`;
- REQUEST: the event is the request in payload 1.0 (no body) with `type` and `methodArn`; every
  identity source (`method.request.header.X`, `method.request.querystring.Y`, `stageVariables.Z`,
  `context.W`) must be present and non-empty, else 401 without invoking;
- the function answers `{principalId, policyDocument, context}`; raising "Unauthorized" is 401
  `{"message":"Unauthorized"}`; an explicit Deny for the methodArn is 403 `{"Message": "User is not
  authorized to access this resource with an explicit deny"}`, no Allow is 403 `{"Message": "User
  is not authorized to access this resource"}`; any other error, a timeout or a malformed answer
  is 500 `{"message": null}` (AuthorizerConfigurationException);
- the integration sees `requestContext.authorizer`: principalId, the context map with its values
  stringified, integrationLatency.
HTTP APIs (a route with `authorizationType` CUSTOM): REQUEST authorizers, payload 1.0 (answers an
IAM policy) or 2.0 (with `enableSimpleResponses`: `{isAuthorized, context}`); missing identity
sources are 401, a refusal 403 `{"message":"Forbidden"}`, anything else 500 `{"message":"Internal
Server Error"}`; the integration sees `requestContext.authorizer.lambda` (the context as returned).
Results are cached by identity source values for `authorizerResultTtlInSeconds` (default 300, 0
disables) on the lab's clock; a cached policy is evaluated against each request's ARN.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from ...korean import josa
from ..core.errors import CloudUsageError, TooManyRequestsException
from .models import ApiRequest, ApiResponse, Route, header, json_response
from .proxy import internal_error

if TYPE_CHECKING:
    from ..core.context import CloudContext

__all__ = ["Authorizers", "Authorization", "AuthorizerConfig", "MalformedAuthorizerResponse", "policy_allows", "method_arn"]

DEFAULT_TTL = 300
_UNAUTHORIZED = {"rest": ({"message": "Unauthorized"}, "UnauthorizedException"), "http": ({"message": "Unauthorized"}, None)}
_EXPLICIT_DENY = "User is not authorized to access this resource with an explicit deny"
_IMPLICIT_DENY = "User is not authorized to access this resource"


class MalformedAuthorizerResponse(ValueError):
    """The authorizer answered what API Gateway cannot use (the reason and the fix, Korean)."""


@dataclass(frozen=True)
class AuthorizerConfig:
    """One Lambda authorizer, read from moto's REST or HTTP API authorizer."""

    kind: str  # "rest" or "http"
    authorizer_id: str
    name: str
    type: str  # TOKEN or REQUEST
    function_arn: str | None
    identity_sources: tuple[str, ...]
    validation_expression: str | None
    ttl: int
    payload_format: str  # REST: "1.0"; HTTP APIs: "1.0" or "2.0"
    simple_responses: bool

    @classmethod
    def of(cls, kind: str, authorizer: Any) -> "AuthorizerConfig":
        from .routing import function_arn

        if kind == "rest":
            sources = [s.strip() for s in str(authorizer.identity_source or "").split(",") if s.strip()]
            ttl = authorizer.authorizer_result_ttl
            return cls(
                "rest", authorizer.id, authorizer.name or authorizer.id, str(authorizer.type or "TOKEN").upper(),
                function_arn(authorizer.authorizer_uri, {}), tuple(sources),
                getattr(authorizer, "identity_validation_expression", None) or None,
                DEFAULT_TTL if ttl is None else int(ttl), "1.0", False,
            )
        sources = authorizer.identity_source or []
        if isinstance(sources, str):
            sources = [s.strip() for s in sources.split(",") if s.strip()]
        ttl = authorizer.auth_result_ttl
        return cls(
            "http", authorizer.id, authorizer.name or authorizer.id, str(authorizer.authorizer_type or "REQUEST").upper(),
            function_arn(authorizer.authorizer_uri, {}), tuple(sources), None,
            DEFAULT_TTL if ttl is None else int(ttl), str(authorizer.auth_payload_format_version or "2.0"),
            bool(authorizer.enable_simple_response),
        )


@dataclass
class Authorization:
    """An authorizer's verdict: API Gateway's answer (refused), or what the integration sees."""

    response: ApiResponse | None = None
    context: dict[str, Any] | None = None  # requestContext.authorizer
    invoked: bool = False


@dataclass
class _Cached:
    expires: float
    output: Any


@dataclass
class Authorizers:
    """The authorizers of one offline cloud: runs them and keeps their cached results."""

    ctx: "CloudContext"
    errors: list[str]
    _cache: dict[tuple[str, str, tuple[str, ...]], _Cached] = field(default_factory=dict)

    def authorize(self, api_id: str, kind: str, api: Any, route: Route, request: ApiRequest, request_id: str,
                  event_of: Any) -> Authorization:
        """Run the route's Lambda authorizer; `event_of(route)` builds the request's payload-1.0/2.0 event."""
        raw = (api.authorizers or {}).get(route.authorizer_id or "")
        if raw is None:
            self.errors.append(f"({request_id}) 권한 부여자 {josa(route.authorizer_id or '(없음)', '을')} 찾지 못했습니다. "
                               "메서드의 authorizerId를 create_authorizer가 돌려준 id로 지정하십시오.")
            return Authorization(_server_error(kind))
        config = AuthorizerConfig.of(kind, raw)
        if config.type not in ("TOKEN", "REQUEST"):  # COGNITO_USER_POOLS, JWT
            self.errors.append(f"({request_id}) 권한 부여자 {config.name}의 유형 {config.type}: 오프라인 클라우드는 "
                               "Lambda 권한 부여자(TOKEN, REQUEST)만 실행합니다. Lambda 권한 부여자로 바꾸어 실습하십시오.")
            return Authorization(_server_error(kind))
        arn = method_arn(self.ctx, api_id, route, request)
        identity = _identity(config, route, request)
        if identity is None:
            return Authorization(_unauthorized(kind))
        key = (api_id, config.authorizer_id, identity)
        caching = config.ttl > 0 and bool(config.identity_sources)
        cached = self._cache.get(key) if caching else None
        now = self.ctx.clock.now()
        invoked = False
        latency = 0
        if cached is not None and cached.expires > now:
            output = cached.output
        else:
            started = time.monotonic()
            outcome = self._invoke(config, route, request, request_id, arn, identity, event_of)
            latency = int((time.monotonic() - started) * 1000)
            invoked = True
            if isinstance(outcome, ApiResponse):
                return Authorization(outcome, invoked=True)
            output = outcome
            if caching:
                self._cache[key] = _Cached(now + config.ttl, output)
        verdict = self._verdict(config, output, arn, latency)
        verdict.invoked = invoked
        return verdict

    # ---- invoking the function

    def _invoke(self, config: AuthorizerConfig, route: Route, request: ApiRequest, request_id: str, arn: str,
                identity: tuple[str, ...], event_of: Any) -> Any:
        """The function's decoded answer, or API Gateway's own answer when there is none to use."""
        kind = config.kind
        if config.function_arn is None:
            self.errors.append(f"({request_id}) 권한 부여자 {config.name}의 authorizerUri에서 Lambda 함수 ARN을 찾지 못했습니다.")
            return _server_error(kind)
        event = _event(config, route, request, arn, identity, event_of)
        runtime = self.ctx.runtime
        try:
            fn = runtime.resolve(config.function_arn)
            invocation = runtime.invoke(fn, json.dumps(event).encode(), invoked_arn=config.function_arn)
        except TooManyRequestsException:
            self._complain(request_id, None, "권한 부여자 함수가 스로틀링되었습니다(예약된 동시성을 확인하십시오).")
            return _server_error(kind)
        except CloudUsageError as exc:
            self._complain(request_id, None, f"권한 부여자 함수를 호출하지 못했습니다: {exc}")
            return _server_error(kind)
        name = invocation.function_name
        if invocation.timed_out:
            timeout = runtime.spec_for(fn).timeout_s
            self._complain(request_id, invocation, (
                f"권한 부여자 함수 {josa(name, '이')} 제한 시간({timeout:g}초) 안에 끝나지 않아 API Gateway가 500으로 답했습니다. "
                "함수의 Timeout을 늘리거나 권한 부여자에서 느린 호출을 줄이십시오."))
            return _server_error(kind)
        if not invocation.ok:
            error = _error_of(invocation.payload)
            if kind == "rest" and error.get("errorMessage") == "Unauthorized":
                return _unauthorized(kind)  # the documented way to answer 401
            hint = ("401을 돌려주려면 정확히 raise Exception(\"Unauthorized\")를 쓰십시오. " if kind == "rest" else
                    "거절하려면 예외 대신 isAuthorized가 false인 응답이나 Deny 정책을 돌려주십시오. ")
            self._complain(request_id, invocation, (
                f"권한 부여자 함수 {josa(name, '이')} 오류로 끝나 API Gateway가 500으로 답했습니다"
                f"({error.get('errorType')}: {error.get('errorMessage')}). {hint}"))
            return _server_error(kind)
        try:
            output = invocation.result
            _check_output(config, output)
        except (ValueError, MalformedAuthorizerResponse) as exc:
            self._complain(request_id, invocation, f"권한 부여자 함수 {name}의 응답 형식이 잘못되어 API Gateway가 500으로 답했습니다: {exc}")
            return _server_error(kind)
        return output

    def _complain(self, request_id: str, invocation: Any, message: str) -> None:
        """What went wrong, in API Gateway's execution log (`errors`) and in the function's own log."""
        self.errors.append(f"({request_id}) {message}")
        if invocation is None:
            return
        from ..awslambda.logs import read_log_events

        group = f"/aws/lambda/{invocation.function_name}"
        start = f"START RequestId: {invocation.request_id}"
        stream = next((e["logStreamName"] for e in read_log_events(self.ctx.account_id, self.ctx.region, group)
                       if e["message"].startswith(start)), "api-gateway")
        self.ctx.runtime.logs.write(group, stream, [(self.ctx.clock.now_millis(), f"[API Gateway] {message}")])

    # ---- the verdict

    def _verdict(self, config: AuthorizerConfig, output: dict[str, Any], arn: str, latency: int) -> Authorization:
        kind = config.kind
        if kind == "http" and config.payload_format == "2.0" and config.simple_responses:
            if output.get("isAuthorized") is not True:
                return Authorization(json_response(403, {"message": "Forbidden"}))
            return Authorization(context={"lambda": output.get("context") or {}})
        verdict = policy_allows(output.get("policyDocument") or {}, arn)
        if verdict != "allow":
            if kind == "http":
                return Authorization(json_response(403, {"message": "Forbidden"}))
            message = _EXPLICIT_DENY if verdict == "deny" else _IMPLICIT_DENY
            return Authorization(json_response(403, {"Message": message}, [("x-amzn-ErrorType", "AccessDeniedException")]))
        context = output.get("context") or {}
        if kind == "http":
            return Authorization(context={"lambda": context})
        seen: dict[str, Any] = {"principalId": str(output.get("principalId"))}
        seen.update({str(k): _stringified(v) for k, v in context.items()})
        seen["integrationLatency"] = latency
        return Authorization(context=seen)


# ---- identity sources


def _identity(config: AuthorizerConfig, route: Route, request: ApiRequest) -> tuple[str, ...] | None:
    """The identity source values (the cache key), or None when one is missing or the TOKEN is invalid."""
    values: list[str] = []
    query = dict(parse_qsl(request.query, keep_blank_values=True))
    for source in config.identity_sources:
        value = _source_value(source, route, request, query)
        if not value:
            return None
        values.append(value)
    if config.kind == "rest" and config.type == "TOKEN":
        if not values:
            return None
        if config.validation_expression and re.fullmatch(config.validation_expression, values[0]) is None:
            return None
    return tuple(values)


def _source_value(source: str, route: Route, request: ApiRequest, query: dict[str, str]) -> str | None:
    """One identity source's value: `method.request.header.X` (REST) or `$request.header.X` (HTTP API), ..."""
    expression = source.strip().removeprefix("$")
    for prefix in ("method.request.header.", "request.header."):
        if expression.startswith(prefix):
            return header(request.headers, expression[len(prefix):])
    for prefix in ("method.request.querystring.", "request.querystring."):
        if expression.startswith(prefix):
            return query.get(expression[len(prefix):])
    if expression.startswith("stageVariables."):
        return route.stage_variables.get(expression[len("stageVariables."):])
    if expression.startswith("context."):
        return {"routeKey": route.route_key, "stage": route.stage, "httpMethod": request.method,
                "resourcePath": route.resource_path, "sourceIp": request.source_ip}.get(expression[len("context."):])
    return None


# ---- events


def method_arn(ctx: "CloudContext", api_id: str, route: Route, request: ApiRequest) -> str:
    """`arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}` of the request (REST
    `methodArn`, HTTP API `routeArn`): the path as requested, parameters filled in."""
    path = route.stage_path.lstrip("/")
    return f"arn:aws:execute-api:{ctx.region}:{ctx.account_id}:{api_id}/{route.stage}/{request.method.upper()}/{path}"


def _event(config: AuthorizerConfig, route: Route, request: ApiRequest, arn: str, identity: tuple[str, ...],
           event_of: Any) -> dict[str, Any]:
    if config.kind == "rest" and config.type == "TOKEN":
        return {"type": "TOKEN", "authorizationToken": identity[0], "methodArn": arn}
    event = event_of(route, config.payload_format)
    for key in ("body", "isBase64Encoded"):
        event.pop(key, None)
    if config.payload_format == "2.0":
        head = {"version": "2.0", "type": "REQUEST", "routeArn": arn, "identitySource": list(identity) or None}
        event.pop("version", None)
        return {**head, **event}
    head: dict[str, Any] = {"type": "REQUEST", "methodArn": arn}
    if config.kind == "http":
        joined = ",".join(identity)
        head = {"version": "1.0", **head, "identitySource": joined, "authorizationToken": joined}
        event.pop("version", None)
    return {**head, **event}


# ---- the answer


def _check_output(config: AuthorizerConfig, output: Any) -> None:
    """Raise MalformedAuthorizerResponse (Korean: what is wrong, how to fix it) unless API Gateway can use `output`."""
    if output == "Unauthorized":  # Node's callback("Unauthorized") is an error; a returned string is not
        raise MalformedAuthorizerResponse(
            "문자열 \"Unauthorized\"를 돌려주었습니다. 401로 거절하려면 돌려주지 말고 raise Exception(\"Unauthorized\")로 예외를 내십시오.")
    if not isinstance(output, dict):
        raise MalformedAuthorizerResponse(
            f"JSON 객체가 아니라 {type(output).__name__} 값을 돌려주었습니다. principalId와 policyDocument가 있는 dict를 돌려주십시오.")
    if config.kind == "http" and config.payload_format == "2.0" and config.simple_responses:
        if not isinstance(output.get("isAuthorized"), bool):
            raise MalformedAuthorizerResponse(
                "단순 응답(EnableSimpleResponses)에는 불리언 isAuthorized가 있어야 합니다. {\"isAuthorized\": True, \"context\": {...}}를 돌려주십시오.")
        _check_context(config, output)
        return
    if config.kind == "rest" and not isinstance(output.get("principalId"), str):
        raise MalformedAuthorizerResponse("principalId(문자열)가 없습니다. 호출자를 나타내는 문자열을 principalId로 돌려주십시오.")
    policy = output.get("policyDocument")
    if not isinstance(policy, dict):
        raise MalformedAuthorizerResponse(
            "policyDocument가 없거나 객체가 아닙니다. {\"Version\": \"2012-10-17\", \"Statement\": [...]} 형태로 돌려주십시오.")
    statements = policy.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not statements:
        raise MalformedAuthorizerResponse("policyDocument.Statement가 비었거나 목록이 아닙니다. 문장을 하나 이상 넣으십시오.")
    for number, statement in enumerate(statements, 1):
        if not isinstance(statement, dict):
            raise MalformedAuthorizerResponse(f"Statement {number}번째가 객체가 아닙니다.")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise MalformedAuthorizerResponse(
                f"Statement {number}번째의 Effect가 {statement.get('Effect')!r}입니다. 대소문자까지 정확히 \"Allow\" 또는 \"Deny\"로 쓰십시오.")
        if "Action" not in statement or "Resource" not in statement:
            raise MalformedAuthorizerResponse(
                f"Statement {number}번째에 Action 또는 Resource가 없습니다. Action은 \"execute-api:Invoke\", Resource는 event의 methodArn을 쓰십시오.")
    _check_context(config, output)


def _check_context(config: AuthorizerConfig, output: dict[str, Any]) -> None:
    context = output.get("context")
    if context is None:
        return
    if not isinstance(context, dict):
        raise MalformedAuthorizerResponse("context는 키-값 객체여야 합니다.")
    if config.kind == "rest":
        for key, value in context.items():
            if isinstance(value, (dict, list)) or value is None:
                raise MalformedAuthorizerResponse(
                    f"context[{key!r}]가 {type(value).__name__}입니다. REST API의 context 값은 문자열, 숫자, 불리언만 됩니다. "
                    "json.dumps로 문자열로 바꾸어 넣으십시오.")


def policy_allows(policy: dict[str, Any], arn: str) -> str:
    """IAM evaluation of an authorizer's policy for one ARN: "deny" (an explicit Deny), "allow", or
    "implicit" (no statement allows it). Action and Resource take `*` and `?` wildcards."""
    statements = policy.get("Statement") or []
    statements = [statements] if isinstance(statements, dict) else statements
    allowed = False
    for statement in statements:
        if not (_any_matches(statement.get("Action"), "execute-api:Invoke", ignore_case=True)
                and _any_matches(statement.get("Resource"), arn)):
            continue
        if statement.get("Effect") == "Deny":
            return "deny"
        allowed = allowed or statement.get("Effect") == "Allow"
    return "allow" if allowed else "implicit"


def _any_matches(patterns: Any, value: str, *, ignore_case: bool = False) -> bool:
    patterns = [patterns] if isinstance(patterns, str) else list(patterns or [])
    for pattern in patterns:
        regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in str(pattern))
        if re.fullmatch(regex, value, (re.IGNORECASE if ignore_case else 0) | re.DOTALL):
            return True
    return False


def _stringified(value: Any) -> str:
    """REST APIs pass every context value on as a string: true -> "true", 1 -> "1"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error_of(payload: bytes) -> dict[str, Any]:
    try:
        error = json.loads(payload)
    except ValueError:
        return {}
    return error if isinstance(error, dict) else {}


def _unauthorized(kind: str) -> ApiResponse:
    body, error_type = _UNAUTHORIZED[kind]
    return json_response(401, body, [("x-amzn-ErrorType", error_type)] if error_type else None)


def _server_error(kind: str) -> ApiResponse:
    """The authorizer could not be used: REST's AuthorizerConfigurationException, HTTP APIs' 500."""
    if kind == "rest":
        return json_response(500, {"message": None}, [("x-amzn-ErrorType", "AuthorizerConfigurationException")])
    return internal_error(kind)
