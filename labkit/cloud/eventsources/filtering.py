"""Lambda event filtering (FilterCriteria) for the SQS, DynamoDB Streams and Kinesis pollers.

Lambda filters with EventBridge's pattern syntax, so the matching itself is the one
`core.patterns.pattern_matches` (moto's EventPattern). What is Lambda's own, and so lives here:
- up to 5 patterns per mapping (AWS's default quota), ORed: a record is delivered if any matches;
- what a pattern is matched against: the SQS record with `body` parsed when it is a JSON object,
  the Kinesis record with the `kinesis` fields at the top level and `data` base64-decoded and
  parsed as JSON, the DynamoDB Streams record as it is;
- the format rules of "Lambda event filtering": a pattern that names JSON fields of `body` /
  `data` never matches a body or data that is not JSON, and a plain-string pattern on `body` never
  matches a JSON body; a stream pattern on `data` / `dynamodb` must itself be JSON (an object),
  else creating or updating the mapping fails, as on AWS.
What a poller does with a record that matches nothing is the poller's (sqs.py deletes the message,
streams.py moves the checkpoint past it).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..core.patterns import pattern_matches

__all__ = ["MAX_FILTERS", "MAX_PATTERN_LENGTH", "patterns", "validate", "record_matches"]

MAX_FILTERS = 5  # AWS's default quota per event source mapping (raisable to 10 on request)
MAX_PATTERN_LENGTH = 4096  # Filter.Pattern length constraint in the Lambda API

_DATA_KEY = {"sqs": "body", "kinesis": "data", "dynamodb": "dynamodb"}


def patterns(filter_criteria: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The parsed patterns of a mapping's FilterCriteria (empty: deliver everything)."""
    out = []
    for item in (filter_criteria or {}).get("Filters") or []:
        raw = item.get("Pattern") if isinstance(item, dict) else None
        if raw:
            out.append(json.loads(raw) if isinstance(raw, str) else raw)
    return out


def validate(filter_criteria: Any, service: str) -> None:
    """Reject FilterCriteria that Lambda rejects when a mapping is created or updated.

    Raises moto's InvalidParameterValueException (boto3 sees a ClientError), with the reason in
    Korean: the learner wrote the pattern and needs to know which part is wrong.
    """
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.events.exceptions import InvalidEventPatternException
    from moto.events.models import EventPatternParser

    if not filter_criteria:
        return
    filters = filter_criteria.get("Filters") if isinstance(filter_criteria, dict) else None
    if filters is None:
        filters = []
    if not isinstance(filters, list):
        raise InvalidParameterValueException("FilterCriteria의 Filters는 목록이어야 합니다.")
    if len(filters) > MAX_FILTERS:
        raise InvalidParameterValueException(
            f"FilterCriteria에는 필터를 {MAX_FILTERS}개까지 넣을 수 있습니다({len(filters)}개). "
            "조건은 $or나 한 패턴 안의 여러 값으로 합치십시오."
        )
    data_key = _DATA_KEY.get(service)
    for number, item in enumerate(filters, 1):
        raw = item.get("Pattern") if isinstance(item, dict) else None
        if raw is None or raw == "":
            continue
        if not isinstance(raw, str):
            raise InvalidParameterValueException(f"필터 {number}의 Pattern은 JSON 문자열이어야 합니다(json.dumps(...)).")
        if len(raw) > MAX_PATTERN_LENGTH:
            raise InvalidParameterValueException(
                f"필터 {number}의 Pattern이 {len(raw)}자입니다. 패턴은 {MAX_PATTERN_LENGTH}자까지입니다."
            )
        try:
            pattern = json.loads(raw)
        except ValueError:
            raise InvalidParameterValueException(f"필터 {number}의 Pattern이 JSON이 아닙니다: {raw[:120]}") from None
        if not isinstance(pattern, dict):
            raise InvalidParameterValueException(f"필터 {number}의 Pattern은 JSON 객체여야 합니다: {raw[:120]}")
        try:
            EventPatternParser(raw).parse()  # EventBridge's own checks (every value a list or an object, ...)
        except InvalidEventPatternException as exc:
            raise InvalidParameterValueException(
                f"필터 {number}의 Pattern이 올바른 이벤트 패턴이 아닙니다: {raw[:120]} "
                f"(값은 {{\"필드\": [값, ...]}}처럼 목록이나 객체여야 합니다. {exc.message})"
            ) from None
        if service in ("kinesis", "dynamodb") and data_key in pattern and not isinstance(pattern[data_key], dict):
            raise InvalidParameterValueException(
                f"필터 {number}: 스트림 레코드의 {data_key!r}에 거는 조건은 JSON 객체여야 합니다"
                f"(예: {{\"{data_key}\": {{\"필드\": [\"값\"]}}}}). 문자열 목록으로는 걸 수 없습니다."
            )


def record_matches(pattern_list: list[dict[str, Any]], record: dict[str, Any], service: str) -> bool:
    """Whether a Lambda event record satisfies one of the patterns (no patterns: always)."""
    if not pattern_list:
        return True
    return any(_matches(pattern, record, service) for pattern in pattern_list)


def _matches(pattern: dict[str, Any], record: dict[str, Any], service: str) -> bool:
    if service == "sqs":
        subject = record
        if "body" in pattern:
            body = _json_object(record.get("body"))
            wants_json = isinstance(pattern["body"], dict)
            if wants_json != (body is not None):
                return False  # the pattern's format and the body's differ: Lambda drops the message
            if wants_json:
                subject = {**record, "body": body}
        return pattern_matches(pattern, subject)
    if service == "kinesis":
        fields = record.get("kinesis", {})
        subject = {**record, **fields}  # Kinesis patterns name partitionKey, data, ... at the top level
        if "data" in pattern:
            try:
                data = _json_object(base64.b64decode(fields.get("data", "")).decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                data = None
            if data is None:
                return False  # a pattern on JSON fields never matches data that is not JSON
            subject["data"] = data
        return pattern_matches(pattern, subject)
    return pattern_matches(pattern, record)


def _json_object(text: Any) -> dict[str, Any] | None:
    """`text` parsed, when it is a JSON object; None for plain strings (and bare JSON scalars)."""
    if not isinstance(text, str) or not text.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
