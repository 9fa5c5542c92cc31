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
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from ...korean import josa
from ..core import arns

__all__ = ["check", "client_errors"]

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
