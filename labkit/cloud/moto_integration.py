"""Every place the runtime reaches into moto's private code, in one module.

moto has no hook for running Lambda code, so the runtime replaces a few private names. They are
listed in `PATCHES` with the exact moto version they were written against; the self-test
(tests/cloud/test_moto_integration.py) fails loudly if moto changes version or any of these
names disappears. Patches are installed when a `LocalCloud` starts and removed when it stops.

What each patch is for:
- `LambdaFunction.invoke` / `_invoke_lambda`: run the real handler (the runtime) instead of
  Docker, for every path that invokes a function (Invoke API, event sources, S3/SNS
  notifications, Step Functions tasks). Event invocations are queued; DryRun does not execute.
- `LambdaResponse.invoke`: honour `Qualifier=` (moto reads a lowercase name and ignores it), set
  `FunctionError: Unhandled`, `X-Amz-Executed-Version`, and throttle with 429. With
  `LambdaResponse._enrich_response` (inherited from `BaseResponse`, which stamps every response
  with a random 52-character id): an Invoke response's request id is the invocation's, as the
  handler's `context.aws_request_id` and the START line name it (and so Step Functions'
  `SdkResponseMetadata.RequestId`).
- `LambdaBackend.create_event_source_mapping`: detach SQS, DynamoDB Streams and Kinesis mappings
  from moto's synchronous delivery inside each write, so the runtime's pollers are the only
  consumers (and register a stream mapping's starting position). With
  `update_event_source_mapping`: reject FilterCriteria (filtering.py) and configurations
  (mapping_rules.py) as Lambda does.
- `LambdaFunction.__init__` / `update_configuration` / `get_configuration`: keep
  `DeadLetterConfig`, which moto drops.
- `moto.sqs.models.unix_time(_millis)` and `moto.logs.models.utcnow` / `unix_time_millis`: read
  the runtime's clock, so visibility timeouts expire and log timestamps move when a lab advances
  time.
- SQS queues (`sqs_queues.install`): receive, delete and send at a cost per message that does
  not grow with the queue (moto scans the queue several times per message), FIFO message groups
  returned in order after a visibility timeout (moto reorders them), and an increasing 20-digit
  SequenceNumber on every FIFO message.
- Event sources, each patched by its own module's `install()` (the PATCHES entries are grouped
  by module): stream records on the runtime's clock and region, stream labels in milliseconds
  and 56-digit Kinesis sequence numbers (`_install_streams`, for streams.py); S3's `send_event`
  and delete markers (s3.py); SNS's Lambda delivery, timestamps and signatures (sns.py);
  EventBridge rule targets and time (eventbridge.py); rule and Scheduler creation, to validate
  and track schedules (schedules.py); API Gateway's execute-api router, binaryMediaTypes and HTTP
  API quick create (apigateway.py); the Step Functions interpreter's names, waits and history
  time (stepfunctions.py); CloudFormation's resource model map (cloudformation.py).
- Modules that are slow to import (API Gateway, the Step Functions interpreter, CloudFormation's
  parser) are patched by `when_imported` the moment moto first imports them, not at start.
"""

from __future__ import annotations

import datetime as _dt
import importlib.abc
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import unquote

from . import arns

if TYPE_CHECKING:
    from .session import LocalCloud

__all__ = ["MOTO_VERSION", "PATCHES", "install", "uninstall", "queue_next_visible", "check", "when_imported"]

MOTO_VERSION = "5.2.5"

# (module, attribute path) of every private name used, patched or read.
PATCHES: tuple[tuple[str, str], ...] = (
    ("moto.awslambda.models", "LambdaFunction.invoke"),
    ("moto.awslambda.models", "LambdaFunction._invoke_lambda"),
    ("moto.awslambda.models", "LambdaFunction.__init__"),
    ("moto.awslambda.models", "LambdaFunction.update_configuration"),
    ("moto.awslambda.models", "LambdaFunction.get_configuration"),
    ("moto.awslambda.models", "LambdaBackend.create_event_source_mapping"),
    ("moto.awslambda.models", "LambdaBackend.update_event_source_mapping"),
    ("moto.awslambda.models", "lambda_backends"),
    ("moto.awslambda.models", "LambdaBackend.get_function"),
    ("moto.awslambda.exceptions", "InvalidParameterValueException"),
    ("moto.sqs.models", "Queue.visibility_timeout"),  # instance attribute
    ("moto.awslambda.responses", "LambdaResponse.invoke"),
    ("moto.awslambda.responses", "LambdaResponse._enrich_response"),  # inherited from BaseResponse
    ("moto.sqs.models", "unix_time"),
    ("moto.sqs.models", "unix_time_millis"),
    ("moto.sqs.models", "sqs_backends"),
    ("moto.sqs.models", "Queue.lambda_event_source_mappings"),  # instance attribute, see check()
    ("moto.sqs.models", "Queue._messages"),  # instance attribute
    ("moto.sqs.models", "Message.visible_at"),  # instance attribute
    ("moto.sqs.models", "Message.delayed_until"),  # instance attribute
    ("moto.sqs.models", "SQSBackend.get_queue"),
    # sqs_queues.py
    ("moto.sqs.models", "SQSBackend.send_message"),
    ("moto.sqs.models", "SQSBackend._validate_message"),
    ("moto.sqs.models", "SQSBackend.receive_message"),
    ("moto.sqs.models", "SQSBackend.is_message_valid_based_on_retention_period"),
    ("moto.sqs.models", "Queue.add_message"),
    ("moto.sqs.models", "Queue.delete_message"),
    ("moto.sqs.models", "Queue.pending_messages"),
    ("moto.sqs.models", "Queue.deleted_messages"),  # instance attribute
    ("moto.sqs.models", "Queue._messages_lock"),  # instance attribute
    ("moto.sqs.models", "Queue.dead_letter_queue"),  # instance attribute
    ("moto.sqs.models", "Queue.wait_for_messages"),
    ("moto.sqs.models", "Queue.fifo_queue"),  # instance attribute
    ("moto.sqs.models", "Message"),
    ("moto.sqs.models", "Message.mark_received"),
    ("moto.sqs.models", "Message.all_receipt_handles"),
    ("moto.sqs.models", "Message._old_receipt_handles"),  # instance attribute
    ("moto.sqs.models", "Message.instances_tracked"),  # moto's registry of every model instance
    ("moto.sqs.models", "Message.sequence_number"),  # instance attribute
    ("moto.sqs.models", "Message.group_id"),  # instance attribute
    ("moto.sqs.models", "Message.body_md5"),
    ("moto.sqs.models", "Message.attribute_md5"),
    ("moto.sqs.models", "SQSBackend.delete_message_batch"),
    ("moto.sqs.models", "_filter_message_attributes"),
    ("moto.sqs.models", "generate_receipt_handle"),
    ("moto.sqs.models", "MAXIMUM_MESSAGE_DELAY"),
    ("moto.sqs.models", "DEDUPLICATION_TIME_IN_SECONDS"),
    ("moto.sqs.models", "MissingParameter"),
    ("moto.sqs.models", "InvalidParameterValue"),
    ("moto.logs.models", "utcnow"),
    ("moto.logs.models", "unix_time_millis"),
    ("moto.logs.models", "logs_backends"),
    # streams.py
    ("moto.dynamodb.models.table", "utcnow"),
    ("moto.dynamodb.models.table", "StreamRecord.__init__"),
    ("moto.dynamodb.models.table", "StreamShard.items"),  # instance attribute
    ("moto.dynamodb.models.table", "Table.lambda_event_source_mappings"),  # instance attribute
    ("moto.dynamodb.models", "dynamodb_backends"),
    ("moto.dynamodb.models.table", "Table.set_stream_specification"),
    ("moto.dynamodb.models.table", "Table.latest_stream_label"),  # instance attribute
    ("moto.kinesis.models", "utcnow"),
    ("moto.kinesis.models", "Shard.put_record"),
    ("moto.kinesis.models", "Shard.get_max_sequence_number"),
    ("moto.kinesis.models", "Record"),
    ("moto.kinesis.models", "Stream.lambda_event_source_mappings"),  # instance attribute
    ("moto.kinesis.models", "Shard.records"),  # instance attribute
    # autoscaling.py (provisioned-concurrency API, Application Auto Scaling): autoscaling.PATCHED
    ("moto.awslambda.urls", "url_paths"),
    ("moto.awslambda.responses", "LambdaResponse.dispatch"),
    ("moto.applicationautoscaling.models", "ApplicationAutoscalingBackend.register_scalable_target"),
    ("moto.applicationautoscaling.models", "ApplicationAutoscalingBackend.deregister_scalable_target"),
    ("moto.applicationautoscaling.models", "ApplicationAutoscalingBackend.put_scaling_policy"),
    ("moto.applicationautoscaling.models", "ApplicationAutoscalingBackend.delete_scaling_policy"),
    ("moto.applicationautoscaling.models", "applicationautoscaling_backends"),
    ("moto.applicationautoscaling.responses", "ApplicationAutoScalingResponse"),
    ("moto.kinesis.models", "kinesis_backends"),
    # s3.py
    ("moto.s3.notifications", "send_event"),
    ("moto.s3.notifications", "_detail_type"),
    ("moto.s3.models", "Notification.matches"),
    ("moto.s3.models", "S3Backend._set_delete_marker"),
    ("moto.s3.models", "S3Backend.delete_object"),
    ("moto.s3.models", "FakeDeleteMarker"),
    ("moto.s3.models", "S3Backend.put_bucket_notification_configuration"),
    ("moto.s3.exceptions", "InvalidArgumentError"),
    ("moto.s3.responses", "S3Response.put_object_tagging"),
    ("moto.s3.models", "S3Backend.complete_multipart_upload"),
    ("moto.s3.notifications", "_get_test_event"),
    ("moto.sns.models", "sns_backends"),
    # sns.py
    ("moto.sns.models", "iso_8601_datetime_with_milliseconds"),
    ("moto.sns.models", "Subscription.publish"),
    ("moto.sns.models", "Subscription.get_post_data"),
    ("moto.sns.models", "Subscription._parse_message_structure"),
    ("moto.sns.models", "Subscription._filter_policy_matcher"),  # instance attribute
    ("moto.sns.models", "Subscription.private_key"),
    # eventbridge.py
    ("moto.events.models", "unix_time"),
    ("moto.events.models", "unix_time_millis"),
    ("moto.events.models", "Rule.send_to_targets"),
    ("moto.events.models", "EventPattern.get_pattern"),
    ("moto.events.models", "EventPattern._does_event_match"),
    ("moto.events.models", "EventPatternParser.parse"),
    ("moto.events.models", "events_backends"),
    # schedules.py
    ("moto.events.models", "EventsBackend.put_rule"),
    ("moto.events.models", "Rule.scheduled_expression"),  # instance attribute
    ("moto.scheduler.models", "EventBridgeSchedulerBackend.create_schedule"),
    ("moto.scheduler.models", "EventBridgeSchedulerBackend.update_schedule"),
    ("moto.scheduler.models", "EventBridgeSchedulerBackend.delete_schedule"),
    ("moto.scheduler.models", "scheduler_backends"),
    # apigateway.py
    ("moto.apigateway.models", "RestAPI.update_integration_mocks"),
    ("moto.apigateway.models", "RestAPI.apply_patch_operations"),
    ("moto.apigateway.models", "apigateway_backends"),
    ("moto.apigatewayv2.models", "apigatewayv2_backends"),
    ("moto.apigatewayv2.responses", "ApiGatewayV2Response.create_api"),
    ("moto.apigateway.responses", "APIGatewayResponse.create_rest_api"),
    ("moto.apigateway.models", "RestAPI.binaryMediaTypes"),  # instance attribute
    ("moto.core.models", "responses_mock"),
    # stepfunctions.py
    ("moto.stepfunctions.parser.models", "StepFunctionsParserBackend.start_execution"),
    ("moto.stepfunctions.parser.models", "stepfunctions_parser_backends"),
    ("moto.stepfunctions.parser.asl.eval.event.event_manager", "EventManager.add_event"),
    ("moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils", "_invoke_lambda_function"),
    ("moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils", "execute_lambda_function_integration"),
    ("moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function", "WaitFunction._wait_interval"),
    ("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl", "time"),
    ("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl", "RetrierDecl._eval_body"),
    ("moto.stepfunctions.models", "StateMachine.create_from_cloudformation_json"),
    ("moto.stepfunctions.models", "StateMachine.delete_from_cloudformation_json"),
    ("moto.stepfunctions.models", "StateMachine.update_from_cloudformation_json"),
    ("moto.stepfunctions.utils", "cfn_to_api_tags"),
    # endpoint.py (the moto server that subprocess/snapshot handlers call)
    ("moto.moto_server.werkzeug_app", "DomainDispatcherApplication"),
    ("moto.moto_server.werkzeug_app", "create_backend_app"),
    ("moto.moto_server.werkzeug_app", "MotoRequestHandler"),
)

_INSTANCE_ATTRS = {
    "lambda_event_source_mappings", "_messages", "visible_at", "delayed_until", "items", "records",
    "latest_stream_label", "fifo_queue", "sequence_number", "deleted_messages", "_messages_lock",
    "dead_letter_queue", "group_id", "visibility_timeout", "_old_receipt_handles",
    "_filter_policy_matcher", "scheduled_expression", "binaryMediaTypes",
}

_saved: list[tuple[Any, str, Any]] = []
_INVOKE_REQUEST_ID = "x-amzn-RequestId"  # set by the Invoke patch, kept by LambdaResponse._enrich_response
_request = threading.local()  # the qualifier the current Invoke API call named


def check() -> list[str]:
    """Problems with the installed moto (empty when the integration matches it)."""
    import importlib

    import moto

    problems = []
    if moto.__version__ != MOTO_VERSION:
        problems.append(f"moto {moto.__version__} is installed; labkit.cloud was written for {MOTO_VERSION}")
    instance_attrs = {p for _, p in PATCHES if p.split(".")[-1] in _INSTANCE_ATTRS}
    for module_name, path in PATCHES:
        if path in instance_attrs:
            continue
        obj: Any = importlib.import_module(module_name)
        for part in path.split("."):
            if not hasattr(obj, part):
                problems.append(f"{module_name}.{path} is missing")
                break
            obj = getattr(obj, part)
    return problems


_INHERITED = object()  # a class patched with a name it only inherits: uninstall deletes it again


def _set(owner: Any, name: str, value: Any) -> None:
    if isinstance(owner, type):
        _saved.append((owner, name, owner.__dict__.get(name, _INHERITED)))
    else:
        _saved.append((owner, name, getattr(owner, name)))
    setattr(owner, name, value)


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


def install(cloud: "LocalCloud") -> None:
    """Install every patch for `cloud` (idempotent per cloud)."""
    import moto.logs.models as logs_models
    import moto.sqs.models as sqs_models
    from moto.awslambda import models as lambda_models
    from moto.awslambda import responses as lambda_responses
    from moto.core.exceptions import JsonRESTError

    from . import filtering, mapping_rules, sqs_queues
    from .errors import RequestEntityTooLargeException, TooManyRequestsException, check_request_size

    if _saved:
        uninstall()
    LambdaFunction = lambda_models.LambdaFunction
    clock = cloud.clock

    # ---- time
    real_unix_time = sqs_models.unix_time

    def unix_time(dt: Any = None) -> float:
        return clock.now() if dt is None else real_unix_time(dt)

    def unix_time_millis(dt: Any = None) -> float:
        return unix_time(dt) * 1000.0

    _set(sqs_models, "unix_time", unix_time)
    _set(sqs_models, "unix_time_millis", unix_time_millis)
    _set(logs_models, "utcnow", clock.utcnow)
    epoch = _dt.datetime(1970, 1, 1)

    def logs_unix_time_millis(dt: Any = None) -> float:
        """moto's arithmetic, with the epoch made once: moto rebuilds it per call, and CloudWatch
        Logs calls this for every PutLogEvents, i.e. every invocation (2 µs of a warm invoke)."""
        if dt is None:
            return clock.now() * 1000.0
        delta = dt - epoch
        return ((delta.days * 86400) + (delta.seconds + (delta.microseconds / 1e6))) * 1000.0

    _set(logs_models, "unix_time_millis", logs_unix_time_millis)

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

    _set(LambdaFunction, "__init__", init)
    _set(LambdaFunction, "update_configuration", update_configuration)
    _set(LambdaFunction, "get_configuration", get_configuration)

    # ---- running handlers
    def invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        qualifier = getattr(_request, "qualifier", None)
        _request.qualifier = None
        invoked_arn = invoked_arn_for(self, qualifier)
        kind = _header(request_headers, "X-Amz-Invocation-Type") or "RequestResponse"
        payload = (body.encode() if isinstance(body, str) else body) or b"{}"  # AWS accepts an empty payload
        try:
            import json

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
            event = cloud.async_invoker.enqueue(self, payload, invoked_arn)
            response_headers[_INVOKE_REQUEST_ID] = event.request_id
            return b""
        try:
            result = cloud.runtime.invoke(self, payload, invoked_arn=invoked_arn)
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
        import json

        result = cloud.runtime.invoke(self, json.dumps(event if event is not None else {}).encode())
        return result.payload.decode(), not result.ok, "\n".join(result.log_lines)

    _set(LambdaFunction, "invoke", invoke)
    _set(LambdaFunction, "_invoke_lambda", invoke_lambda)

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

    _set(lambda_responses.LambdaResponse, "invoke", response_invoke)
    base_enrich = lambda_responses.LambdaResponse._enrich_response  # BaseResponse's staticmethod

    def enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        """moto stamps every response with its own x-amzn-requestid (52 random characters);
        an Invoke response keeps the invocation's request id, as on AWS."""
        ours = headers.pop(_INVOKE_REQUEST_ID, None)
        headers, body = base_enrich(headers, body)
        if ours:
            headers["x-amzn-requestid"] = ours
        return headers, body

    _set(lambda_responses.LambdaResponse, "_enrich_response", staticmethod(enrich_response))

    # ---- SQS mappings: the runtime's poller, not moto's send_message path
    original_create_esm = lambda_models.LambdaBackend.create_event_source_mapping

    original_update_esm = lambda_models.LambdaBackend.update_event_source_mapping

    def _check_filters(spec: dict[str, Any], source_arn: str) -> None:
        if spec.get("FilterCriteria"):
            filtering.validate(spec["FilterCriteria"], arns.service(str(source_arn)))

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        _check_filters(spec, spec.get("EventSourceArn", ""))
        if spec.get("EventSourceArn") and spec.get("FunctionName"):
            mapping_rules.check(self, spec["EventSourceArn"], spec)
        esm = mapping_rules.client_errors(lambda: original_create_esm(self, spec))
        service = arns.service(esm.event_source_arn)
        if service == "sqs":
            sqs_backend = sqs_models.sqs_backends[self.account_id][self.region_name]
            for queue in sqs_backend.queues.values():
                if queue.queue_arn == esm.event_source_arn:
                    queue.lambda_event_source_mappings.pop(esm.function_arn, None)
        elif service in ("dynamodb", "kinesis"):
            _detach_stream_mapping(self.account_id, self.region_name, esm)
            cloud.stream_poller.register(esm)
        return esm

    _set(lambda_models.LambdaBackend, "create_event_source_mapping", create_event_source_mapping)

    def update_event_source_mapping(self: Any, uuid: str, spec: dict[str, Any]) -> Any:
        esm = self.get_event_source_mapping(uuid)
        if esm is not None:
            _check_filters(spec, esm.event_source_arn)
            mapping_rules.check(self, esm.event_source_arn, spec, esm)
        return mapping_rules.client_errors(lambda: original_update_esm(self, uuid, spec))

    _set(lambda_models.LambdaBackend, "update_event_source_mapping", update_event_source_mapping)

    sqs_queues.install(_set)
    _install_streams(cloud)
    cloud.s3_notifications.install(_set)
    cloud.sns_delivery.install(_set)
    cloud.eventbridge.install(_set)
    cloud.schedules.install(_set)
    cloud.api_gateway.install(_set)
    cloud.stepfunctions.install(_set)
    cloud.cloudformation.install(_set)
    cloud.autoscaling.install(_set)


def _detach_stream_mapping(account_id: str, region: str, esm: Any) -> None:
    """Take a stream mapping out of moto's synchronous delivery (the stream poller delivers)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.kinesis.models import kinesis_backends

    if arns.service(esm.event_source_arn) == "dynamodb":
        for table in dynamodb_backends[account_id][region].tables.values():
            table.lambda_event_source_mappings.pop(esm.function_arn, None)
    else:
        for stream in kinesis_backends[account_id][region].streams.values():
            if stream.arn == esm.event_source_arn:
                stream.lambda_event_source_mappings.pop(esm.event_source_arn, None)


def _install_streams(cloud: "LocalCloud") -> None:
    """Stream records on the runtime's clock, in the cloud's region, with AWS-shaped ids.

    moto stamps DynamoDB stream records and Kinesis records with the wall clock, every DynamoDB
    stream record with awsRegion "us-east-1", labels a stream with microseconds
    (`2026-11-24T23:36:13.758538`; AWS: milliseconds, `2016-12-01T00:00:00.000`) and numbers
    Kinesis records 1, 2, 3 (AWS: 56-digit sequence numbers).
    """
    import hashlib

    import moto.dynamodb.models.table as table_models
    import moto.kinesis.models as kinesis_models

    _set(table_models, "utcnow", cloud.clock.utcnow)
    _set(kinesis_models, "utcnow", cloud.clock.utcnow)
    original_record_init = table_models.StreamRecord.__init__

    def stream_record_init(self: Any, table: Any, *args: Any, **kwargs: Any) -> None:
        original_record_init(self, table, *args, **kwargs)
        self.record["awsRegion"] = table.region_name

    _set(table_models.StreamRecord, "__init__", stream_record_init)
    original_set_stream = table_models.Table.set_stream_specification

    def set_stream_specification(self: Any, streams: Any) -> None:
        before = getattr(self, "latest_stream_label", None)
        original_set_stream(self, streams)
        label = self.latest_stream_label
        if label and label != before:  # a new stream: moto's isoformat() has µs (or no fraction)
            self.latest_stream_label = _dt.datetime.fromisoformat(label).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]

    _set(table_models.Table, "set_stream_specification", set_stream_specification)

    def put_record(self: Any, partition_key: str, data: str, explicit_hash_key: str) -> str:
        """moto's Shard.put_record with AWS-sized sequence numbers: still ints that only grow
        (moto's shard iterators compare them as ints), 56 digits, far apart as AWS's are."""
        if self.records:
            sequence_number = self.get_max_sequence_number() + KINESIS_SEQUENCE_STEP
        else:
            digest = int(hashlib.sha256(f"{id(self)}:{self.shard_id}".encode()).hexdigest(), 16)
            sequence_number = int(f"49{digest % (9 * 10**53):054d}")
        self.records[sequence_number] = kinesis_models.Record(partition_key, data, sequence_number, explicit_hash_key)
        return str(sequence_number)

    _set(kinesis_models.Shard, "put_record", put_record)


KINESIS_SEQUENCE_STEP = 2**90 + 7_919  # ~1.2e27: consecutive AWS sequence numbers differ from the 28th digit on


def invoked_arn_for(fn: Any, qualifier: str | None) -> str:
    """The ARN the caller used: unqualified, or with the version/alias it named."""
    base = arns.unqualified_function_arn(fn.function_arn)
    return f"{base}:{qualifier}" if qualifier else base


def uninstall() -> None:
    """Put every patched name back (and forget patches still waiting for their module)."""
    _watcher.pending.clear()
    if _watcher in sys.meta_path:
        sys.meta_path.remove(_watcher)
    while _saved:
        owner, name, value = _saved.pop()
        if value is _INHERITED:
            delattr(owner, name)
        else:
            setattr(owner, name, value)


class _ImportWatcher(importlib.abc.MetaPathFinder):
    """Runs a patch right after a moto module is first imported.

    moto imports a service's modules only when the service is first used, and two of them are
    slow to import (API Gateway ~2.5 s through openapi-spec-validator, the Step Functions
    interpreter ~1 s). Patching them at start would make every `LocalCloud()` pay that, so
    their patches wait here for the import instead.
    """

    def __init__(self) -> None:
        self.pending: dict[str, list[Callable[[], None]]] = {}

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in self.pending:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        original_exec = loader.exec_module
        callbacks = self.pending.pop(fullname)

        def exec_module(module: Any) -> None:
            original_exec(module)
            for callback in callbacks:
                callback()

        loader.exec_module = exec_module  # this loader instance serves this one module
        return spec


_watcher = _ImportWatcher()


def when_imported(module_name: str, patch: Callable[[], None]) -> None:
    """Run `patch` now if `module_name` is imported, else right after its first import."""
    if module_name in sys.modules:
        patch()
        return
    _watcher.pending.setdefault(module_name, []).append(patch)
    if _watcher not in sys.meta_path:
        sys.meta_path.insert(0, _watcher)


def queue_next_visible(account_id: str, region: str, queue_name: str, now: float) -> float | None:
    """When the next message in a queue becomes receivable (None if none is waiting)."""
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[account_id][region].queues.get(queue_name)
    if queue is None:
        return None
    upcoming = []
    for message in list(queue._messages):
        # moto treats a message as visible only strictly after visible_at (ms).
        ready = max(message.visible_at, message.delayed_until) / 1000.0 + 0.001
        if ready > now:
            upcoming.append(ready)
    return min(upcoming) if upcoming else None
