"""ISO 8601 timestamps as AWS writes them: UTC, a `Z`, to the second or to the millisecond.

One formatter family for every event the cloud builds (EventBridge `time`, S3 `eventTime`,
invocation records' `timestamp`, stream batch info), so the shapes cannot drift apart. AWS
truncates, never rounds, the fraction; `datetime.isoformat(timespec=...)` does the same.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any

__all__ = ["iso_seconds", "iso_millis", "to_datetime"]

_NUMBER = re.compile(r"\d+(\.\d+)?")


def to_datetime(value: Any) -> _dt.datetime:
    """An aware UTC datetime from epoch seconds (a number or its text), a datetime (naive is UTC)
    or ISO 8601 text; None or "" is now on the wall clock."""
    if isinstance(value, _dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
    elif isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        stamp = _dt.datetime.fromtimestamp(float(value), tz=_dt.timezone.utc)
    elif isinstance(value, str) and value:
        stamp = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=_dt.timezone.utc)
    else:
        stamp = _dt.datetime.now(tz=_dt.timezone.utc)
    return stamp.astimezone(_dt.timezone.utc)


def iso_seconds(value: Any) -> str:
    """`2026-12-02T00:44:04Z` (EventBridge's `time`, scheduled times, DynamoDB batch info)."""
    return to_datetime(value).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def iso_millis(value: Any) -> str:
    """`2026-12-02T00:44:04.123Z` (S3's `eventTime`, invocation records, Kinesis batch info)."""
    return to_datetime(value).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
