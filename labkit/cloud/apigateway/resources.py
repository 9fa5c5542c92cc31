"""API Gateway in CloudFormation: the resource types moto lacks or creates without their body, and
the defaults API Gateway gives an HTTP API's integration, route and stage (one place for both
quick create and templates).

- `AWS::ApiGateway::RestApi` with an OpenAPI/Swagger `Body` (or `BodyS3Location`) and no `Name`
  (what SAM emits): resources, methods and Lambda proxy integrations come from the body;
- `AWS::ApiGateway::Stage` and `AWS::ApiGateway::Authorizer`;
- `AWS::ApiGateway::Method` whole: its authorizer, MOCK integrations (the OPTIONS method of the
  Serverless Framework's `cors: true`), integration and method responses;
- `AWS::ApiGatewayV2::Api` (with a body, or quick create's `Target`), `Stage`, `Integration`,
  `Route` (with its authorizer) and `Authorizer`: what SAM's HttpApi becomes.
"""

from __future__ import annotations

from typing import Any

from ..moto.resource_models import ResourceModel, backend

__all__ = ["MODELS", "rest_api_from_cloudformation", "import_rest_api_body", "quick_create",
           "create_integration", "create_route", "create_stage"]

_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}


# ---- what API Gateway creates by default (apigatewayv2's moto Api)


def create_integration(
    api: Any, uri: str, *, payload_format: str = "2.0", integration_type: str = "AWS_PROXY",
    connection_type: str = "INTERNET", method: str = "POST", description: str = "",
) -> Any:
    """An HTTP API integration; by default a Lambda proxy integration with payload 2.0."""
    return api.create_integration(
        connection_type=connection_type, description=description, integration_method=method,
        integration_type=integration_type, integration_uri=uri, payload_format_version=payload_format,
    )


def create_route(api: Any, route_key: str, target: str, *, api_key_required: bool = False, authorization_scopes: Any = ()) -> Any:
    """An HTTP API route; `target` is `integrations/<id>`."""
    return api.create_route(
        api_key_required=api_key_required, authorization_scopes=list(authorization_scopes), route_key=route_key, target=target,
    )


def create_stage(api: Any, name: str = "$default", *, auto_deploy: bool = True, variables: dict[str, str] | None = None) -> Any:
    """An HTTP API stage; by default quick create's auto-deployed `$default`."""
    config: dict[str, Any] = {"stageName": name, "autoDeploy": auto_deploy}
    if variables is not None:
        config["stageVariables"] = variables
    return api.create_stage(config)


def quick_create(api: Any, target: str, route_key: str | None = None, integration_id: str | None = None) -> None:
    """HTTP API quick create (`create_api(Target=...)`, or `Target` in a template), as AWS does it:
    a Lambda proxy integration, the route (`$default` unless named) and the auto-deployed `$default` stage."""
    integration_id = integration_id or create_integration(api, target).id
    create_route(api, route_key or "$default", f"integrations/{integration_id}")
    create_stage(api)


# ---- REST APIs


class ApiGatewayStage(ResourceModel):
    TYPE = "AWS::ApiGateway::Stage"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "ApiGatewayStage":
        props = cloudformation_json["Properties"]
        rest = backend("apigateway", account_id, region_name)
        api = rest.get_rest_api(props["RestApiId"])
        name = props.get("StageName", resource_name)
        variables = props.get("Variables") or {}
        if name in api.stages:  # a Deployment with the same StageName made it already
            api.stages[name].variables.update(variables)
            if props.get("DeploymentId"):
                api.stages[name].deployment_id = props["DeploymentId"]
        else:
            rest.create_stage(
                function_id=api.id, stage_name=name, deploymentId=props.get("DeploymentId", ""),
                variables=variables, description=props.get("Description", ""),
            )
        return cls(name)


def rest_api_from_cloudformation(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
) -> Any:
    """AWS::ApiGateway::RestApi, with or without a Body, with or without a Name (replaces moto's
    `RestAPI.create_from_cloudformation_json`)."""
    props = cloudformation_json["Properties"]
    body = _openapi_body(props, account_id)
    name = props.get("Name") or ((body or {}).get("info") or {}).get("title") or resource_name
    rest = backend("apigateway", account_id, region_name)
    api = rest.create_rest_api(
        name=name, description=props.get("Description", ""), endpoint_configuration=props.get("EndpointConfiguration")
    )
    if props.get("BinaryMediaTypes"):
        api.binaryMediaTypes = list(props["BinaryMediaTypes"])
    if body:
        import_rest_api_body(rest, api, body)
    return api


def import_rest_api_body(rest: Any, api: Any, body: dict[str, Any]) -> None:
    """Create resources, methods and integrations of a REST API from its Swagger/OpenAPI body."""
    by_path = {resource.get_path(): resource for resource in api.resources.values()}
    for path in sorted((body.get("paths") or {})):
        parent = by_path["/"]
        current = ""
        for part in [p for p in path.split("/") if p]:
            current += "/" + part
            if current not in by_path:
                by_path[current] = rest.create_resource(function_id=api.id, parent_resource_id=parent.id, path_part=part)
            parent = by_path[current]
        for key, operation in (body["paths"][path] or {}).items():
            method = _openapi_method(key)
            if method is None:
                continue
            rest.put_method(function_id=api.id, resource_id=parent.id, method_type=method, authorization_type="NONE")
            integration = _openapi_integration(operation or {})
            if integration:
                rest.put_integration(
                    function_id=api.id, resource_id=parent.id, method_type=method,
                    integration_type=str(integration.get("type", "aws_proxy")).upper(),
                    uri=integration.get("uri", ""), integration_method=integration.get("httpMethod", "POST"),
                )
    binary = body.get("x-amazon-apigateway-binary-media-types")
    if binary:
        api.binaryMediaTypes = list(binary)


class ApiGatewayAuthorizer(ResourceModel):
    """AWS::ApiGateway::Authorizer (moto has none): a Lambda (TOKEN/REQUEST) or Cognito authorizer;
    its Ref is the authorizer id a Method's AuthorizerId takes."""

    TYPE = "AWS::ApiGateway::Authorizer"
    ATTRIBUTES = ("AuthorizerId",)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "ApiGatewayAuthorizer":
        props = cloudformation_json["Properties"]
        ttl = props.get("AuthorizerResultTtlInSeconds")
        authorizer = backend("apigateway", account_id, region_name).create_authorizer(
            restapi_id=props["RestApiId"], name=props.get("Name", resource_name), authorizer_type=props["Type"],
            provider_arns=props.get("ProviderARNs"), auth_type=props.get("AuthType"), authorizer_uri=props.get("AuthorizerUri"),
            authorizer_credentials=props.get("AuthorizerCredentials"), identity_source=props.get("IdentitySource"),
            identiy_validation_expression=props.get("IdentityValidationExpression"),  # moto's spelling (patches.py)
            authorizer_result_ttl=300 if ttl is None else int(ttl),
        )
        return cls(authorizer.id, AuthorizerId=authorizer.id)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        rest = backend("apigateway", account_id, region_name)
        for api in rest.apis.values():
            api.authorizers.pop(resource_name, None)


class ApiGatewayMethod(ResourceModel):
    """AWS::ApiGateway::Method, whole (replaces moto's): AuthorizationType/AuthorizerId, a MOCK
    integration without IntegrationHttpMethod (what `cors: true` generates), RequestTemplates,
    IntegrationResponses and MethodResponses."""

    TYPE = "AWS::ApiGateway::Method"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "ApiGatewayMethod":
        props = cloudformation_json["Properties"]
        rest = backend("apigateway", account_id, region_name)
        api_id, resource_id, method = props["RestApiId"], props["ResourceId"], str(props["HttpMethod"]).upper()
        rest.put_method(
            function_id=api_id, resource_id=resource_id, method_type=method,
            authorization_type=props.get("AuthorizationType", "NONE"), api_key_required=bool(props.get("ApiKeyRequired", False)),
            request_parameters=props.get("RequestParameters"), request_models=props.get("RequestModels"),
            operation_name=props.get("OperationName"), authorizer_id=props.get("AuthorizerId"),
            authorization_scopes=props.get("AuthorizationScopes"),
        )
        integration = props.get("Integration")
        if integration:
            kind = str(integration["Type"]).upper()
            rest.put_integration(
                function_id=api_id, resource_id=resource_id, method_type=method, integration_type=kind,
                uri=integration.get("Uri", ""), integration_method=integration.get("IntegrationHttpMethod", "POST"),
                credentials=integration.get("Credentials"), request_templates=integration.get("RequestTemplates"),
                passthrough_behavior=integration.get("PassthroughBehavior"), timeout_in_millis=integration.get("TimeoutInMillis"),
                request_parameters=integration.get("RequestParameters"), content_handling=integration.get("ContentHandling"),
                connection_type=integration.get("ConnectionType"),
            )
            for response in integration.get("IntegrationResponses") or []:
                rest.put_integration_response(
                    function_id=api_id, resource_id=resource_id, method_type=method, status_code=str(response["StatusCode"]),
                    selection_pattern=response.get("SelectionPattern"), response_templates=dict(response.get("ResponseTemplates") or {}),
                    response_parameters=response.get("ResponseParameters") or {}, content_handling=response.get("ContentHandling"),
                )
        for response in props.get("MethodResponses") or []:
            rest.put_method_response(
                function_id=api_id, resource_id=resource_id, method_type=method, response_code=str(response["StatusCode"]),
                response_models=response.get("ResponseModels") or {}, response_parameters=response.get("ResponseParameters") or {},
            )
        return cls(f"{api_id}-{resource_id}-{method}")


# ---- HTTP APIs


class HttpApi(ResourceModel):
    TYPE = "AWS::ApiGatewayV2::Api"
    ATTRIBUTES = ("ApiEndpoint", "ApiId")

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "HttpApi":
        props = cloudformation_json["Properties"]
        body = _openapi_body(props, account_id) or {}
        api = backend("apigatewayv2", account_id, region_name).create_api(
            api_key_selection_expression=None, cors_configuration=props.get("CorsConfiguration") or body.get("x-amazon-apigateway-cors"),
            description=props.get("Description", ""), disable_schema_validation=None, disable_execute_api_endpoint=None,
            name=props.get("Name") or (body.get("info") or {}).get("title") or resource_name,
            protocol_type=props.get("ProtocolType", "HTTP"), route_selection_expression=None, tags={}, version=None,
        )
        integrations: dict[tuple[str, str], str] = {}  # one integration per (uri, payload format), as SAM shares them

        def integration_for(uri: str, payload: str) -> str:
            if (uri, payload) not in integrations:
                integrations[(uri, payload)] = create_integration(api, uri, payload_format=payload).id
            return integrations[(uri, payload)]

        for path, item in (body.get("paths") or {}).items():
            for key, operation in (item or {}).items():
                method = _openapi_method(key)
                integration = _openapi_integration(operation or {}) if method else None
                if not integration:
                    continue
                route_key = "$default" if path == "$default" else f"{method} {path}"
                target = integration_for(integration.get("uri", ""), str(integration.get("payloadFormatVersion", "2.0")))
                create_route(api, route_key, f"integrations/{target}")
        if props.get("Target"):
            quick_create(api, props["Target"], props.get("RouteKey"), integration_for(props["Target"], "2.0"))
        return cls(api.api_id, ApiEndpoint=api.api_endpoint, ApiId=api.api_id)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        backend("apigatewayv2", account_id, region_name).delete_api(resource_name)


class HttpApiStage(ResourceModel):
    TYPE = "AWS::ApiGatewayV2::Stage"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "HttpApiStage":
        props = cloudformation_json["Properties"]
        api = backend("apigatewayv2", account_id, region_name).get_api(props["ApiId"])
        name = props.get("StageName", "$default")
        create_stage(api, name, auto_deploy=props.get("AutoDeploy", False), variables=props.get("StageVariables") or {})
        return cls(name)


class HttpApiIntegration(ResourceModel):
    TYPE = "AWS::ApiGatewayV2::Integration"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "HttpApiIntegration":
        props = cloudformation_json["Properties"]
        api = backend("apigatewayv2", account_id, region_name).get_api(props["ApiId"])
        integration = create_integration(
            api, props.get("IntegrationUri", ""), payload_format=props.get("PayloadFormatVersion", "2.0"),
            integration_type=props["IntegrationType"], connection_type=props.get("ConnectionType", "INTERNET"),
            method=props.get("IntegrationMethod", "POST"), description=props.get("Description", ""),
        )
        return cls(integration.id)


class HttpApiRoute(ResourceModel):
    TYPE = "AWS::ApiGatewayV2::Route"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "HttpApiRoute":
        props = cloudformation_json["Properties"]
        api = backend("apigatewayv2", account_id, region_name).get_api(props["ApiId"])
        route = create_route(
            api, props["RouteKey"], props.get("Target", ""), api_key_required=bool(props.get("ApiKeyRequired", False)),
            authorization_scopes=props.get("AuthorizationScopes") or [],
        )
        route.authorization_type = props.get("AuthorizationType", "NONE")
        route.authorizer_id = props.get("AuthorizerId")
        return cls(route.route_id)


class HttpApiAuthorizer(ResourceModel):
    """AWS::ApiGatewayV2::Authorizer: a Lambda (REQUEST) or JWT authorizer of an HTTP API."""

    TYPE = "AWS::ApiGatewayV2::Authorizer"
    ATTRIBUTES = ("AuthorizerId",)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "HttpApiAuthorizer":
        props = cloudformation_json["Properties"]
        api = backend("apigatewayv2", account_id, region_name).get_api(props["ApiId"])
        authorizer = api.create_authorizer(
            auth_creds_arn=props.get("AuthorizerCredentialsArn"), auth_payload_format_version=props.get("AuthorizerPayloadFormatVersion"),
            auth_result_ttl=props.get("AuthorizerResultTtlInSeconds"), authorizer_type=props["AuthorizerType"],
            authorizer_uri=props.get("AuthorizerUri"), enable_simple_response=props.get("EnableSimpleResponses"),
            identity_source=props.get("IdentitySource"), identity_validation_expr=props.get("IdentityValidationExpression"),
            jwt_config=props.get("JwtConfiguration"), name=props.get("Name", resource_name),
        )
        return cls(authorizer.id, AuthorizerId=authorizer.id)


MODELS: tuple[type[ResourceModel], ...] = (
    ApiGatewayStage, ApiGatewayAuthorizer, ApiGatewayMethod, HttpApi, HttpApiStage, HttpApiIntegration, HttpApiRoute,
    HttpApiAuthorizer,
)


# ---- OpenAPI bodies


def _openapi_body(props: dict[str, Any], account_id: str) -> dict[str, Any] | None:
    """The OpenAPI document of `Body` (a mapping or YAML/JSON text) or of `BodyS3Location`."""
    from samtranslator.yaml_helper import yaml_parse

    body = props.get("Body")
    if body is None and props.get("BodyS3Location"):
        location = props["BodyS3Location"]
        from moto.s3.models import s3_backends

        key = s3_backends[account_id]["aws"].get_object(location["Bucket"], location["Key"])
        body = key.value.decode()
    if isinstance(body, str):
        body = yaml_parse(body)
    return body


def _openapi_method(key: str) -> str | None:
    """The HTTP method an OpenAPI path item key names (`x-amazon-apigateway-any-method`: ANY); None for other keys."""
    if key == "x-amazon-apigateway-any-method":
        return "ANY"
    return key.upper() if key.lower() in _HTTP_METHODS else None


def _openapi_integration(operation: dict[str, Any]) -> dict[str, Any] | None:
    integration = operation.get("x-amazon-apigateway-integration")
    return integration if isinstance(integration, dict) else None
