"""Which API, stage, resource or route, and function a request reaches (moto's "urls").

REST APIs: the first path segment names the stage; resources match literal segments before
`{param}` before `{proxy+}`, on the still-encoded path; the method or ANY. An unknown stage is
403 Forbidden, an unknown resource or method 403 Missing Authentication Token. HTTP APIs: the
`$default` stage takes the whole path, another stage its first segment; routes `GET /items/{id}`,
`ANY /{proxy+}` and `$default` match the decoded path, an exact method before ANY; nothing
matched is 404 Not Found. Lambda proxy integrations (AWS_PROXY) run, and REST MOCK integrations
answer from their integration response (mock.py). A method or route with authorizationType
CUSTOM names its Lambda authorizer (`Route.authorizer_id`, authorizers.py).
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ...korean import josa
from ..core.errors import CloudUsageError
from .models import ApiRequest, Route, json_response

if TYPE_CHECKING:
    from ..core.context import CloudContext

__all__ = ["find_api", "default_stage", "route", "template_score", "function_arn"]

_ONLY_PROXY = "오프라인 클라우드는 Lambda 프록시 통합(AWS_PROXY)만 실행합니다."


def find_api(ctx: "CloudContext", api_id: str) -> tuple[str, Any]:
    """("http", moto's Api) or ("rest", moto's RestAPI); a CloudUsageError when there is none."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    http = apigatewayv2_backends[ctx.account_id][ctx.region].apis.get(api_id)
    if http is not None and http.protocol_type == "HTTP":
        return "http", http
    if "moto.apigateway.models" in sys.modules:  # no REST API exists before moto imports it (slow)
        from moto.apigateway.models import apigateway_backends

        rest = apigateway_backends[ctx.account_id][ctx.region].apis.get(api_id)
        if rest is not None:
            return "rest", rest
    raise CloudUsageError(f"API {josa(api_id, '을')} 찾을 수 없습니다. create_rest_api 또는 apigatewayv2 create_api가 돌려준 id를 쓰십시오.")


def default_stage(kind: str, api: Any, stage: str | None) -> str:
    """The stage a URL is for: the one asked for (it must exist), else `$default` or the first."""
    stages = list(api.stages)
    if stage is not None:
        if stage not in stages:
            raise CloudUsageError(f"API {api.id if kind == 'rest' else api.api_id}에 스테이지 {stage!r}가 없습니다. 있는 스테이지: {stages}")
        return stage
    if not stages:
        hint = "create_deployment(restApiId=..., stageName='dev')" if kind == "rest" else "create_stage(ApiId=..., StageName='$default', AutoDeploy=True)"
        raise CloudUsageError(f"API에 배포된 스테이지가 없습니다. {hint}로 먼저 배포하십시오.")
    return "$default" if "$default" in stages else stages[0]


def route(kind: str, api: Any, request: ApiRequest) -> Route:
    """Match a request to a route of its API (a `Route` with `problem` set when API Gateway answers itself)."""
    method = request.method.upper()
    if kind == "http":  # HTTP APIs route on the decoded path; REST matches its still-encoded segments
        return _route_http(api, [s for s in unquote(request.path).split("/") if s], method)
    return _route_rest(api, [s for s in request.path.split("/") if s], method, request.path)


def template_score(template: str, segments: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
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


def _route_rest(api: Any, segments: list[str], method: str, raw_path: str = "/") -> Route:
    if not segments or segments[0] not in api.stages:
        return Route("rest", "", {}, "", "", {}, None, "1.0", problem=json_response(403, {"message": "Forbidden"}))
    stage = api.stages[segments[0]]
    variables = dict(stage.variables or {})
    rest = segments[1:]
    best: tuple[tuple[int, ...], Any, dict[str, str]] | None = None
    for resource in api.resources.values():
        matched = template_score(resource.get_path(), rest)
        if matched and (best is None or matched[0] > best[0]):
            best = (matched[0], resource, matched[1])
    missing = json_response(403, {"message": "Missing Authentication Token"})
    if best is None:
        return Route("rest", stage.name, variables, "", "", {}, None, "1.0", problem=missing)
    _, resource, params = best
    api_method = resource.resource_methods.get(method) or resource.resource_methods.get("ANY")
    if api_method is None:
        return Route("rest", stage.name, variables, "", "", {}, None, "1.0", problem=missing)
    # `path` is the request's own path after the stage: still encoded, trailing slash kept
    after_stage = raw_path.lstrip("/")[len(segments[0]):]
    matched_route = Route(
        "rest", stage.name, variables, resource.get_path(), "", params, None, "1.0",
        resource_id=resource.id, stage_path=after_stage if after_stage.startswith("/") else "/" + after_stage,
        deployment_id=_deployment_id(stage), authorizer_id=_custom(api_method.authorization_type, api_method.authorizer_id),
    )
    integration = api_method.method_integration
    if integration is not None and integration.integration_type == "MOCK":
        matched_route.mock = integration
        return matched_route
    if integration is None or integration.integration_type != "AWS_PROXY":
        kind = integration.integration_type if integration else "없음"
        fix = (" Serverless Framework의 http 이벤트라면 integration: lambda를 빼서(기본값 lambda-proxy) 핸들러가 "
               "{statusCode, body}를 돌려주게 하십시오. CloudFormation이라면 Integration.Type을 AWS_PROXY로 두십시오."
               if kind == "AWS" else "")
        matched_route.problem = json_response(
            500, {"message": f"{_ONLY_PROXY} {method} {resource.get_path()}의 통합 유형: {kind}.{fix}"})
        return matched_route
    matched_route.function_arn = function_arn(integration.uri, variables)
    return matched_route


def _route_http(api: Any, segments: list[str], method: str) -> Route:
    not_found = json_response(404, {"message": "Not Found"})
    if "$default" in api.stages:
        stage, rest = api.stages["$default"], segments
    elif segments and segments[0] in api.stages:
        stage, rest = api.stages[segments[0]], segments[1:]
    else:
        return Route("http", "", {}, "", "", {}, None, "2.0", problem=not_found)
    variables = dict(stage.stage_variables or {})
    best: tuple[tuple[Any, ...], Any, dict[str, str]] | None = None
    default_route = None
    for candidate in api.routes.values():
        if candidate.route_key == "$default":
            default_route = candidate
            continue
        route_method, _, route_path = candidate.route_key.partition(" ")
        if route_method not in (method, "ANY"):
            continue
        matched = template_score(route_path, rest)
        if matched:
            score = (matched[0], route_method == method)
            if best is None or score > best[0]:
                best = (score, candidate, matched[1])
    if best is not None:
        chosen, params = best[1], best[2]
    elif default_route is not None:
        chosen, params = default_route, {}
    else:
        return Route("http", stage.name, variables, "", "", {}, None, "2.0", problem=not_found)
    target = chosen.target or ""
    integration = api.integrations.get(target.split("/", 1)[1]) if target.startswith("integrations/") else None
    matched_route = Route(
        "http", stage.name, variables, chosen.route_key.partition(" ")[2], chosen.route_key, params, None,
        (integration.payload_format_version if integration else None) or "2.0", stage_path="/" + "/".join(rest),
        authorizer_id=_custom(getattr(chosen, "authorization_type", None), getattr(chosen, "authorizer_id", None)),
    )
    if integration is None or integration.integration_type != "AWS_PROXY":
        matched_route.problem = json_response(500, {"message": f"{_ONLY_PROXY} 라우트의 대상 통합을 확인하십시오."})
        return matched_route
    matched_route.function_arn = function_arn(integration.integration_uri, variables)
    return matched_route


def _custom(authorization_type: str | None, authorizer_id: str | None) -> str | None:
    """The authorizer a method or route runs first: its id when the authorization type is CUSTOM
    ("" when CUSTOM names none, which API Gateway answers with a configuration error)."""
    return (authorizer_id or "") if str(authorization_type or "").upper() == "CUSTOM" else None


def _deployment_id(stage: Any) -> str | None:
    """A REST stage's deployment id (moto keeps a Deployment object for stages made by CloudFormation)."""
    deployment = getattr(stage, "deployment_id", None)
    if deployment is None or isinstance(deployment, str):
        return deployment
    return getattr(deployment, "id", None)


def function_arn(uri: str | None, stage_variables: dict[str, str]) -> str | None:
    """The Lambda ARN in an integration URI (the apigateway ARN form or a plain function ARN)."""
    if not uri:
        return None
    uri = re.sub(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}", lambda m: stage_variables.get(m.group(1), ""), uri)
    match = re.search(r"functions/(arn:[^/]+)/invocations", uri)
    if match:
        return match.group(1)
    return uri if uri.startswith("arn:") and ":lambda:" in uri else None
