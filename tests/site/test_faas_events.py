"""The FaaS chapter's example events are what the offline cloud delivers today.

docs/faas/events/*.json are captured by `python -m workshop.event_samples`. Capturing again
must give the same fields with the same types, and the same values wherever a value does not
change by nature (ids, receipt handles, times, trace ids). If this fails after a runtime change,
regenerate the files and read the chapter's text against them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from workshop.event_samples import EVENTS_DIR, SCENARIOS, capture, render

# Leaf keys whose values differ on every run, so only their presence and type are compared.
VOLATILE = {
    "messageId", "receiptHandle", "SentTimestamp", "ApproximateFirstReceiveTimestamp",
    "eventTime", "x-amz-request-id", "x-amz-id-2", "sequencer", "requestId",
    "extendedRequestId", "deploymentId", "requestTime", "requestTimeEpoch", "time", "timeEpoch", "Host", "host",
    "domainName", "domainPrefix", "apiId", "resourceId", "X-Amzn-Trace-Id", "x-amzn-trace-id",
    "id", "eventID", "ApproximateCreationDateTime", "SequenceNumber", "sequenceNumber",
    "approximateArrivalTimestamp", "eventSourceARN", "User-Agent", "user-agent", "userAgent",
    "SizeBytes",  # moto counts the record's serialised size, ids and times included
}


def leaves(value: Any, path: str = "$") -> dict[str, Any]:
    """path -> leaf value, with volatile leaves replaced by their type name."""
    found: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(leaves(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(leaves(item, f"{path}[{index}]"))
    else:
        key = path.rsplit(".", 1)[-1].split("[", 1)[0]
        found[path] = type(value).__name__ if key in VOLATILE else value
    return found


@pytest.fixture(scope="module")
def fresh() -> dict[str, Any]:
    return {name: capture(name) for name in SCENARIOS}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_committed_event_matches_what_the_runtime_delivers(name: str, fresh: dict[str, Any]) -> None:
    committed = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert leaves(committed) == leaves(fresh[name]), (
        f"docs/faas/events/{name}.json differs from what the runtime delivers: "
        "run `python -m workshop.event_samples` and re-read docs/faas/event-sources.md"
    )


def test_every_captured_event_is_included_in_the_chapter() -> None:
    chapter = (EVENTS_DIR.parent / "event-sources.md").read_text(encoding="utf-8")
    for name in SCENARIOS:
        assert f'--8<-- "faas/events/{name}.json"' in chapter, name


def test_files_are_written_readably(fresh: dict[str, Any]) -> None:
    """Korean stays Korean in the files (a reader of the chapter sees 김서버, not \\uae40)."""
    assert "김서버" in render(fresh["apigateway-http"])
    assert "\\u" not in (EVENTS_DIR / "apigateway-rest.json").read_text(encoding="utf-8")


def test_the_comparison_catches_a_changed_field(fresh: dict[str, Any]) -> None:
    """The check above can fail: a renamed field or a changed stable value is a difference."""
    changed = json.loads(json.dumps(fresh["sqs"]))
    changed["Records"][0]["eventSource"] = "aws:sns"
    assert leaves(changed) != leaves(fresh["sqs"])
    renamed = json.loads(json.dumps(fresh["s3"]))
    renamed["Records"][0]["s3"]["object"]["Key"] = renamed["Records"][0]["s3"]["object"].pop("key")
    assert leaves(renamed) != leaves(fresh["s3"])
