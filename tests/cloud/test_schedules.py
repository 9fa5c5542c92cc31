"""Schedules: rate()/cron() rules and EventBridge Scheduler fire on the lab's clock."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from labkit.cloud import LocalCloud
from labkit.cloud.events.schedules import ScheduleExpressionError, parse_schedule

from .conformance import missing_fields, sample

RECORDER = """
import json
def handler(event, context):
    print("SEEN " + json.dumps(event))
"""


def _events(cloud: LocalCloud, name: str) -> list:
    return [json.loads(line[5:]) for line in cloud.logs(name) if line.startswith("SEEN ")]


def _scheduled_rule(cloud: LocalCloud, name: str, expression: str, targets: list[dict], **kwargs) -> str:
    events = cloud.client("events")
    arn = events.put_rule(Name=name, ScheduleExpression=expression, **kwargs)["RuleArn"]
    events.put_targets(Rule=name, Targets=targets)
    return arn


def _utc(*args: int) -> float:
    return dt.datetime(*args, tzinfo=dt.timezone.utc).timestamp()


def _iso_list(expression: str, start: float, end: float, tz: str = "UTC") -> list[str]:
    parsed = parse_schedule(expression, allow_at=True)
    return [
        dt.datetime.fromtimestamp(t, tz=dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
        for t in parsed.occurrences(start, end, anchor=start, tz=tz)
    ]


def test_rate_rule_fires_each_period_when_the_clock_advances(cloud: LocalCloud, code_dir) -> None:
    from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

    fn = cloud.deploy(code_dir(app=RECORDER), name="tick")
    rule_arn = _scheduled_rule(cloud, "every-5", "rate(5 minutes)", [{"Id": "fn", "Arn": fn.arn}])
    assert cloud.run_until_idle() == 0  # nothing due yet, and no real waiting
    cloud.clock.advance(3600)
    cloud.run_until_idle()
    events = _events(cloud, "tick")
    assert len(events) == 12
    times = [dt.datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp() for e in events]
    assert [b - a for a, b in zip(times, times[1:])] == [300.0] * 11
    event = events[0]
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"] == [rule_arn] and event["detail"] == {}
    assert event["account"] == "123456789012" and event["region"] == "ap-northeast-2"
    EventBridgeModel.model_validate(event)
    assert missing_fields(event, sample("eventbridge-scheduled")) == []
    assert len({e["id"] for e in events}) == 12


def test_cron_rule_uses_aws_day_of_week_numbering(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=RECORDER), name="weekly")
    _scheduled_rule(cloud, "mondays", "cron(0 9 ? * 2 *)", [{"Id": "fn", "Arn": fn.arn}])  # 2 = MON on AWS
    cloud.clock.advance(7 * 86400)
    cloud.run_until_idle()
    (event,) = _events(cloud, "weekly")
    fired = dt.datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    assert fired.weekday() == 0 and (fired.hour, fired.minute) == (9, 0)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 10 ? * 6#3 *)", ["2025-01-17 10:00", "2025-02-21 10:00", "2025-03-21 10:00"]),  # third Friday
        ("cron(0 18 L * ? *)", ["2025-01-31 18:00", "2025-02-28 18:00", "2025-03-31 18:00"]),  # last day
        ("cron(0 12 15W * ? *)", ["2025-01-15 12:00", "2025-02-14 12:00", "2025-03-14 12:00"]),  # nearest weekday
        ("cron(0 8 ? * 6L *)", ["2025-01-31 08:00", "2025-02-28 08:00", "2025-03-28 08:00"]),  # last Friday
        ("cron(30 6 1 JAN-MAR ? *)", ["2025-01-01 06:30", "2025-02-01 06:30", "2025-03-01 06:30"]),
        ("cron(0 0 1 1 ? 2026-2027)", []),  # the year field
    ],
)
def test_cron_wildcards(expression: str, expected: list[str]) -> None:
    assert _iso_list(expression, _utc(2025, 1, 1), _utc(2025, 4, 1)) == expected


def test_year_field_and_time_zone() -> None:
    assert _iso_list("cron(0 0 1 1 ? 2026,2028)", _utc(2025, 1, 1), _utc(2030, 1, 1)) == ["2026-01-01 00:00", "2028-01-01 00:00"]
    # 09:00 in Seoul is 00:00 UTC (Scheduler schedules have a time zone; rules are UTC)
    assert _iso_list("cron(0 9 * * ? *)", _utc(2025, 1, 1), _utc(2025, 1, 3), tz="Asia/Seoul") == ["2025-01-02 00:00", "2025-01-03 00:00"]


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("rate(1 minutes)", "단수"),
        ("rate(5 minute)", "복수"),
        ("rate(0 minutes)", "1 이상"),
        ("rate(5 weeks)", "형식"),
        ("cron(0 12 * * *)", "6개"),
        ("cron(0 12 * * * *)", "정확히 하나는 ?"),
        ("cron(0 12 ? * 0 *)", "1-7"),
        ("cron(0 12 ? * 8 *)", "요일 8은 범위 밖"),  # one particle, not 은(는)
        ("cron(0 12 ? * 9 *)", "요일 9는 범위 밖"),
        ("cron(0 12 ? * FUN *)", "요일 'FUN'을 알 수 없습니다"),
        ("cron(0 12 ? * MON *x)", "쓸 수 없는 문자"),
        ("cron(0 25 * * ? *)", "범위"),
        ("cron(0 12 * * ? 1969)", "1970-2199"),
        ("at(2030-01-01T00:00:00)", "Scheduler에서만"),
    ],
)
def test_invalid_expressions_get_a_korean_reason(expression: str, reason: str) -> None:
    with pytest.raises(ScheduleExpressionError, match=reason):
        parse_schedule(expression)


def test_put_rule_rejects_an_invalid_expression(cloud: LocalCloud) -> None:
    with pytest.raises(ClientError) as caught:
        cloud.client("events").put_rule(Name="bad", ScheduleExpression="cron(0 12 * * * *)")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "올바르지 않습니다" in caught.value.response["Error"]["Message"]


def test_disabled_rule_fires_nothing_and_does_not_catch_up(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=RECORDER), name="tick")
    _scheduled_rule(cloud, "hourly", "rate(1 hour)", [{"Id": "fn", "Arn": fn.arn}], State="DISABLED")
    cloud.clock.advance(3 * 3600)
    cloud.run_until_idle()
    assert _events(cloud, "tick") == []
    cloud.client("events").enable_rule(Name="hourly")
    cloud.run_until_idle()
    assert _events(cloud, "tick") == []  # the missed occurrences are gone
    cloud.clock.advance(3600)
    cloud.run_until_idle()
    assert len(_events(cloud, "tick")) == 1


def test_scheduled_rule_input_transformer_and_sqs_target(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="ticks")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    transformer = {"InputPathsMap": {"at": "$.time"}, "InputTemplate": '{"rule": <aws.events.rule-name>, "at": <at>}'}
    _scheduled_rule(cloud, "report", "rate(1 day)", [{"Id": "q", "Arn": arn, "InputTransformer": transformer}])
    cloud.clock.advance(86400)
    cloud.run_until_idle()
    (message,) = sqs.receive_message(QueueUrl=url).get("Messages", [])
    body = json.loads(message["Body"])
    assert body["rule"] == "report" and body["at"].endswith("Z")


def test_scheduler_schedules_rate_and_one_time(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=RECORDER), name="job")
    scheduler = cloud.client("scheduler")
    role = "arn:aws:iam::123456789012:role/scheduler"
    scheduler.create_schedule(
        Name="cleanup", ScheduleExpression="rate(30 minutes)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": fn.arn, "RoleArn": role, "Input": '{"task": "cleanup", "at": "<aws.scheduler.scheduled-time>"}'},
    )
    once_at = dt.datetime.fromtimestamp(cloud.clock.now() + 600, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    scheduler.create_schedule(
        Name="once", ScheduleExpression=f"at({once_at})", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": fn.arn, "RoleArn": role, "Input": '{"task": "once"}'}, ActionAfterCompletion="DELETE",
    )
    cloud.clock.advance(3600)
    cloud.run_until_idle()
    tasks = [e["task"] for e in _events(cloud, "job")]
    assert tasks.count("cleanup") == 2 and tasks.count("once") == 1
    assert all(e["at"].endswith("Z") for e in _events(cloud, "job") if e["task"] == "cleanup")
    names = [s["Name"] for s in scheduler.list_schedules()["Schedules"]]
    assert names == ["cleanup"]  # the one-time schedule deleted itself after completion
    with pytest.raises(ClientError, match="올바르지 않습니다"):
        scheduler.create_schedule(
            Name="bad", ScheduleExpression="cron(0 12 * * * *)", FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": fn.arn, "RoleArn": role},
        )


def test_next_fire_reports_the_coming_occurrence(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=RECORDER), name="tick")
    _scheduled_rule(cloud, "every-10", "rate(10 minutes)", [{"Id": "fn", "Arn": fn.arn}])
    first = cloud.schedules.next_fire("every-10")
    expected = dt.datetime.fromtimestamp(cloud.clock.now() + 600, tz=dt.timezone.utc)
    assert first is not None and abs(dt.datetime.fromisoformat(first.replace("Z", "+00:00")) - expected) < dt.timedelta(seconds=2)


def test_occurrences_of_several_schedules_fire_in_time_order_after_a_large_advance(cloud: LocalCloud, code_dir) -> None:
    # They fired grouped by schedule (every occurrence of the rule, then every one of the
    # Scheduler schedule); on AWS each fires at its own time.
    fn = cloud.deploy(code_dir(app=RECORDER), name="job")
    _scheduled_rule(cloud, "every-25", "rate(25 minutes)", [{"Id": "fn", "Arn": fn.arn, "Input": '{"from": "rule"}'}])
    cloud.client("scheduler").create_schedule(
        Name="hourly", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": fn.arn, "RoleArn": "arn:aws:iam::123456789012:role/scheduler", "Input": '{"from": "schedule"}'},
    )
    cloud.clock.advance(3 * 3600 + 60)
    cloud.run_until_idle()
    fired = cloud.schedules.fired
    assert len(fired) == 7 + 3
    assert [at for _, at in fired] == sorted(at for _, at in fired)
    sources = [e["from"] for e in _events(cloud, "job")]
    assert sources[:4] == ["rule", "rule", "schedule", "rule"]  # 25, 50, 60, 75 minutes
