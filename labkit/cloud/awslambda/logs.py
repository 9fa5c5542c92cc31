"""Lambda's log lines (START / END / REPORT) and their home in CloudWatch Logs.

Each execution environment writes to its own log stream in the group `/aws/lambda/<name>`,
as on AWS, so a lab can count streams to count instances and read REPORT lines to see cold
starts. `parse_report` turns a REPORT line back into numbers for measurement labs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Callable

from .models import runtime_version_line
from .payloads import log_line_for

if TYPE_CHECKING:
    from .models import FunctionSpec

__all__ = ["Report", "parse_report", "billed_ms", "LogWriter", "init_log_events", "read_log_events"]


def billed_ms(duration_ms: float, init_ms: float | None = None) -> int:
    """Billed Duration: rounded up to the millisecond; an on-demand cold start also bills its
    INIT phase (AWS, since 1 August 2025)."""
    return max(1, int(math.ceil(duration_ms + (init_ms or 0.0))))


@dataclass(frozen=True)
class Report:
    """The figures of one REPORT line."""

    request_id: str
    duration_ms: float
    billed_duration_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None = None
    restore_duration_ms: float | None = None  # snapshot (SnapStart) restores, instead of Init Duration
    billed_restore_duration_ms: int | None = None
    status: str | None = None  # "timeout" or "error" on failure, as AWS prints it
    error_type: str | None = None

    @property
    def cold_start(self) -> bool:
        """A new execution environment: initialised (Init Duration) or restored (Restore Duration)."""
        return self.init_duration_ms is not None or self.restore_duration_ms is not None

    @property
    def line(self) -> str:
        """The REPORT line exactly as Lambda writes it (tab-separated, trailing tab)."""
        parts = [
            f"REPORT RequestId: {self.request_id}",
            f"Duration: {self.duration_ms:.2f} ms",
            f"Billed Duration: {self.billed_duration_ms} ms",
            f"Memory Size: {self.memory_size_mb} MB",
            f"Max Memory Used: {self.max_memory_used_mb} MB",
        ]
        if self.init_duration_ms is not None:
            parts.append(f"Init Duration: {self.init_duration_ms:.2f} ms")
        if self.restore_duration_ms is not None:
            parts.append(f"Restore Duration: {self.restore_duration_ms:.2f} ms")
            if self.billed_restore_duration_ms is not None:
                parts.append(f"Billed Restore Duration: {self.billed_restore_duration_ms} ms")
        if self.status:
            parts.append(f"Status: {self.status}")
        if self.error_type:
            parts.append(f"Error Type: {self.error_type}")
        return "\t".join(parts) + "\t"


_REPORT_FIELDS = {
    "duration_ms": (r"Duration: ([\d.]+) ms", float),
    "billed_duration_ms": (r"Billed Duration: (\d+) ms", int),
    "memory_size_mb": (r"Memory Size: (\d+) MB", int),
    "max_memory_used_mb": (r"Max Memory Used: (\d+) MB", int),
    "init_duration_ms": (r"Init Duration: ([\d.]+) ms", float),
    "restore_duration_ms": (r"(?:^|\t)Restore Duration: ([\d.]+) ms", float),
    "billed_restore_duration_ms": (r"Billed Restore Duration: (\d+) ms", int),
    "status": (r"Status: (\w+)", str),
    "error_type": (r"Error Type: ([\w.]+)", str),
}


def parse_report(line: str) -> Report:
    """Read a REPORT line (from this runtime or from AWS) back into a `Report`."""
    head = re.match(r"REPORT RequestId: ([\w-]+)", line)
    if not head:
        from ..core.errors import CloudUsageError

        raise CloudUsageError(f"REPORT 줄이 아닙니다: {line[:80]!r}. 'REPORT RequestId:'로 시작하는 줄을 넘기십시오.")
    values: dict[str, Any] = {}
    for name, (pattern, kind) in _REPORT_FIELDS.items():
        # "Duration:" also matches inside "Billed Duration:"/"Init Duration:": anchor on a tab.
        anchored = ("(?:^|\\t)" + pattern) if name == "duration_ms" else pattern
        found = re.search(anchored, line.split("\t", 1)[1] if "\t" in line else line)
        if found:
            values[name] = kind(found.group(1))
    return Report(request_id=head.group(1), **values)


def init_log_events(
    spec: FunctionSpec,
    started_ms: int,
    captured: list[tuple[int, str]],
    now: Callable[[], int],
    error: dict[str, Any] | None,
    init_duration_ms: float | None,
    *,
    restore: bool = False,
    restore_duration_ms: float | None = None,
    report_success: bool = False,
) -> list[tuple[int, str]]:
    """A new execution environment's first log lines, as Lambda writes them (every mode).

    INIT_START (RESTORE_START for a snapshot restore) at `started_ms`, what INIT (or the
    after-restore hooks) printed, then on failure the error and INIT_REPORT with its status;
    INIT_REPORT also on success with `report_success` (a SnapStart snapshot's INIT, whose Init
    Duration no REPORT line shows); RESTORE_REPORT after a restore.
    """
    phase = "RESTORE_START" if restore else "INIT_START"
    events = [(started_ms, f"{phase} {runtime_version_line(spec)}"), *captured]
    if error is not None:
        # No request exists during INIT: drop the empty "RequestId:" a process error carries.
        events.append((now(), log_line_for(error).replace("RequestId:  Error: ", "Error: ", 1)))
    if init_duration_ms is not None and (error is not None or report_success):
        line = f"INIT_REPORT Init Duration: {init_duration_ms:.2f} ms\tPhase: init"
        if error is not None:
            line += f"\tStatus: error\tError Type: {error['errorType']}"
        events.append((now(), line))
    if restore and restore_duration_ms is not None:
        line = f"RESTORE_REPORT Restore Duration: {restore_duration_ms:.2f} ms"
        if error is not None:
            kind = error.get("errorType", "")
            line += "\tStatus: timeout" if kind == "SnapStartTimeoutException" else f"\tStatus: error\tError Type: {kind}"
        events.append((now(), line))
    return events


_timestamp = itemgetter(0)  # an event's timestamp: the sort key, called in C (no Python call per event)


class LogWriter:
    """Writes an invocation's events into moto's CloudWatch Logs backend."""

    def __init__(self, account_id: str, region: str) -> None:
        from moto.logs.models import logs_backends

        self._backend = logs_backends[account_id][region]
        self._streams: set[tuple[str, str]] = set()  # streams known to exist: one lookup per invoke saved

    def write(self, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        """Append events to a stream, creating the group and stream when needed."""
        if not events:
            return
        key = (group, stream)
        if key not in self._streams:
            self.ensure_stream(*key)
            self._streams.add(key)
        try:
            self.put(*key, events)
        except Exception:  # the lab deleted the group or stream: create it again, as Lambda does
            self.ensure_stream(*key)
            self.put(*key, events)

    def ensure_stream(self, group: str, stream: str) -> None:
        self._backend.ensure_log_group(group)
        try:
            self._backend.create_log_stream(group, stream)
        except Exception as exc:  # moto raises ResourceAlreadyExistsException
            if "AlreadyExists" not in type(exc).__name__:
                raise

    def put(self, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        """Append events to a stream; raises ResourceNotFoundException when it does not exist.

        Goes to moto's LogStream directly: the backend's PutLogEvents only adds a check that events
        are within 14 days of now (on the same clock that stamped them here, so it never rejects)
        and costs a third of a warm in-process invoke.
        """
        if not events:
            return
        log_group = self._backend.groups.get(group)
        log_stream = log_group.streams.get(stream) if log_group is not None else None
        if log_stream is None:
            from moto.logs.exceptions import ResourceNotFoundException  # imported here: not on every invoke

            raise ResourceNotFoundException("The specified log stream does not exist.")
        # CloudWatch wants chronological order; threads may interleave by a millisecond.
        ordered = sorted(events, key=_timestamp)
        log_stream.put_log_events([{"timestamp": ts, "message": msg} for ts, msg in ordered])


def read_log_events(account_id: str, region: str, group: str) -> list[dict[str, Any]]:
    """All events of a log group, oldest first, each with its stream name."""
    from moto.logs.models import logs_backends

    backend = logs_backends[account_id][region]
    log_group = backend.groups.get(group)
    if log_group is None:
        return []
    events: list[dict[str, Any]] = []
    for stream_name, stream in log_group.streams.items():
        for event in stream.events:
            events.append(
                {"timestamp": event.timestamp, "message": event.message, "logStreamName": stream_name}
            )
    events.sort(key=lambda e: e["timestamp"])
    return events
