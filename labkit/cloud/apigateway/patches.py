"""API Gateway's moto patches, and the private moto names they use (`PATCHES`).

- every `requests` call to an execute-api URL goes to `ApiGateway.handle` (moto's `responses`
  mock), and moto's own router for REST integrations is switched off (it cannot invoke Lambda);
- binaryMediaTypes given to create_rest_api are kept (moto drops them), and update_rest_api's
  add/remove/replace of `/binaryMediaTypes/image~1png` work on the type named in the path (moto
  adds the operation's empty value);
- create_authorizer keeps identityValidationExpression (moto drops it);
- HTTP API quick create (`create_api(..., Target=fn_arn)`) makes the $default route,
  integration and auto-deployed stage, as AWS does (moto ignores Target);
- CloudFormation creates API Gateway's resources with resources.py's models.
moto.apigateway takes ~2.5 s to import: its patches wait for a lab's first use of it.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from ..moto.registry import MotoName
from ..moto.resource_models import PARSER_PATCHES
from .server import EXECUTE_API, Handle, requests_callback

__all__ = ["install", "PATCHES"]

# moto's private names `install` patches or reads (the lazily patched ones on moto's import of them).
PATCHES = (
    MotoName("moto.apigateway.models:RestAPI", "update_integration_mocks", "(self, stage_name)"),
    MotoName("moto.apigateway.models:RestAPI", "apply_patch_operations", "(self, patch_operations)"),
    MotoName("moto.apigateway.models:RestAPI", "create_from_cloudformation_json",
        "(resource_name, cloudformation_json, account_id, region_name, **kwargs)"),
    MotoName("moto.apigateway.models", "apigateway_backends"),
    MotoName("moto.apigatewayv2.models", "apigatewayv2_backends"),
    MotoName("moto.apigatewayv2.responses:ApiGatewayV2Response", "create_api", "(self)"),
    MotoName("moto.apigateway.responses:APIGatewayResponse", "create_rest_api", "(self)"),
    MotoName("moto.apigateway.models:RestAPI", "binaryMediaTypes", instance=True),
    MotoName("moto.apigateway.models:RestAPI", "create_authorizer",
        "(self, authorizer_id, name, authorizer_type, provider_arns, auth_type, authorizer_uri, authorizer_credentials, "
        "identity_source, identiy_validation_expression, authorizer_result_ttl)"),
    MotoName("moto.apigateway.models:Authorizer", "identity_validation_expression", instance=True),
    MotoName("moto.core.models", "responses_mock"),
    *PARSER_PATCHES,
)

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def install(set_: Callable[[Any, str, Any], None], handle: Handle) -> None:
    """Route execute-api URLs to `handle` and patch moto's API Gateway (see the module docstring)."""
    import responses
    from moto.core.models import responses_mock

    from ..moto.patching import when_imported
    from ..moto.resource_models import add_to_parser
    from .resources import MODELS

    callback = requests_callback(handle)
    for method in _METHODS:
        responses_mock.add(responses.CallbackResponse(method=method, url=EXECUTE_API, callback=callback, content_type=None))
    when_imported("moto.apigateway.models", lambda: _patch_rest_models(set_))
    when_imported("moto.apigateway.responses", lambda: _patch_rest_responses(set_))
    when_imported("moto.apigatewayv2.responses", lambda: _patch_http_responses(set_))
    add_to_parser(set_, MODELS)


def _patch_rest_models(set_: Callable[[Any, str, Any], None]) -> None:
    from moto.apigateway.models import RestAPI

    from .resources import rest_api_from_cloudformation

    set_(RestAPI, "update_integration_mocks", lambda self, stage_name: None)  # moto's router: off
    original_patch = RestAPI.apply_patch_operations

    def apply_patch_operations(self: Any, patch_operations: list[dict[str, Any]]) -> None:
        others = [op for op in patch_operations if not _patch_binary_media_types(self, op)]
        original_patch(self, others)

    set_(RestAPI, "apply_patch_operations", apply_patch_operations)
    set_(RestAPI, "create_from_cloudformation_json", classmethod(rest_api_from_cloudformation))
    original_create_authorizer = RestAPI.create_authorizer

    def create_authorizer(self: Any, *args: Any, **kwargs: Any) -> Any:
        authorizer = original_create_authorizer(self, *args, **kwargs)
        # moto passes the expression under a misspelt name that its Authorizer never reads
        expression = kwargs.get("identiy_validation_expression", args[8] if len(args) > 8 else None)
        if expression:
            authorizer.identity_validation_expression = expression
        return authorizer

    set_(RestAPI, "create_authorizer", create_authorizer)


def _patch_rest_responses(set_: Callable[[Any, str, Any], None]) -> None:
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


def _patch_http_responses(set_: Callable[[Any, str, Any], None]) -> None:
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    from .resources import quick_create

    original_create_api = ApiGatewayV2Response.create_api

    def create_api(response: Any) -> Any:
        result = original_create_api(response)
        params = json.loads(response.body or "{}")
        target = params.get("target")
        if target and params.get("protocolType") == "HTTP":  # quick create, as AWS does it
            quick_create(response.apigatewayv2_backend.get_api(json.loads(result[2])["apiId"]), target, params.get("routeKey"))
        return result

    set_(ApiGatewayV2Response, "create_api", create_api)


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
