"""The one way the cloud sends something to an ARN: SQS, SNS, Lambda (async), EventBridge, Kinesis, Step Functions.

Every sender goes through `Targets.send` (as `ctx.send`): async-invocation destinations and
dead-letter queues, stream mappings' on-failure destinations, EventBridge rule targets and DLQs,
S3 notifications, EventBridge Scheduler targets. Each kind is delivered the same way whoever
sends it, to the region and account the ARN names (not the cloud's own), straight into moto's
backend for that region (no boto3 round trip):
- sqs: SendMessage to the queue named by the ARN; `group_id`/`deduplication_id` for a FIFO queue;
- sns: Publish to the topic, with `subject`;
- lambda: an asynchronous invocation (Lambda's async queue: retries, destinations, DLQ); the body
  must be JSON, as Lambda's payload is;
- events: an `event-bus/...` ARN gets a PutEvents entry (`source`, `detail_type`, `resources`,
  the body as Detail); a `rule/...` ARN hands the event (the body, JSON) to that rule's targets,
  whatever its pattern says (what a schedule does; EventBridge registers the handler);
- kinesis: PutRecord with `partition_key`;
- states: StartExecution with the body as input.
`attributes` are SQS/SNS message attributes in SendMessage's shape (`{"DataType", "StringValue"}`);
`lambda_dlq_attributes` and `eventbridge_dlq_attributes` build the two kinds AWS writes.
"""
from __future__ import annotations

import base64
import json
import uuid
from typing import TYPE_CHECKING, Any, Callable

from ...korean import josa
from . import arns
from .errors import CloudUsageError

if TYPE_CHECKING:
    from .context import CloudContext

__all__ = ["Targets", "KINDS", "lambda_dlq_attributes", "eventbridge_dlq_attributes", "invocation_result"]

KINDS = ("sqs", "sns", "lambda", "events", "kinesis", "states")

RuleHandler = Callable[[str, dict[str, Any]], int]


def lambda_dlq_attributes(request_id: str, error_message: str) -> dict[str, dict[str, str]]:
    """What Lambda adds to an async event it dead-letters (the body is the original payload)."""
    return {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": error_message or "-"},
    }


def eventbridge_dlq_attributes(error: str | None, rule_arn: str, target_arn: str) -> dict[str, dict[str, str]]:
    """What EventBridge adds to an event it could not hand to a target."""
    return {
        "ERROR_CODE": {"DataType": "String", "StringValue": "SDK_CLIENT_ERROR"},
        "ERROR_MESSAGE": {"DataType": "String", "StringValue": (error or "-")[:256]},
        "RULE_ARN": {"DataType": "String", "StringValue": rule_arn},
        "TARGET_ARN": {"DataType": "String", "StringValue": target_arn},
    }


def invocation_result(success: bool, function_arn: str) -> dict[str, Any]:
    """`send` options for an invocation record sent to an EventBridge destination (ignored by the others)."""
    outcome = "Success" if success else "Failure"
    return {"source": "lambda", "detail_type": f"Lambda Function Invocation Result - {outcome}", "resources": [function_arn]}


def _sns_attributes(attributes: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """SendMessage-shaped attributes as SNS's backend keeps them (what its Publish API converts to)."""
    return {name: {"Type": value["DataType"], "Value": value["StringValue"]} for name, value in attributes.items()}


class Targets:
    """Sends a message to an ARN, for one cloud context."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self._rule_handler: RuleHandler | None = None

    def on_rule(self, handler: RuleHandler) -> None:
        """Who delivers an event sent to a rule ARN: `handler(rule_arn, event)` returns the targets reached."""
        self._rule_handler = handler

    def send(
        self,
        arn: str,
        body: str,
        *,
        attributes: dict[str, dict[str, str]] | None = None,
        subject: str | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        partition_key: str | None = None,
        source: str | None = None,
        detail_type: str | None = None,
        resources: list[str] | None = None,
    ) -> int:
        """Deliver `body` to `arn`; returns how many deliveries that made (a rule: its targets reached).

        Raises CloudUsageError for a service no target can be, and moto's error when the
        resource does not exist (the caller decides: retry, dead-letter, record the failure).
        """
        fields = arns.parse(arn) if arn.startswith("arn:") else None
        kind = fields.service if fields is not None else ""
        if fields is None or kind not in KINDS:
            raise CloudUsageError(
                f"대상 {josa(arn, '은')} 오프라인 클라우드가 보낼 수 없는 대상입니다. "
                "SQS, SNS, Lambda, EventBridge, Kinesis, Step Functions의 ARN을 쓰십시오."
            )
        account = fields.account or self.ctx.account_id
        region = fields.region or self.ctx.region
        if kind == "sqs":
            from moto.sqs.models import sqs_backends

            fifo = fields.resource.endswith(".fifo")
            sqs_backends[account][region].send_message(
                queue_name=fields.resource,
                message_body=body,
                message_attributes=attributes,
                group_id=group_id if fifo else None,
                deduplication_id=deduplication_id if fifo else None,
            )
        elif kind == "sns":
            from moto.sns.models import sns_backends

            sns_backends[account][region].publish(
                message=body, arn=arn, subject=subject, message_attributes=_sns_attributes(attributes) if attributes else None
            )
        elif kind == "lambda":
            try:
                payload = json.loads(body)
            except ValueError as exc:
                raise ValueError(f"Lambda 대상의 입력이 JSON이 아닙니다: {body[:80]!r}") from exc
            self.ctx.async_invoke(arn, json.dumps(payload).encode(), arn)
        elif kind == "events":
            return self._events(arn, fields, account, region, body, source, detail_type, resources)
        elif kind == "kinesis":
            from moto.kinesis.models import kinesis_backends

            kinesis_backends[account][region].put_record(
                stream_arn=arn,
                stream_name=None,
                partition_key=partition_key or str(uuid.uuid4()),
                explicit_hash_key=None,
                data=base64.b64encode(body.encode()).decode(),  # moto keeps the base64 text PutRecord carries
            )
        else:  # states
            from moto.stepfunctions.responses import get_backend

            get_backend(account, region).start_execution(arn, None, body)
        return 1

    def _events(
        self,
        arn: str,
        fields: arns.Arn,
        account: str,
        region: str,
        body: str,
        source: str | None,
        detail_type: str | None,
        resources: list[str] | None,
    ) -> int:
        if fields.resource.startswith("rule/"):
            if self._rule_handler is None:
                raise CloudUsageError(f"규칙 {arn}에 이벤트를 넘길 EventBridge가 연결되어 있지 않습니다. LocalCloud가 만든 컨텍스트를 쓰십시오.")
            return self._rule_handler(arn, json.loads(body))
        from moto.events.models import events_backends

        events_backends[account][region].put_events(
            [{"Source": source or "", "DetailType": detail_type or "", "Detail": body, "EventBusName": arn, "Resources": list(resources or [])}]
        )
        return 1
