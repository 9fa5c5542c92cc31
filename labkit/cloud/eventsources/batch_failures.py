"""ReportBatchItemFailures: which records of a batch failed, by AWS's rules, for SQS and stream mappings.

With `FunctionResponseTypes=["ReportBatchItemFailures"]` the handler names failed records in
`{"batchItemFailures": [{"itemIdentifier": ...}]}`: a message id (SQS) or a sequence number
(streams). An empty or null response or list means every record succeeded; an item without a
non-empty itemIdentifier naming a record of the batch, or a response that is not an object,
fails the whole batch. What a poller does with the answer is the poller's: sqs.py keeps the
failed messages, streams.py retries from the lowest failed sequence number.
"""
from __future__ import annotations

from typing import Any

__all__ = ["failed_item_ids", "first_failed"]


def failed_item_ids(response: Any, ids: list[str]) -> list[str]:
    """The ids of the records that failed, in the response's order (all of them for a malformed one)."""
    if response is None or response == {} or response == "":
        return []
    if not isinstance(response, dict):
        return list(ids)
    failures = response.get("batchItemFailures")
    if not failures:
        return []
    failed: list[str] = []
    for item in failures:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not ident or str(ident) not in ids:
            return list(ids)
        failed.append(str(ident))  # a handler may return a stream's sequence number as a number
    return failed


def first_failed(response: Any, ids: list[str]) -> str | None:
    """The earliest failed record in batch order (None: every record succeeded)."""
    failed = set(failed_item_ids(response, ids))
    return next((ident for ident in ids if ident in failed), None)
