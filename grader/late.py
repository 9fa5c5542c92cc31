"""Due dates and the late-submission penalty, from the course's one settings file `grader/grading.toml`.

nbgrader keeps a due date per assignment in its gradebook and a penalty rule in
`LateSubmissionPlugin` (nbgrader_config.py), applied only while a notebook is autograded: a due
date set later, or a score given by hand later, never reaches the penalty without a regrade,
and our workers do not read nbgrader_config.py at all. Here the course computes lateness
whenever it reports a score (status, feedback, export, after each grade), from the file as it
is now, and writes the due date and the penalty into the gradebook so nbgrader's own tools agree.

Submission times follow nbgrader's own rule, read in one place (`read_timestamp`): a time that
names its zone (nbgrader's exchange writes `Exchange.timestamp_format` in `Exchange.timezone`,
"2026-12-08 14:30:00.000000 UTC") is read in that zone; a time without one (the due dates in the
file, an LMS zip's local times) is in the file's `timezone`. A zip import writes its times the way
the exchange does (`format_timestamp`), so nbgrader's autograde and formgrader, which read a
naive time as UTC, see the same instant as the late penalty.
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config import WORK_DIR

SETTINGS = "grader/grading.toml"
METHODS = ("none", "zero", "per_day")


class GradingSettingsError(Exception):
    """grader/grading.toml says something the grader cannot use; the message is Korean."""


@dataclass(frozen=True)
class Policy:
    tz: ZoneInfo
    method: str = "none"          # none | zero | per_day
    percent_per_day: float = 10.0  # per_day: share of the lab's points lost per started day
    grace_minutes: float = 0.0
    due: dict[str, datetime] | None = None  # lab -> due date (aware)

    def due_for(self, lab: str) -> datetime | None:
        return (self.due or {}).get(lab)


def _fail(root: Path, what: str) -> GradingSettingsError:
    return GradingSettingsError(f"{Path(root) / SETTINGS}: {what}")


# nbgrader's default `Exchange.timestamp_format` with its default `Exchange.timezone` (UTC).
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


def parse_time(text: str, tz: tzinfo) -> datetime:
    """'2026-12-08 23:59', ISO with an offset, or nbgrader's '… UTC' / '… Asia/Seoul'; naive times are in `tz`.

    A zone name that is not a tz database name (say "KST") is refused, not guessed.
    """
    text = str(text).strip()
    parts = text.split(" ")
    if len(parts) == 3:
        try:
            zone = timezone.utc if parts[2] in ("UTC", "GMT", "Z") else ZoneInfo(parts[2])
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone: {parts[2]!r}") from None
        return datetime.fromisoformat(" ".join(parts[:2])).replace(tzinfo=zone)
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=tz)


def format_timestamp(when: datetime) -> str:
    """`when` (aware) as nbgrader's exchange writes timestamp.txt: its default format, in UTC."""
    return when.astimezone(timezone.utc).strftime(TIMESTAMP_FORMAT)


def read_timestamp(folder: Path, tz: tzinfo) -> datetime | None:
    """The time in a submission folder's `timestamp.txt` (aware), by `parse_time`; None when absent or unreadable."""
    try:
        return parse_time((Path(folder) / "timestamp.txt").read_text(encoding="utf-8"), tz)
    except (OSError, ValueError, OverflowError):
        return None


def read_settings(root: Path) -> dict:
    """`grader/grading.toml` as a dict (empty when there is none); broken TOML gets the Korean error."""
    path = Path(root) / SETTINGS
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+), column (\d+)", str(exc))
        at = f"{where[1]}번째 줄 {where[2]}번째 글자 근처의 " if where else ""
        raise _fail(root, f"{at}TOML 문법이 틀렸습니다. 괄호, 따옴표와 = 를 확인하십시오.") from None


def load_policy(root: Path) -> Policy:
    """Read the course's settings; a missing file means no due dates and no penalty."""
    data = read_settings(root)
    try:
        tz = ZoneInfo(str(data.get("timezone", "Asia/Seoul")))
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(root, f"모르는 시간대입니다: timezone = {data.get('timezone')!r}. 예: \"Asia/Seoul\", \"UTC\"") from None
    late = data.get("late", {})
    method = str(late.get("penalty", "none"))
    if method not in METHODS:
        raise _fail(root, f"[late] penalty는 {', '.join(METHODS)} 가운데 하나여야 합니다 (지금: {method!r}).")
    due = {}
    for lab, value in (data.get("due") or {}).items():
        try:
            due[lab] = value.replace(tzinfo=value.tzinfo or tz) if isinstance(value, datetime) else parse_time(value, tz)
        except (TypeError, ValueError):
            raise _fail(root, f"[due] {lab}의 마감을 읽지 못했습니다: {value!r}. \"2026-12-08 23:59\"처럼 쓰십시오.") from None
    try:
        percent = float(late.get("percent_per_day", 10))
        grace = float(late.get("grace_minutes", 0))
    except (TypeError, ValueError):
        raise _fail(root, "[late] percent_per_day와 grace_minutes는 숫자여야 합니다.") from None
    if not 0 <= percent <= 100 or grace < 0:
        raise _fail(root, "[late] percent_per_day는 0에서 100 사이, grace_minutes는 0 이상이어야 합니다.")
    return Policy(tz, method, percent, grace, due)


@dataclass(frozen=True)
class Lateness:
    due: datetime | None
    submitted: datetime | None
    late_by: timedelta          # zero when on time
    penalty: float              # points taken off

    @property
    def late(self) -> bool:
        return self.late_by > timedelta(0)

    def describe(self) -> str:
        """One Korean sentence for the learner, or '' when on time."""
        if not self.late:
            return ""
        hours = self.late_by.total_seconds() / 3600
        minutes = self.late_by.total_seconds() / 60
        span = (f"{hours / 24:.1f}일" if hours >= 48 else f"{hours:.1f}시간" if hours >= 1
                else f"{minutes:.0f}분" if minutes >= 1 else "1분 안쪽으로")
        due = self.due.strftime("%Y-%m-%d %H:%M") if self.due else ""
        text = f"마감({due})보다 {span} 늦게 제출했습니다."
        return text + (f" 늦은 제출 감점은 {self.penalty:g}점입니다." if self.penalty else " 감점은 없습니다.")


def submitted_at(root: Path, lab: str, student: str, fallback: str | None, tz: tzinfo) -> datetime | None:
    """When the student submitted: the submission's timestamp.txt (`read_timestamp`), else `fallback`."""
    stamp = read_timestamp(Path(root) / WORK_DIR / "submitted" / student / lab, tz)
    if stamp is not None:
        return stamp
    if fallback:
        value = datetime.fromisoformat(fallback)
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # the gradebook keeps UTC
    return None


def assess(policy: Policy, lab: str, submitted: datetime | None, score: float, max_score: float) -> Lateness:
    """How late a submission is and what that costs under `policy` (never more than the score)."""
    # Both in the course's zone, as feedback shows the submission time (a due date written in UTC
    # read "08:00" beside a submission at "17:00" KST, the same minute).
    due = policy.due_for(lab)
    due = due.astimezone(policy.tz) if due else None
    submitted = submitted.astimezone(policy.tz) if submitted else None
    if due is None or submitted is None:
        return Lateness(due, submitted, timedelta(0), 0.0)
    late_by = submitted - due - timedelta(minutes=policy.grace_minutes)
    if late_by <= timedelta(0):
        return Lateness(due, submitted, timedelta(0), 0.0)
    if policy.method == "zero":
        penalty = score
    elif policy.method == "per_day":
        days = math.ceil(late_by.total_seconds() / 86400)
        penalty = min(score, round(max_score * policy.percent_per_day / 100 * days, 6))
    else:
        penalty = 0.0
    return Lateness(due, submitted, late_by, float(penalty))


def gradebook_time(when: datetime | None) -> datetime | None:
    """nbgrader stores due dates and submission times as naive UTC."""
    return when.astimezone(timezone.utc).replace(tzinfo=None) if when else None
