"""API Gateway: REST APIs (v1) and HTTP APIs (v2) in front of Lambda, in-process and over real HTTP.

    service.py     ApiGateway: url(), serve(), handle(): route, build the event, invoke, answer
    models.py      ApiRequest, ApiResponse, Route; API Gateway's ids and JSON answers
    routing.py     the API, stage, resource/route and function a request reaches (moto's "urls")
    payloads.py    the event a Lambda proxy integration receives: payload 1.0 and 2.0
    authorizers.py Lambda authorizers (REST TOKEN/REQUEST, HTTP API 1.0/2.0) and their cache
    mock.py        REST MOCK integrations (the OPTIONS method of `cors: true`)
    proxy.py       the function's answer as HTTP (REST 502 / HTTP API 500 on errors), CORS
    server.py      the ways in: a werkzeug server (`serve`) and the `requests` mock callback
    patches.py     moto patches (binaryMediaTypes, quick create, the router off) and PATCHES
    resources.py   API Gateway's CloudFormation resources and HTTP API defaults (quick create)

What API Gateway does with a Lambda proxy integration, and so what this does:
- routes a request on `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/...` to a
  REST resource (literal segments before `{param}` before `{proxy+}`) and method (or ANY), or to
  an HTTP API route (`GET /items/{id}`, `ANY /{proxy+}`, `$default`); unknown routes get
  API Gateway's answers (REST: 403 Missing Authentication Token; HTTP API: 404 Not Found);
- builds the event in the integration's payload format (1.0 or 2.0), with paths, headers, ids
  and binary bodies as AWS passes them (payloads.py);
- ids: REST has a uuid `requestId` (response header `x-amzn-RequestId`), a 16-character
  `extendedRequestId` (`x-amz-apigw-id`) and the stage's `deploymentId`; HTTP APIs have a
  16-character `requestId` (`Apigw-Requestid`);
- invokes the function synchronously and turns its answer into the HTTP response (proxy.py); a
  throttle is a 429. An event over Lambda's 6 MB invoke quota (a 5 MB binary body once
  base64-encoded) is answered 500 on both API types without running the function, as when
  Lambda rejects the invocation; over real HTTP, a body over API Gateway's 10 MB quota is
  answered 413 (server.py).
- runs a method's or route's Lambda authorizer first (authorizationType CUSTOM): 401/403/500 as
  API Gateway answers, `requestContext.authorizer` for the integration (authorizers.py).
Lambda proxy integrations run (AWS_PROXY) and REST MOCK integrations answer from their integration
response; other integration types answer 500 with a Korean explanation. API keys, usage plans,
request validation and mapping templates (VTL) are not applied.
"""

from __future__ import annotations

from .models import ApiRequest, ApiResponse
from .service import ApiGateway

__all__ = ["ApiGateway", "ApiResponse", "ApiRequest"]
