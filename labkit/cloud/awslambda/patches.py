"""Lambda's moto patches: run the real handler, answer Invoke as AWS does, keep what moto drops.

- `LambdaFunction.invoke` / `_invoke_lambda`: run the real handler (the runtime) instead of
  Docker, for every path that invokes a function (Invoke API, event sources, S3/SNS
  notifications, Step Functions tasks). Event invocations are queued; DryRun does not execute.
- `LambdaResponse.invoke`: honour `Qualifier=` (moto reads a lowercase name and ignores it), set
  `FunctionError: Unhandled`, `X-Amz-Executed-Version`, and throttle with 429. With
  `LambdaResponse._enrich_response` (inherited from `BaseResponse`, which stamps every response
  with a random 52-character id): an Invoke response's request id is the invocation's, as the
  handler's `context.aws_request_id` and the START line name it (and so Step Functions'
  `SdkResponseMetadata.RequestId`).
- `LambdaFunction.__init__` / `update_configuration` / `get_configuration`: keep
  `DeadLetterConfig`, which moto drops.
- `moto.logs.models.utcnow` / `unix_time_millis`: log timestamps on the runtime's clock.
Event source mappings are the pollers' (`eventsources/`): their validation on create and update
is `eventsources/mapping_rules.py`'s patch, their detachment from moto's delivery sqs.py's and
streams.py's. This package imports nothing from there (tests/cloud/test_import_layers.py).
"""

from __future__ import annotations

import datetime as _dt
import json
import threading
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import unquote

from ..core import arns
from ..moto.registry import MotoName

if TYPE_CHECKING:
    from ..core.clock import Clock
    from .runtime import LambdaRuntime

__all__ = ["install", "invoked_arn_for", "PATCHES"]

_INVOKE_REQUEST_ID = "x-amzn-RequestId"  # set by the Invoke patch, kept by LambdaResponse._enrich_response
_request = threading.local()  # the qualifier the current Invoke API call named


def invoked_arn_for(fn: Any, qualifier: str | None) -> str:
    """The ARN the caller used: unqualified, or with the version/alias it named."""
    base = arns.unqualified_function_arn(fn.function_arn)
    return f"{base}:{qualifier}" if qualifier else base


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, val in headers.items():
            if key.lower() == lowered:
                return val
    return value


def install(
    set_: Callable[[Any, str, Any], None], *, clock: "Clock", runtime: "LambdaRuntime",
    async_invoke: Callable[[Any, bytes, str], Any],
) -> None:
    """Lambda's patches, on `clock`, running handlers on `runtime`; Event invokes go to
    `async_invoke(fn, payload, invoked_arn)` (the async queue)."""
    import moto.logs.models as logs_models
    from moto.awslambda import models as lambda_models
    from moto.awslambda import responses as lambda_responses
    from moto.core.exceptions import JsonRESTError

    from ..core.errors import RequestEntityTooLargeException, TooManyRequestsException, check_request_size

    LambdaFunction = lambda_models.LambdaFunction

    # ---- time
    set_(logs_models, "utcnow", clock.utcnow)
    epoch = _dt.datetime(1970, 1, 1)

    def logs_unix_time_millis(dt: Any = None) -> float:
        """moto's arithmetic, with the epoch made once: moto rebuilds it per call, and CloudWatch
        Logs calls this for every PutLogEvents, i.e. every invocation (2 µs of a warm invoke)."""
        if dt is None:
            return clock.now() * 1000.0
        delta = dt - epoch
        return ((delta.days * 86400) + (delta.seconds + (delta.microseconds / 1e6))) * 1000.0

    set_(logs_models, "unix_time_millis", logs_unix_time_millis)

    # ---- dead-letter config, which moto drops
    original_init = LambdaFunction.__init__
    original_update = LambdaFunction.update_configuration
    original_get = LambdaFunction.get_configuration

    def init(self: Any, account_id: str, spec: dict[str, Any], region: str, version: Any = 1) -> None:
        original_init(self, account_id, spec, region, version)
        self.dead_letter_config = spec.get("DeadLetterConfig") or {}

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_config = config_updates["DeadLetterConfig"] or {}
        return original_update(self, config_updates)

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config = original_get(self, on_create)
        dlq = getattr(self, "dead_letter_config", None)
        if dlq:
            config["DeadLetterConfig"] = dlq
        return config

    set_(LambdaFunction, "__init__", init)
    set_(LambdaFunction, "update_configuration", update_configuration)
    set_(LambdaFunction, "get_configuration", get_configuration)

    # ---- running handlers
    def invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        qualifier = getattr(_request, "qualifier", None)
        _request.qualifier = None
        invoked_arn = invoked_arn_for(self, qualifier)
        kind = _header(request_headers, "X-Amz-Invocation-Type") or "RequestResponse"
        payload = (body.encode() if isinstance(body, str) else body) or b"{}"  # AWS accepts an empty payload
        try:
            json.loads(payload)
        except ValueError:
            raise JsonRESTError("InvalidRequestContentException", "Could not parse request body into json")
        if kind == "DryRun":
            return b""
        try:
            check_request_size(payload, kind)
        except RequestEntityTooLargeException as exc:
            error = JsonRESTError("RequestEntityTooLargeException", exc.aws_message)
            error.code = 413
            raise error from exc
        if kind == "Event":
            event = async_invoke(self, payload, invoked_arn)
            response_headers[_INVOKE_REQUEST_ID] = event.request_id
            return b""
        try:
            result = runtime.invoke(self, payload, invoked_arn=invoked_arn)
        except TooManyRequestsException as exc:
            error = JsonRESTError("TooManyRequestsException", "Rate Exceeded.")
            error.code = 429
            error.description = (
                '{"__type": "TooManyRequestsException", "message": "Rate Exceeded.", '
                f'"Reason": "{exc.reason}", "Type": "User"}}'
            )
            raise error from exc
        if result.function_error:
            response_headers["x-amz-function-error"] = result.function_error
        response_headers["x-amz-executed-version"] = result.executed_version
        response_headers["x-amz-log-result"] = result.log_result()
        response_headers[_INVOKE_REQUEST_ID] = result.request_id
        return result.payload

    def invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        result = runtime.invoke(self, json.dumps(event if event is not None else {}).encode())
        return result.payload.decode(), not result.ok, "\n".join(result.log_lines)

    set_(LambdaFunction, "invoke", invoke)
    set_(LambdaFunction, "_invoke_lambda", invoke_lambda)

    def response_invoke(self: Any) -> tuple[int, dict[str, str], str | bytes]:
        function_name = unquote(self.path.rsplit("/", 2)[-2])
        qualifier = self.querystring.get("Qualifier", [None])[0]
        response_headers: dict[str, str] = {}
        _request.qualifier = qualifier
        try:
            payload = self.backend.invoke(function_name, qualifier, self.body, self.headers, response_headers)
        finally:
            _request.qualifier = None
        kind = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        response_headers["content-type"] = "application/json"
        if self.headers.get("X-Amz-Log-Type") != "Tail":
            response_headers.pop("x-amz-log-result", None)
        status = {"Event": 202, "DryRun": 204}.get(kind, 200)
        if status != 200:
            response_headers.pop("x-amz-executed-version", None)
        response_headers["status"] = str(status)
        return status, response_headers, payload or b""

    set_(lambda_responses.LambdaResponse, "invoke", response_invoke)
    base_enrich = lambda_responses.LambdaResponse._enrich_response  # BaseResponse's staticmethod

    def enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        """moto stamps every response with its own x-amzn-requestid (52 random characters);
        an Invoke response keeps the invocation's request id, as on AWS."""
        ours = headers.pop(_INVOKE_REQUEST_ID, None)
        headers, body = base_enrich(headers, body)
        if ours:
            headers["x-amzn-requestid"] = ours
        return headers, body

    set_(lambda_responses.LambdaResponse, "_enrich_response", staticmethod(enrich_response))


# moto's private names used above, by the runtime (awslambda/runtime.py: lambda_backends, get_function)
# and logs.py (logs_backends).
PATCHES = (
    MotoName("moto.awslambda.models:LambdaFunction", "invoke", "(self, body, request_headers, response_headers)"),
    MotoName("moto.awslambda.models:LambdaFunction", "_invoke_lambda", "(self, event=None)"),
    MotoName("moto.awslambda.models:LambdaFunction", "__init__", "(self, account_id, spec, region, version=1)"),
    MotoName("moto.awslambda.models:LambdaFunction", "update_configuration", "(self, config_updates)"),
    MotoName("moto.awslambda.models:LambdaFunction", "get_configuration", "(self, on_create=False)"),
    MotoName("moto.awslambda.models", "lambda_backends"),
    MotoName("moto.awslambda.models:LambdaBackend", "get_function", "(self, function_name_or_arn, qualifier=None)"),
    MotoName("moto.awslambda.responses:LambdaResponse", "invoke", "(self)"),
    MotoName("moto.awslambda.responses:LambdaResponse", "_enrich_response", "(headers, body)"),
    MotoName("moto.logs.models", "utcnow", "()"),
    MotoName("moto.logs.models", "unix_time_millis", "(dt=None)"),
    MotoName("moto.logs.models", "logs_backends"),
)
