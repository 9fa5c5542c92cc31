"""DynamoDB Streams and Kinesis -> Lambda: the stream event-source-mapping poller.

What Lambda's stream poller does, and so what this one does:
- each mapping reads every shard on its own, from its StartingPosition (TRIM_HORIZON, LATEST
  as of the mapping's creation, or AT_TIMESTAMP for Kinesis), and keeps its own checkpoint:
  several mappings on one stream each see every record, and the stream itself is never emptied
  (direct readers with GetRecords still see everything);
- a batch holds up to BatchSize records of one shard, in sequence order (at most 6 MB), and waits
  up to MaximumBatchingWindowInSeconds, counted from the arrival of its first record;
- records matching none of the mapping's FilterCriteria patterns are skipped (checkpointed);
- a function error blocks the shard: the same batch is retried, in order, until it succeeds,
  MaximumRetryAttempts is used up, or a record is older than MaximumRecordAgeInSeconds (both -1,
  infinite, by default). BisectBatchOnFunctionError splits a failing batch in two first
  (splitting does not use the retry quota). A discarded batch is described to the on-failure
  destination (DDBStreamBatchInfo / KinesisBatchInfo) and the shard moves on;
- with ReportBatchItemFailures the function names failed records by sequence number: the
  checkpoint moves to just before the lowest one, and only the records from there are retried;
- throttles are retried without using the retry quota; disabled mappings keep their checkpoint
  and resume from it when enabled again; deleted mappings are forgotten.

moto would deliver synchronously inside each write, one record per event, empty the DynamoDB
shard after delivery, and keep only the last Kinesis mapping per stream. `install` below
detaches stream mappings from those paths, so this poller is the only consumer. Delivery happens
only in `LocalCloud.run_until_idle()`; retry delays are on the runtime's clock. AWS's exact retry
back-off is not published: here it is 1 s, doubling per failed attempt, at most 60 s.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ..awslambda.models import FunctionSpec, Invocation
from ..core import arns
from ..core.errors import TooManyRequestsException
from ..core.retries import STREAM_RETRY_BACKOFF, doubling
from ..core.targets import invocation_result
from ..core.timefmt import iso_millis, iso_seconds
from ..moto.registry import MotoName
from . import filtering
from .batch_failures import first_failed

if TYPE_CHECKING:
    from ..core.context import CloudContext

__all__ = ["StreamPoller", "StreamDelivery", "dynamodb_lambda_record", "kinesis_lambda_record"]

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024


@dataclass
class StreamDelivery:
    """One batch handed to a function (or discarded), and what became of it."""

    mapping_uuid: str
    shard_id: str
    sequence_numbers: list[str]
    invocation: Invocation | None
    outcome: str  # "ok", "partial", "error", "throttled", "discarded"
    failed_from: str | None = None  # ReportBatchItemFailures: the retry starts here
    condition: str | None = None  # for "discarded": RetryAttemptsExhausted / RecordAgeExceeded


@dataclass
class _StreamRecord:
    """A record in a shard, as the poller sees it."""

    sequence: int
    arrival: float  # epoch seconds on the runtime's clock
    lambda_record: dict[str, Any]


@dataclass
class _ShardRecords:
    """The records of one shard, read on demand."""

    after: Callable[[int], list[_StreamRecord]]  # records with a sequence number > n, in order
    last: Callable[[], int]  # the last sequence number (0 when empty)


@dataclass
class _ShardState:
    checkpoint: int  # every record with a sequence number <= checkpoint is done
    attempts: int = 0  # failed attempts of the batch now at the head
    retry_at: float | None = None
    sizes: list[int] = field(default_factory=list)  # bisected batch sizes still to try


@dataclass
class _MappingState:
    shards: dict[str, _ShardState] = field(default_factory=dict)
    created_at: float = 0.0
    initial_checkpoint: dict[str, int] = field(default_factory=dict)


def _epoch(value: Any) -> float:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.timestamp()
    return float(value)


def _base64_binaries(value: Any) -> Any:
    """DynamoDB JSON as AWS sends it: B and BS values are base64 text (moto keeps bytes), at any depth."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {key: _base64_binaries(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_base64_binaries(item) for item in value]
    return value


def dynamodb_lambda_record(stream_record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """One record of a DynamoDB Streams event, in Lambda's shape, from moto's stream record."""
    dynamodb = dict(stream_record["dynamodb"])
    for image in ("Keys", "NewImage", "OldImage"):
        if image in dynamodb:
            dynamodb[image] = _base64_binaries(dynamodb[image])
    # Lambda sends ApproximateCreationDateTime as whole epoch seconds, an integer (1480642020):
    # a float would make boto3's DynamoDB resource refuse to store it ("Float types are not supported").
    dynamodb["ApproximateCreationDateTime"] = int(_epoch(dynamodb["ApproximateCreationDateTime"]))
    return {
        "eventID": stream_record["eventID"],
        "eventName": stream_record["eventName"],
        "eventVersion": "1.1",  # what Lambda sends today (moto stores "1.0")
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


def kinesis_lambda_record(
    record: Any, shard_id: str, stream_arn: str, region: str, role_arn: str
) -> dict[str, Any]:
    """One record of a Kinesis event, in Lambda's shape, from moto's Kinesis record."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record.partition_key,
            "sequenceNumber": str(record.sequence_number),
            "data": record.data,  # moto keeps the base64 text the producer sent
            "approximateArrivalTimestamp": round(record.created_at, 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{record.sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role_arn,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


class StreamPoller:
    """The poller behind every DynamoDB Streams and Kinesis event-source mapping of one cloud."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self._states: dict[str, _MappingState] = {}
        self.deliveries: list[StreamDelivery] = []

    # ---- moto lookups

    def mappings(self) -> list[Any]:
        backend = self.ctx.runtime.backend
        found = [
            m for m in backend.list_event_source_mappings(None, None)
            if arns.service(m.event_source_arn) in ("dynamodb", "kinesis")
        ]
        live = {m.uuid for m in found}
        for gone in set(self._states) - live:
            del self._states[gone]
        return found

    def _shards(self, esm: Any) -> list[tuple[str, "_ShardRecords"]] | None:
        """Every shard of the mapping's stream, or None if the stream is gone.

        Records are converted to Lambda's shape only past a checkpoint, so a long stream costs
        nothing per poll once it has been delivered.
        """
        arn = esm.event_source_arn
        region = self.ctx.region
        if arns.service(arn) == "dynamodb":
            from moto.dynamodb.models import dynamodb_backends

            table_name = arns.table_name(arn)
            table = dynamodb_backends[self.ctx.account_id][region].tables.get(table_name)
            shard = getattr(table, "stream_shard", None)
            if table is None or shard is None or not arn.endswith(f"/stream/{table.latest_stream_label}"):
                return None
            items = shard.items
            start = shard.starting_sequence_number  # moto numbers items start, start + 1, ...

            def ddb_after(after: int) -> list[_StreamRecord]:
                return [
                    _StreamRecord(
                        int(item.record["dynamodb"]["SequenceNumber"]),
                        _epoch(item.record["dynamodb"]["ApproximateCreationDateTime"]),
                        dynamodb_lambda_record(item.record, arn, region),
                    )
                    for item in items[max(0, after - start + 1):]
                ]

            return [(shard.id, _ShardRecords(ddb_after, lambda: start + len(items) - 1 if items else 0))]
        from moto.kinesis.models import kinesis_backends

        stream = next((s for s in kinesis_backends[self.ctx.account_id][region].streams.values() if s.arn == arn), None)
        if stream is None:
            return None
        role = getattr(self._function(esm), "role", "") or ""
        out = []
        for shard in stream.shards.values():

            def kinesis_after(after: int, shard: Any = shard) -> list[_StreamRecord]:
                return [
                    _StreamRecord(seq, record.created_at, kinesis_lambda_record(record, shard.shard_id, arn, region, role))
                    for seq, record in shard.records.items()
                    if seq > after
                ]

            out.append((shard.shard_id, _ShardRecords(kinesis_after, lambda shard=shard: shard.get_max_sequence_number())))
        return out

    def _function(self, esm: Any) -> Any:
        return self.ctx.runtime.resolve(esm.function_arn)

    # ---- mapping lifecycle

    def register(self, esm: Any) -> None:
        """Fix a new mapping's starting point now (LATEST means: as of the mapping's creation)."""
        state = self._states.setdefault(esm.uuid, _MappingState(created_at=self.ctx.clock.now()))
        for shard_id, records in self._shards(esm) or []:
            state.initial_checkpoint[shard_id] = self._start(esm, records)

    def _start(self, esm: Any, records: "_ShardRecords") -> int:
        position = (esm.starting_position or "TRIM_HORIZON").upper()
        if position == "LATEST":
            return records.last()
        if position == "AT_TIMESTAMP" and esm.starting_position_timestamp is not None:
            at = _epoch(esm.starting_position_timestamp)
            before = [r.sequence for r in records.after(0) if r.arrival < at]
            return before[-1] if before else 0
        return 0

    def _shard_state(self, esm: Any, state: _MappingState, shard_id: str, records: "_ShardRecords") -> _ShardState:
        shard = state.shards.get(shard_id)
        if shard is None:
            if shard_id in state.initial_checkpoint:
                checkpoint = state.initial_checkpoint[shard_id]
            elif state.initial_checkpoint:
                checkpoint = 0  # a shard that appeared after the mapping (resharding): read it all
            else:
                checkpoint = self._start(esm, records)
            shard = state.shards[shard_id] = _ShardState(checkpoint)
        return shard

    # ---- polling

    def poll(self) -> int:
        """Deliver every batch that is ready now; returns how many invocations ran."""
        delivered = 0
        for esm in self.mappings():
            if not esm.enabled:
                continue  # the checkpoint stays: enabling again resumes from it
            state = self._states.setdefault(esm.uuid, _MappingState(created_at=self.ctx.clock.now()))
            shards = self._shards(esm)
            if shards is None:
                continue
            for shard_id, records in shards:
                shard = self._shard_state(esm, state, shard_id, records)
                records = _snapshot(records, shard.checkpoint)  # convert once per poll, not per batch
                while self._step(esm, shard_id, shard, records):
                    delivered += 1
        return delivered

    def _pending(self, esm: Any, shard: _ShardState, records: "_ShardRecords") -> list[_StreamRecord]:
        """The records after the checkpoint that pass the mapping's filters.

        Records before the first one that passes are skipped for good: the checkpoint moves past
        them, as Lambda's iterator does (records between two that pass are skipped when the batch
        that holds the later one succeeds).
        """
        pending = records.after(shard.checkpoint)
        patterns = filtering.patterns(esm.filter_criteria)
        if not patterns:
            return pending
        service = arns.service(esm.event_source_arn)
        kept: list[_StreamRecord] = []
        first = len(pending)
        for index, record in enumerate(pending):
            if filtering.record_matches(patterns, record.lambda_record, service):
                first = min(first, index)
                kept.append(record)
        if first > 0:
            shard.checkpoint = pending[first - 1].sequence
        return kept

    def _step(self, esm: Any, shard_id: str, shard: _ShardState, records: "_ShardRecords") -> bool:
        """Deliver at most one batch from one shard; True if a function ran."""
        now = self.ctx.clock.now()
        if shard.retry_at is not None and now < shard.retry_at:
            return False
        pending = self._pending(esm, shard, records)
        max_age = _setting(esm.max_record_age)
        if max_age >= 0 and pending and now - pending[0].arrival > max_age:
            expired = [r for r in pending if now - r.arrival > max_age]
            self._discard(esm, shard_id, shard, expired, "RecordAgeExceeded", None)
            pending = pending[len(expired):]
        if not pending:
            shard.sizes.clear()
            return False
        if shard.retry_at is None and not shard.sizes:
            window = float(esm.max_batch_window or 0)
            if len(pending) < esm.batch_size and window > 0 and now < pending[0].arrival + window:
                return False
        batch = self._batch(esm, shard, pending)
        shard.retry_at = None
        self._invoke(esm, shard_id, shard, batch)
        return True

    def _batch(self, esm: Any, shard: _ShardState, pending: list[_StreamRecord]) -> list[_StreamRecord]:
        limit = shard.sizes[0] if shard.sizes else esm.batch_size
        batch: list[_StreamRecord] = []
        size = 0
        for record in pending[:limit]:
            record_size = len(json.dumps(record.lambda_record))
            if batch and size + record_size > MAX_PAYLOAD_BYTES:
                break
            batch.append(record)
            size += record_size
        return batch

    def _invoke(self, esm: Any, shard_id: str, shard: _ShardState, batch: list[_StreamRecord]) -> None:
        runtime = self.ctx.runtime
        sequences = [str(r.sequence) for r in batch]
        event = {"Records": [r.lambda_record for r in batch]}
        try:
            fn = self._function(esm)
            invocation = runtime.invoke(fn, json.dumps(event).encode(), invoked_arn=esm.function_arn)
        except TooManyRequestsException:
            self.deliveries.append(StreamDelivery(esm.uuid, shard_id, sequences, None, "throttled"))
            shard.retry_at = self.ctx.clock.now() + doubling(STREAM_RETRY_BACKOFF, 0)
            return
        if invocation.ok:
            failed_from = None
            if "ReportBatchItemFailures" in (esm.function_response_types or []):
                failed_from = first_failed(invocation.result, sequences)
            if failed_from is None:
                self.deliveries.append(StreamDelivery(esm.uuid, shard_id, sequences, invocation, "ok"))
                self._advance(shard, batch[-1].sequence)
                return
            index = sequences.index(failed_from)
            self.deliveries.append(StreamDelivery(esm.uuid, shard_id, sequences, invocation, "partial", failed_from))
            if index > 0:  # the records before the first failure are done: a new head batch
                shard.checkpoint = batch[index - 1].sequence
                shard.attempts = 0
                batch = batch[index:]
            self._failed(esm, shard_id, shard, batch, invocation, bisect=False)
            return
        self.deliveries.append(StreamDelivery(esm.uuid, shard_id, sequences, invocation, "error"))
        self._failed(esm, shard_id, shard, batch, invocation, bisect=bool(esm.bisect_on_error))

    def _advance(self, shard: _ShardState, sequence: int) -> None:
        shard.checkpoint = sequence
        shard.attempts = 0
        shard.retry_at = None
        if shard.sizes:
            shard.sizes.pop(0)

    def _failed(
        self, esm: Any, shard_id: str, shard: _ShardState, batch: list[_StreamRecord], invocation: Invocation, *, bisect: bool
    ) -> None:
        if bisect and len(batch) > 1:
            half = len(batch) // 2
            rest = shard.sizes[1:] if shard.sizes else []
            shard.sizes = [half, len(batch) - half, *rest]
            shard.retry_at = self.ctx.clock.now()  # splitting does not use the retry quota
            return
        shard.attempts += 1
        max_retries = _setting(esm.max_retry_attempts)
        if max_retries >= 0 and shard.attempts > max_retries:
            self._discard(esm, shard_id, shard, batch, "RetryAttemptsExhausted", invocation)
            return
        if shard.sizes:
            shard.sizes[0] = len(batch)
        else:
            shard.sizes = [len(batch)]  # a retry is the same batch, not a bigger one
        delay = doubling(STREAM_RETRY_BACKOFF, shard.attempts - 1)
        shard.retry_at = self.ctx.clock.now() + delay

    def _discard(
        self, esm: Any, shard_id: str, shard: _ShardState, batch: list[_StreamRecord], condition: str, invocation: Invocation | None
    ) -> None:
        sequences = [str(r.sequence) for r in batch]
        self.deliveries.append(StreamDelivery(esm.uuid, shard_id, sequences, invocation, "discarded", condition=condition))
        attempts = shard.attempts
        self._advance(shard, batch[-1].sequence)
        target = ((esm.destination_config or {}).get("OnFailure") or {}).get("Destination")
        if target:
            record = self._failure_record(esm, shard_id, batch, sequences, condition, invocation, attempts)
            self.ctx.send(target, json.dumps(record), **invocation_result(False, esm.function_arn))

    def _failure_record(
        self,
        esm: Any,
        shard_id: str,
        batch: list[_StreamRecord],
        sequences: list[str],
        condition: str,
        invocation: Invocation | None,
        attempts: int,
    ) -> dict[str, Any]:
        """The invocation record Lambda sends to a stream mapping's on-failure destination."""
        spec = FunctionSpec.from_moto(self._function(esm))
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": spec.version}
        if invocation is not None and invocation.function_error:
            response["functionError"] = invocation.function_error
        kinesis = arns.service(esm.event_source_arn) == "kinesis"
        info_key = "KinesisBatchInfo" if kinesis else "DDBStreamBatchInfo"
        arrival = iso_millis if kinesis else iso_seconds  # as in AWS's examples of each record
        return {
            "requestContext": {
                "requestId": invocation.request_id if invocation is not None else str(uuid.uuid4()),
                "functionArn": esm.function_arn,
                "condition": condition,
                "approximateInvokeCount": max(1, attempts),
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": iso_millis(self.ctx.clock.now()),
            info_key: {
                "shardId": shard_id,
                "startSequenceNumber": sequences[0],
                "endSequenceNumber": sequences[-1],
                "approximateArrivalOfFirstRecord": arrival(batch[0].arrival),
                "approximateArrivalOfLastRecord": arrival(batch[-1].arrival),
                "batchSize": len(batch),
                "streamArn": esm.event_source_arn,
            },
        }

    def next_due(self) -> float | None:
        """When the next retry or batching window of an enabled mapping is due."""
        times: list[float] = []
        for esm in self.mappings():
            state = self._states.get(esm.uuid)
            if not esm.enabled or state is None:
                continue
            window = float(esm.max_batch_window or 0)
            shards = self._shards(esm) or []
            for shard_id, records in shards:
                shard = state.shards.get(shard_id)
                if shard is None:
                    continue
                if shard.retry_at is not None:
                    times.append(shard.retry_at)
                    continue
                if window > 0:
                    pending = self._pending(esm, shard, records)  # the window opens with a record that passes
                    if pending:
                        times.append(pending[0].arrival + window)
        return min(times) if times else None

    def checkpoints(self, uuid: str) -> dict[str, int]:
        """The last sequence number each shard of a mapping has finished, for labs and tests."""
        state = self._states.get(uuid)
        return {} if state is None else {k: v.checkpoint for k, v in state.shards.items()}


def _snapshot(records: _ShardRecords, checkpoint: int) -> _ShardRecords:
    """The shard's records past `checkpoint`, converted once and then sliced by sequence number."""
    import bisect

    converted = records.after(checkpoint)
    sequences = [r.sequence for r in converted]

    def after(n: int) -> list[_StreamRecord]:
        if n < checkpoint:
            return records.after(n)
        return converted[bisect.bisect_right(sequences, n):]

    return _ShardRecords(after, records.last)


def _setting(value: Any) -> int:
    return -1 if value is None else int(value)



# --------------------------------------------------------------------------- moto patches

KINESIS_SEQUENCE_STEP = 2**90 + 7_919  # ~1.2e27: consecutive AWS sequence numbers differ from the 28th digit on


def _detach_stream_mapping(account_id: str, region: str, esm: Any) -> None:
    """Take a stream mapping out of moto's synchronous delivery (the stream poller delivers)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.kinesis.models import kinesis_backends

    if arns.service(esm.event_source_arn) == "dynamodb":
        for table in dynamodb_backends[account_id][region].tables.values():
            table.lambda_event_source_mappings.pop(esm.function_arn, None)
    else:
        for stream in kinesis_backends[account_id][region].streams.values():
            if stream.arn == esm.event_source_arn:
                stream.lambda_event_source_mappings.pop(esm.event_source_arn, None)


def install(
    set_: Callable[[Any, str, Any], None], *, utcnow: Callable[[], _dt.datetime], register: Callable[[Any], None]
) -> None:
    """Stream records on the runtime's clock (`utcnow`), in the cloud's region, with AWS-shaped ids; every
    new stream mapping detached from moto's delivery and handed to the poller's `register`.

    moto stamps DynamoDB stream records and Kinesis records with the wall clock, every DynamoDB
    stream record with awsRegion "us-east-1", labels a stream with microseconds
    (`2026-11-24T23:36:13.758538`; AWS: milliseconds, `2016-12-01T00:00:00.000`) and numbers
    Kinesis records 1, 2, 3 (AWS: 56-digit sequence numbers).
    """
    import hashlib

    import moto.dynamodb.models.table as table_models
    import moto.kinesis.models as kinesis_models
    from moto.awslambda.models import LambdaBackend

    set_(table_models, "utcnow", utcnow)
    set_(kinesis_models, "utcnow", utcnow)
    original_record_init = table_models.StreamRecord.__init__

    def stream_record_init(self: Any, table: Any, *args: Any, **kwargs: Any) -> None:
        original_record_init(self, table, *args, **kwargs)
        self.record["awsRegion"] = table.region_name

    set_(table_models.StreamRecord, "__init__", stream_record_init)
    original_set_stream = table_models.Table.set_stream_specification

    def set_stream_specification(self: Any, streams: Any) -> None:
        before = getattr(self, "latest_stream_label", None)
        original_set_stream(self, streams)
        label = self.latest_stream_label
        if label and label != before:  # a new stream: moto's isoformat() has µs (or no fraction)
            self.latest_stream_label = _dt.datetime.fromisoformat(label).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]

    set_(table_models.Table, "set_stream_specification", set_stream_specification)

    def put_record(self: Any, partition_key: str, data: str, explicit_hash_key: str) -> str:
        """moto's Shard.put_record with AWS-sized sequence numbers: still ints that only grow
        (moto's shard iterators compare them as ints), 56 digits, far apart as AWS's are."""
        if self.records:
            sequence_number = self.get_max_sequence_number() + KINESIS_SEQUENCE_STEP
        else:
            digest = int(hashlib.sha256(f"{id(self)}:{self.shard_id}".encode()).hexdigest(), 16)
            sequence_number = int(f"49{digest % (9 * 10**53):054d}")
        self.records[sequence_number] = kinesis_models.Record(partition_key, data, sequence_number, explicit_hash_key)
        return str(sequence_number)

    set_(kinesis_models.Shard, "put_record", put_record)
    original_create_esm = LambdaBackend.create_event_source_mapping  # Lambda's checks, then sqs.py's

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        esm = original_create_esm(self, spec)
        if arns.service(esm.event_source_arn) in ("dynamodb", "kinesis"):
            _detach_stream_mapping(self.account_id, self.region_name, esm)
            register(esm)
        return esm

    set_(LambdaBackend, "create_event_source_mapping", create_event_source_mapping)


PATCHES = (
    MotoName("moto.dynamodb.models.table", "utcnow", "()"),
    MotoName("moto.dynamodb.models.table:StreamRecord", "__init__",
        "(self, table, stream_type, event_name, old, new, seq)"),
    MotoName("moto.dynamodb.models.table:StreamShard", "items", instance=True),
    MotoName("moto.dynamodb.models.table:Table", "lambda_event_source_mappings", instance=True),
    MotoName("moto.dynamodb.models", "dynamodb_backends"),
    MotoName("moto.dynamodb.models.table:Table", "set_stream_specification", "(self, streams)"),
    MotoName("moto.dynamodb.models.table:Table", "latest_stream_label", instance=True),
    MotoName("moto.kinesis.models", "utcnow", "()"),
    MotoName("moto.kinesis.models:Shard", "put_record", "(self, partition_key, data, explicit_hash_key)"),
    MotoName("moto.kinesis.models:Shard", "get_max_sequence_number", "(self)"),
    MotoName("moto.kinesis.models", "Record", "(partition_key, data, sequence_number, explicit_hash_key)"),
    MotoName("moto.kinesis.models:Stream", "lambda_event_source_mappings", instance=True),
    MotoName("moto.kinesis.models:Shard", "records", instance=True),
    MotoName("moto.kinesis.models", "kinesis_backends"),
    MotoName("moto.awslambda.models:LambdaBackend", "create_event_source_mapping", "(self, spec)"),
)
