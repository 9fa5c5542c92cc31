"""The registry of every private moto name labkit.cloud patches or reads, and its self-check.

moto has no hook for running Lambda code, so the runtime replaces a few private names. They are
listed in `PATCHES` with the exact moto version they were written against; the self-test
(tests/cloud/test_moto_integration.py) fails loudly if moto changes version or any of these
names disappears. The patches live beside their service, each in its `install`
(`awslambda/patches.py`, `sqs.py`, `sqs_queues.py`, `streams.py`, `s3.py`, `sns.py`,
`eventbridge.py`, `schedules.py`, `apigateway.py`, `stepfunctions.py`, `cloudformation.py`);
the ledger that installs and removes them is `moto/patching.py`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MOTO_VERSION", "PATCHES", "check"]

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
