"""Schedules: EventBridge rules with rate()/cron() and EventBridge Scheduler schedules, on the lab's clock.

moto stores schedules but nothing fires them. Here every ENABLED scheduled rule and schedule
fires, in `LocalCloud.run_until_idle()`, once for each occurrence that fell due on the runtime's
clock since the last run, so `cloud.clock.advance(3600)` followed by `run_until_idle()` makes an
hour of `rate(5 minutes)` happen at once (twelve events, each stamped with its own time).
Fast-forwarding (`run_until_idle(fast_forward=True)`) never jumps to a schedule: a schedule is
always due again, so only an explicit `advance` moves it.

Expressions follow AWS's rules and are checked when the rule or schedule is created, with a
Korean error through the API's ValidationException:
- `rate(value unit)`: a positive whole value; unit minute/hour/day, singular only for 1. The
  first occurrence is one period after the rule was created (or its expression changed).
- `cron(minutes hours day-of-month month day-of-week year)`: six fields, UTC for rules (the
  schedule's ScheduleExpressionTimezone for Scheduler); one of day-of-month/day-of-week must be
  `?`; day-of-week 1-7 is SUN-SAT (AWS's numbering, not Unix's); `L`, `W`, `#` as croniter
  supports them; year 1970-2199.
- `at(yyyy-mm-ddThh:mm:ss)`: once (EventBridge Scheduler only).
A rule's targets get AWS's scheduled event (detail-type "Scheduled Event", source aws.events,
resources [rule ARN], detail {}), through the rule's Input/InputPath/InputTransformer. A
Scheduler target gets its `Input` as given (default `{}`), with <aws.scheduler.*> placeholders
filled; FlexibleTimeWindow is not modelled (every occurrence fires on time). Occurrences missed
while a rule or schedule was disabled do not fire later.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import uuid
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ...korean import josa
from ..core import arns
from ..core.errors import CloudUsageError
from ..core.patterns import ENABLED_STATES
from ..core.timefmt import iso_seconds
from ..moto.registry import MotoName

if TYPE_CHECKING:
    from ..core.context import CloudContext

__all__ = ["Schedules", "ScheduleExpression", "parse_schedule", "ScheduleExpressionError", "MAX_FIRES_PER_RUN"]

MAX_FIRES_PER_RUN = 1000  # per rule or schedule and run_until_idle(): a guard against advance(10 years)

_RATE = re.compile(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)\Z")
_CRON = re.compile(r"cron\((.*)\)\Z")
_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)\Z")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_DOW_NAMES = "SUN MON TUE WED THU FRI SAT".split()
_FIELD_CHARS = {
    "분(minutes)": r"[0-9,\-*/]+",
    "시(hours)": r"[0-9,\-*/]+",
    "일(day-of-month)": r"[0-9,\-*/?LW]+",
    "월(month)": r"[0-9A-Za-z,\-*/]+",
    "요일(day-of-week)": r"[0-9A-Za-z,\-*?L#]+",
    "연도(year)": r"[0-9,\-*/]+",
}


class ScheduleExpressionError(CloudUsageError):
    """A schedule expression AWS would reject (message in Korean)."""


@dataclass(frozen=True)
class ScheduleExpression:
    """A parsed rate(), cron() or at() expression."""

    text: str
    kind: str  # "rate", "cron" or "at"
    period: float = 0.0  # rate: seconds
    cron: str = ""  # cron: the five croniter fields
    years: tuple[tuple[int, int, int], ...] = ()  # cron: (first, last, step) ranges; empty = any
    at: _dt.datetime | None = None  # at: naive local time

    def occurrences(self, after: float, until: float, anchor: float, tz: str = "UTC") -> Iterator[float]:
        """Epoch seconds of every occurrence in (after, until], in order."""
        if self.kind == "rate":
            k = max(1, int((after - anchor) // self.period) + 1)
            while anchor + k * self.period <= until:
                t = anchor + k * self.period
                if t > after:
                    yield t
                k += 1
            return
        zone = _zone(tz)
        if self.kind == "at":
            t = self.at.replace(tzinfo=zone).timestamp()  # type: ignore[union-attr]
            if after < t <= until:
                yield t
            return
        from croniter import croniter

        start = _dt.datetime.fromtimestamp(after, tz=zone)
        it = croniter(self.cron, start)
        while True:
            nxt = it.get_next(_dt.datetime)
            if nxt.timestamp() > until or nxt.year > 2199:
                return
            if self._year_ok(nxt.year):
                yield nxt.timestamp()

    def next_after(self, after: float, anchor: float, tz: str = "UTC") -> float | None:
        """The first occurrence after `after` (None when there is none before 2200)."""
        horizon = _dt.datetime(2200, 1, 1, tzinfo=_dt.timezone.utc).timestamp()
        return next(iter(self.occurrences(after, horizon, anchor, tz)), None)

    def _year_ok(self, year: int) -> bool:
        if not self.years:
            return True
        return any(first <= year <= last and (year - first) % step == 0 for first, last, step in self.years)


def _zone(name: str) -> _dt.tzinfo:
    if not name or name.upper() == "UTC":
        return _dt.timezone.utc
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _fail(expression: str, reason: str) -> ScheduleExpressionError:
    return ScheduleExpressionError(
        f"일정 표현식이 올바르지 않습니다: {expression!r}. {reason} "
        "(예: rate(5 minutes), cron(0 3 * * ? *), cron(0/15 9-18 ? * MON-FRI *)) "
        "[AWS: Parameter ScheduleExpression is not valid.]"
    )


def _dow_item(item: str, expression: str) -> str:
    """One day-of-week list item, from AWS's 1-7 = SUN-SAT to croniter's 0-6 = SUN-SAT."""

    def number(text: str) -> str:
        if text.isdigit():
            value = int(text)
            if not 1 <= value <= 7:
                raise _fail(expression, f"요일 {josa(str(value), '은')} 범위 밖입니다. 요일은 1-7(SUN-SAT)입니다.")
            return str(value - 1)
        if text.upper() not in _DOW_NAMES:
            raise _fail(expression, f"요일 {josa(repr(text), '을')} 알 수 없습니다. 1-7 또는 SUN-SAT를 쓰십시오.")
        return text.upper()

    if item == "*":
        return item
    if item == "L":
        return "6"  # last day of the week: Saturday
    if "#" in item:
        day, nth = item.split("#", 1)
        return f"{number(day)}#{nth}"
    if item.endswith("L"):
        return f"L{number(item[:-1])}"
    if "-" in item:
        first, last = item.split("-", 1)
        return f"{number(first)}-{number(last)}"
    return number(item)


def _years(field_text: str, expression: str) -> tuple[tuple[int, int, int], ...]:
    if field_text == "*":
        return ()
    out = []
    for item in field_text.split(","):
        match = re.fullmatch(r"(\*|\d{4})(?:-(\d{4}))?(?:/(\d+))?", item)
        if not match:
            raise _fail(expression, f"연도 필드 {josa(repr(item), '을')} 해석할 수 없습니다.")
        first = 1970 if match.group(1) == "*" else int(match.group(1))
        last = int(match.group(2)) if match.group(2) else (2199 if match.group(1) == "*" or match.group(3) else first)
        step = int(match.group(3) or 1)
        if not (1970 <= first <= 2199 and 1970 <= last <= 2199) or first > last or step < 1:
            raise _fail(expression, "연도는 1970-2199 사이여야 합니다.")
        out.append((first, last, step))
    return tuple(out)


def parse_schedule(expression: str, *, allow_at: bool = False) -> ScheduleExpression:
    """Parse and check a schedule expression as AWS does; raises ScheduleExpressionError."""
    text = (expression or "").strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise _fail(text, "rate의 값은 1 이상의 정수여야 합니다.")
        if (value == 1) != (not unit.endswith("s")):
            want = unit.rstrip("s") if value == 1 else unit.rstrip("s") + "s"
            raise _fail(text, f"값이 {value}이면 단위는 {want!r}이어야 합니다(1이면 단수, 2 이상이면 복수).")
        return ScheduleExpression(text, "rate", period=float(value * _UNIT_SECONDS[unit.rstrip("s")]))
    at = _AT.match(text)
    if at:
        if not allow_at:
            raise _fail(text, "at()은 EventBridge Scheduler에서만 쓸 수 있습니다. 규칙에는 rate() 또는 cron()을 쓰십시오.")
        return ScheduleExpression(text, "at", at=_dt.datetime.fromisoformat(at.group(1)))
    cron = _CRON.match(text)
    if not cron:
        raise _fail(text, "rate(값 단위) 또는 cron(분 시 일 월 요일 연도) 형식이어야 합니다.")
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise _fail(text, f"cron에는 필드가 6개(분 시 일 월 요일 연도) 있어야 하는데 {len(fields)}개입니다.")
    for (label, pattern), value in zip(_FIELD_CHARS.items(), fields):
        if not re.fullmatch(pattern, value):
            raise _fail(text, f"{label} 필드 {value!r}에 쓸 수 없는 문자가 있습니다.")
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise _fail(text, "일(day-of-month)과 요일(day-of-week) 가운데 정확히 하나는 ?여야 합니다.")
    croniter_dow = "*" if dow == "?" else ",".join(_dow_item(i, text) for i in dow.split(","))
    croniter_fields = f"{minutes} {hours} {'*' if dom == '?' else dom} {month} {croniter_dow}"
    from croniter import croniter

    if not croniter.is_valid(croniter_fields):
        raise _fail(text, "필드 값이 범위를 벗어났거나 이 런타임(croniter)이 지원하지 않는 조합입니다.")
    return ScheduleExpression(text, "cron", cron=croniter_fields, years=_years(year, text))


@dataclass
class _Track:
    expression: ScheduleExpression
    anchor: float
    last: float
    fired: list[float] = field(default_factory=list)


class Schedules:
    """Fires scheduled EventBridge rules and EventBridge Scheduler schedules for one local cloud."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx
        self._tracks: dict[str, _Track] = {}
        self.fired: list[tuple[str, str]] = []  # (rule or schedule ARN, ISO time), in firing order

    # ---- bookkeeping

    def _track(self, arn: str, text: str, *, allow_at: bool, now: float | None = None) -> _Track:
        track = self._tracks.get(arn)
        if track is None or track.expression.text != text:
            now = self.ctx.clock.now() if now is None else now
            track = self._tracks[arn] = _Track(parse_schedule(text, allow_at=allow_at), now, now)
        return track

    def next_fire(self, arn_or_name: str) -> str | None:
        """When a rule or schedule (by ARN, or a rule by name) fires next, ISO 8601 UTC."""
        for arn, track in self._tracks.items():
            if arn == arn_or_name or arn.rsplit("/", 1)[-1] == arn_or_name:
                t = track.expression.next_after(max(track.last, self.ctx.clock.now()), track.anchor, self._tz(arn))
                return None if t is None else iso_seconds(t)
        return None

    def _tz(self, arn: str) -> str:
        schedule = self._schedule_by_arn(arn)
        return "UTC" if schedule is None else schedule.schedule_expression_timezone

    def _rules(self) -> list[Any]:
        from moto.events.models import events_backends

        backend = events_backends[self.ctx.account_id][self.ctx.region]
        return [r for bus in backend.event_buses.values() for r in bus.rules.values() if r.scheduled_expression]

    def _schedules(self) -> list[Any]:
        from moto.scheduler.models import scheduler_backends

        backend = scheduler_backends[self.ctx.account_id][self.ctx.region]
        return [s for group in backend.schedule_groups.values() for s in group.schedules.values()]

    def _schedule_by_arn(self, arn: str) -> Any:
        if arns.service(arn) != "scheduler":
            return None
        return next((s for s in self._schedules() if s.arn == arn), None)

    # ---- firing

    def poll(self) -> int:
        """Fire every occurrence due by now; returns how many targets were reached."""
        now = self.ctx.clock.now()
        live = set()
        # After a large clock.advance several schedules have occurrences waiting: fire them all in
        # time order, as they would have fired on AWS, not schedule by schedule.
        due: list[tuple[float, int, Callable[[], int]]] = []
        for rule in self._rules():
            live.add(rule.arn)
            track = self._track(rule.arn, rule.scheduled_expression, allow_at=False)
            for t in self._due(rule.arn, track, now, rule.state in ENABLED_STATES):
                due.append((t, len(due), lambda rule=rule, t=t: self._fire_rule(rule, t)))
        for schedule in self._schedules():
            live.add(schedule.arn)
            track = self._track(schedule.arn, schedule.schedule_expression, allow_at=True)
            for t in self._due(schedule.arn, track, now, schedule.state == "ENABLED", schedule):
                due.append((t, len(due), lambda schedule=schedule, t=t, track=track: self._fire_schedule(schedule, t, track)))
        for gone in set(self._tracks) - live:
            del self._tracks[gone]
        return sum(fire() for _, _, fire in sorted(due, key=lambda item: item[:2]))

    def _due(self, arn: str, track: _Track, now: float, enabled: bool, schedule: Any = None) -> list[float]:
        if not enabled:
            track.last = now  # occurrences missed while disabled never fire
            return []
        tz = "UTC" if schedule is None else schedule.schedule_expression_timezone
        times = []
        for t in track.expression.occurrences(track.last, now, track.anchor, tz):
            if schedule is not None and not _in_window(schedule, t):
                continue
            times.append(t)
            if len(times) >= MAX_FIRES_PER_RUN:
                warnings.warn(
                    f"{arn}의 일정이 한 번에 {MAX_FIRES_PER_RUN}번 넘게 밀려 있어 {MAX_FIRES_PER_RUN}번만 실행했습니다. "
                    "나머지는 다음 run_until_idle()에서 이어집니다. 시계를 조금씩 앞당기십시오.",
                    stacklevel=4,
                )
                track.last = t
                return times
        track.last = now
        return times

    def scheduled_event(self, rule: Any, t: float) -> dict[str, Any]:
        """The event AWS sends for one occurrence of a scheduled rule."""
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.ctx.account_id,
            "time": iso_seconds(t),
            "region": self.ctx.region,
            "resources": [rule.arn],
            "detail": {},
        }

    def _fire_rule(self, rule: Any, t: float) -> int:
        self.fired.append((rule.arn, iso_seconds(t)))
        return self.ctx.send(rule.arn, json.dumps(self.scheduled_event(rule, t)))  # EventBridge hands it to the targets

    def _fire_schedule(self, schedule: Any, t: float, track: _Track) -> int:
        self.fired.append((schedule.arn, iso_seconds(t)))
        target = schedule.target
        execution_id = str(uuid.uuid4())
        text = target.get("Input") or "{}"
        for name, value in {
            "aws.scheduler.schedule-arn": schedule.arn,
            "aws.scheduler.scheduled-time": iso_seconds(t),
            "aws.scheduler.execution-id": execution_id,
            "aws.scheduler.attempt-number": "1",
        }.items():
            text = text.replace(f"<{name}>", value)
        options = {
            "group_id": (target.get("SqsParameters") or {}).get("MessageGroupId"),
            "deduplication_id": execution_id,
            "partition_key": (target.get("KinesisParameters") or {}).get("PartitionKey") or execution_id,
        }
        try:
            self.ctx.send(target["Arn"], text, **options)
        except Exception as exc:
            warnings.warn(f"일정 {schedule.name}의 대상 {target['Arn']}에 전달하지 못했습니다({exc}).", stacklevel=3)
            return 0
        if track.expression.kind == "at" and (schedule.action_after_completion or "NONE") == "DELETE":
            from moto.scheduler.models import scheduler_backends

            scheduler_backends[self.ctx.account_id][self.ctx.region].delete_schedule(schedule.group_name, schedule.name)
        return 1

    # ---- moto patches

    def install(self, set_: Callable[[Any, str, Any], None]) -> None:
        import moto.events.models as events_models
        import moto.scheduler.models as scheduler_models
        from moto.events.exceptions import ValidationException as EventsValidation
        from moto.scheduler.exceptions import ValidationException as SchedulerValidation

        schedules = self
        original_put_rule = events_models.EventsBackend.put_rule
        original_create = scheduler_models.EventBridgeSchedulerBackend.create_schedule
        original_update = scheduler_models.EventBridgeSchedulerBackend.update_schedule

        def put_rule(backend: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            expression = kwargs.get("scheduled_expression")
            if expression:
                try:
                    parse_schedule(expression)
                except ScheduleExpressionError as exc:
                    raise EventsValidation(str(exc)) from None
            rule = original_put_rule(backend, name, *args, **kwargs)
            if rule.scheduled_expression:
                schedules._track(rule.arn, rule.scheduled_expression, allow_at=False)
            return rule

        def checked(original: Callable[..., Any]) -> Callable[..., Any]:
            def wrapper(backend: Any, *args: Any, **kwargs: Any) -> Any:
                try:
                    parse_schedule(kwargs.get("schedule_expression") or "", allow_at=True)
                    _zone(kwargs.get("schedule_expression_timezone") or "UTC")
                except ScheduleExpressionError as exc:
                    raise SchedulerValidation(str(exc)) from None
                except Exception as exc:  # an unknown time zone
                    raise SchedulerValidation(f"시간대 {josa(repr(kwargs.get('schedule_expression_timezone')), '을')} 알 수 없습니다({exc}).") from None
                schedule = original(backend, *args, **kwargs)
                schedules._track(schedule.arn, schedule.schedule_expression, allow_at=True)
                return schedule

            return wrapper

        set_(events_models.EventsBackend, "put_rule", put_rule)
        set_(scheduler_models.EventBridgeSchedulerBackend, "create_schedule", checked(original_create))
        set_(scheduler_models.EventBridgeSchedulerBackend, "update_schedule", checked(original_update))


def _in_window(schedule: Any, t: float) -> bool:
    """Whether `t` is within the schedule's StartDate/EndDate."""

    def epoch(value: Any) -> float | None:
        if value in (None, ""):
            return None
        if isinstance(value, _dt.datetime):
            return value.timestamp() if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc).timestamp()
        try:
            return float(value)
        except (TypeError, ValueError):
            return _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()

    start, end = epoch(schedule.start_date), epoch(schedule.end_date)
    return (start is None or t >= start) and (end is None or t <= end)


# moto's private names `Schedules.install` patches or reads.
PATCHES = (
    MotoName("moto.events.models:EventsBackend", "put_rule",
        "(self, name, description=None, event_bus_arn=None, event_pattern=None, role_arn=None, "
        "scheduled_expression=None, state=None, managed_by=None, tags=None)"),
    MotoName("moto.events.models:Rule", "scheduled_expression", instance=True),
    MotoName("moto.scheduler.models:EventBridgeSchedulerBackend", "create_schedule",
        "(self, description, end_date, flexible_time_window, group_name, kms_key_arn, name, "
        "schedule_expression, schedule_expression_timezone, start_date, state, target, "
        "action_after_completion)"),
    MotoName("moto.scheduler.models:EventBridgeSchedulerBackend", "update_schedule",
        "(self, description, end_date, flexible_time_window, group_name, kms_key_arn, name, "
        "schedule_expression, schedule_expression_timezone, start_date, state, target)"),
    MotoName("moto.scheduler.models:EventBridgeSchedulerBackend", "delete_schedule", "(self, group_name, name)"),
    MotoName("moto.scheduler.models", "scheduler_backends"),
)
