"""Lambda's event source mappings: the pollers that read SQS, DynamoDB Streams and Kinesis and invoke functions.

    sqs.py              SqsPoller: SQS -> Lambda batches, visibility timeouts, deletes (+ its moto patches)
    sqs_queues.py       moto's SQS queues made fast and AWS-faithful (FIFO groups, retention) for the poller
    streams.py          StreamPoller: DynamoDB Streams / Kinesis -> Lambda, checkpoints, retries, bisecting
    filtering.py        FilterCriteria: which records a mapping delivers (the pattern engine is core.patterns)
    batch_failures.py   ReportBatchItemFailures: which records of a batch failed, by AWS's rules
    mapping_rules.py    what CreateEventSourceMapping / UpdateEventSourceMapping reject (+ the patch applying it)

This is the offline cloud's side of event sources. The labs' helper module `labkit.eventsources`
(`es.queue`, `es.mapping`, ...) is a different thing: it creates queues, tables and mappings
through boto3, as a learner would against AWS, and these pollers then deliver what they receive.

The small public API is re-exported here, loaded on first use (PEP 562) like `labkit.cloud`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import exports as _exports

# Public name -> the submodule that defines it.
_EXPORTS = {
    "SqsDelivery": "sqs",
    "SqsPoller": "sqs",
    "StreamDelivery": "streams",
    "StreamPoller": "streams",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .sqs import SqsDelivery, SqsPoller
    from .streams import StreamDelivery, StreamPoller


__getattr__, __dir__ = _exports(__name__, _EXPORTS)
