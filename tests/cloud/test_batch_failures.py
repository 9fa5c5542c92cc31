"""ReportBatchItemFailures for stream mappings: where the retry starts (batch_failures.first_failed).

The SQS side (`failed_item_ids`) is pinned in test_sqs.py; both follow the same AWS rules.
"""
from __future__ import annotations

import pytest

from labkit.cloud.eventsources.batch_failures import first_failed

SEQUENCES = ["101", "102", "103"]


@pytest.mark.parametrize(
    ("response", "start"),
    [
        (None, None),
        ({"batchItemFailures": []}, None),
        ({"batchItemFailures": [{"itemIdentifier": "103"}, {"itemIdentifier": "102"}]}, "102"),  # the lowest, not the first named
        ({"batchItemFailures": [{"itemIdentifier": 103}]}, "103"),  # a sequence number returned as a number
        ({"batchItemFailures": [{"itemIdentifier": "999"}]}, "101"),  # not in the batch: all of it again
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, "101"),
        (["103"], "101"),
    ],
)
def test_the_retry_starts_at_the_lowest_failed_record(response, start) -> None:
    assert first_failed(response, SEQUENCES) == start
