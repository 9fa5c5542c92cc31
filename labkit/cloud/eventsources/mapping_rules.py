"""The rules Lambda applies when an event-source mapping is created or updated.

moto accepts configurations that CreateEventSourceMapping / UpdateEventSourceMapping reject, so
work that runs offline would fail at deploy time (Terraform, CloudFormation, SAM). Each rule
raises moto's InvalidParameterValueException, which boto3 turns into a ClientError, with AWS's
own message first (as it appears in AWS error reports) and what to change in Korean after it:
- BatchSize over 10 on a standard queue needs MaximumBatchingWindowInSeconds of at least 1
  (API_CreateEventSourceMapping, BatchSize);
- FIFO queues take no batching window ("applies only to standard queues", services-sqs-configure);
- the queue's VisibilityTimeout may not be shorter than the function's timeout;
- MaximumRecordAgeInSeconds is -1 or 60..604800 ("The minimum valid value for maximum record age
  is 60s", API_CreateEventSourceMapping);
- an out-of-range BatchSize: moto raises a bare ValueError, turned here into the same exception.
FilterCriteria are checked by filtering.validate.

`install` patches moto's CreateEventSourceMapping / UpdateEventSourceMapping to apply both, before
moto creates or changes anything. It belongs with the pollers, not with Lambda's own patches
(awslambda/patches.py): what a mapping may be configured to do is event-source knowledge, and
Lambda's runtime imports nothing from eventsources/ (tests/cloud/test_import_layers.py).
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from ...korean import josa
from ..core import arns
from ..moto.registry import MotoName
from . import filtering

__all__ = ["check", "client_errors", "install", "PATCHES"]

T = TypeVar("T")


def _error(aws: str, korean: str) -> Exception:
    from moto.awslambda.exceptions import InvalidParameterValueException

    return InvalidParameterValueException(f"{aws} ({korean})")


def _queue(account_id: str, region: str, arn: str) -> Any:
    from moto.sqs.models import sqs_backends

    for queue in sqs_backends[account_id][region].queues.values():
        if queue.queue_arn == arn:
            return queue
    return None


def check(backend: Any, source_arn: str, spec: dict[str, Any], current: Any = None) -> None:
    """Raise as Lambda does if `spec` (merged over the `current` mapping on update) breaks a rule."""

    def value(key: str, attribute: str) -> Any:
        if key in spec:
            return spec[key]
        return getattr(current, attribute, None) if current is not None else None

    service = arns.service(source_arn)
    batch = value("BatchSize", "batch_size")
    window = value("MaximumBatchingWindowInSeconds", "max_batch_window")
    if service == "sqs":
        fifo = source_arn.endswith(".fifo")
        if fifo and window:
            raise _error(
                "Batching window is not supported for FIFO queues",
                "FIFO 큐의 매핑에는 MaximumBatchingWindowInSeconds를 지정하지 않습니다. 배치 창은 표준 큐에만 있습니다.",
            )
        if not fifo and batch is not None and int(batch) > 10 and not window:
            raise _error(
                "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
                f"BatchSize를 10보다 크게({batch}) 정하려면 MaximumBatchingWindowInSeconds를 1 이상으로 함께 지정하십시오.",
            )
        queue = _queue(backend.account_id, backend.region_name, source_arn)
        name = spec.get("FunctionName") or (current.function_arn if current is not None else None)
        if queue is not None and name and ("FunctionName" in spec or current is None):
            timeout = int(backend.get_function(name).timeout)
            visibility = int(queue.visibility_timeout)
            if visibility < timeout:
                raise _error(
                    f"Queue visibility timeout: {visibility} seconds is less than Function timeout: {timeout} seconds",
                    f"큐의 VisibilityTimeout({visibility}초)을 함수 제한 시간({timeout}초) 이상으로 늘리십시오. "
                    "AWS는 함수 제한 시간의 6배를 권장합니다.",
                )
    if service in ("dynamodb", "kinesis"):
        age = value("MaximumRecordAgeInSeconds", "max_record_age")
        if age is not None and int(age) != -1 and not 60 <= int(age) <= 604_800:
            raise _error(
                "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 (inclusive)",
                f"MaximumRecordAgeInSeconds {josa(str(age), '은')} 쓸 수 없습니다. -1(제한 없음)이나 60~604800초로 지정하십시오.",
            )


def client_errors(call: Callable[[], T]) -> T:
    """Run moto's mapping code, turning its bare ValueError("InvalidParameterValueException",
    message) (an out-of-range BatchSize) into the exception boto3 reports as a ClientError."""
    try:
        return call()
    except ValueError as exc:
        if len(exc.args) == 2 and exc.args[0] == "InvalidParameterValueException":
            raise _error(
                str(exc.args[1]),
                "BatchSize는 표준 큐 1~10000, FIFO 큐 1~10, DynamoDB Streams와 Kinesis 1~10000입니다.",
            ) from None
        raise


# --------------------------------------------------------------------------- moto patches


def _check_filters(spec: dict[str, Any], source_arn: str) -> None:
    if spec.get("FilterCriteria"):
        filtering.validate(spec["FilterCriteria"], arns.service(str(source_arn)))


def install(set_: Callable[[Any, str, Any], None]) -> None:
    """Reject, on create and update, the FilterCriteria and configurations Lambda rejects.

    Installed right after Lambda's own patches and before sqs.py's and streams.py's, which wrap
    this one to detach each new mapping from moto's delivery once it exists.
    """
    from moto.awslambda.models import LambdaBackend

    original_create_esm = LambdaBackend.create_event_source_mapping
    original_update_esm = LambdaBackend.update_event_source_mapping

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        _check_filters(spec, spec.get("EventSourceArn", ""))
        if spec.get("EventSourceArn") and spec.get("FunctionName"):
            check(self, spec["EventSourceArn"], spec)
        return client_errors(lambda: original_create_esm(self, spec))

    set_(LambdaBackend, "create_event_source_mapping", create_event_source_mapping)

    def update_event_source_mapping(self: Any, uuid: str, spec: dict[str, Any]) -> Any:
        esm = self.get_event_source_mapping(uuid)
        if esm is not None:
            _check_filters(spec, esm.event_source_arn)
            check(self, esm.event_source_arn, spec, esm)
        return client_errors(lambda: original_update_esm(self, uuid, spec))

    set_(LambdaBackend, "update_event_source_mapping", update_event_source_mapping)


# moto's private names `install` patches and the rules read (filtering.validate reads the pattern parser).
PATCHES = (
    MotoName("moto.awslambda.models:LambdaBackend", "create_event_source_mapping", "(self, spec)"),
    MotoName("moto.awslambda.models:LambdaBackend", "update_event_source_mapping", "(self, uuid, spec)"),
    MotoName("moto.awslambda.models:LambdaBackend", "get_function", "(self, function_name_or_arn, qualifier=None)"),
    MotoName("moto.awslambda.exceptions", "InvalidParameterValueException", "(message)"),
    MotoName("moto.sqs.models", "sqs_backends"),
    MotoName("moto.sqs.models:Queue", "visibility_timeout", instance=True),
    MotoName("moto.events.models:EventPatternParser", "parse", "(self)"),
)
