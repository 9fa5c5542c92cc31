"""Provisioned concurrency through the Lambda API, its Application Auto Scaling on the lab's clock,
and bursts against reserved concurrency (labkit.load)."""

from __future__ import annotations

import threading
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labkit.cloud import LocalCloud, TooManyRequestsException
from labkit.load import burst, replay

HOLD = """
import time
def handler(event, context):
    time.sleep(event.get("hold", 0.25))
    return "ok"
"""

DIMENSION = "lambda:function:ProvisionedConcurrency"


@pytest.fixture
def live(cloud: LocalCloud, code_dir):
    """A function with version 1 behind the alias `live`."""
    cloud.deploy(code_dir(app=HOLD), "fn", handler="app.handler", publish=True)
    cloud.client("lambda").create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    return cloud


def _provisioned(cloud: LocalCloud) -> int:
    return sum(1 for i in cloud.instances("fn", "live") if i.provisioned)


def test_put_provisioned_concurrency_config_reaches_the_runtime(live: LocalCloud) -> None:
    lam = live.client("lambda")
    config = lam.put_provisioned_concurrency_config(FunctionName="fn", Qualifier="live", ProvisionedConcurrentExecutions=2)
    assert config["Status"] == "READY" and config["AllocatedProvisionedConcurrentExecutions"] == 2
    assert _provisioned(live) == 2
    first = live.invoke("fn", {"hold": 0}, qualifier="live")
    assert not first.cold_start and first.report.init_duration_ms is None  # INIT ran at configuration
    got = lam.get_provisioned_concurrency_config(FunctionName="fn", Qualifier="live")
    assert got["RequestedProvisionedConcurrentExecutions"] == 2 and got["Status"] == "READY"
    (listed,) = lam.list_provisioned_concurrency_configs(FunctionName="fn")["ProvisionedConcurrencyConfigs"]
    assert listed["FunctionArn"].endswith(":function:fn:live")

    with pytest.raises(ClientError) as latest:
        lam.put_provisioned_concurrency_config(FunctionName="fn", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1)
    assert latest.value.response["Error"]["Code"] == "InvalidParameterValueException"

    lam.delete_provisioned_concurrency_config(FunctionName="fn", Qualifier="live")
    assert _provisioned(live) == 0
    with pytest.raises(ClientError) as gone:
        lam.get_provisioned_concurrency_config(FunctionName="fn", Qualifier="live")
    assert gone.value.response["Error"]["Code"] == "ProvisionedConcurrencyConfigNotFoundException"


def test_registering_a_target_brings_the_count_into_its_bounds(live: LocalCloud) -> None:
    aas = live.client("application-autoscaling")
    aas.register_scalable_target(ServiceNamespace="lambda", ResourceId="function:fn:live", ScalableDimension=DIMENSION,
                                 MinCapacity=3, MaxCapacity=5)
    assert _provisioned(live) == 3
    live.client("lambda").put_provisioned_concurrency_config(FunctionName="fn", Qualifier="live", ProvisionedConcurrentExecutions=5)
    aas.register_scalable_target(ServiceNamespace="lambda", ResourceId="function:fn:live", ScalableDimension=DIMENSION,
                                 MinCapacity=1, MaxCapacity=4)
    assert _provisioned(live) == 4
    causes = [a["Cause"] for a in aas.describe_scaling_activities(ServiceNamespace="lambda")["ScalingActivities"]]
    assert causes == ["maximum capacity was set to 4", "minimum capacity was set to 3"]  # newest first


def _track(cloud: LocalCloud, low: int, high: int, target: float = 0.7) -> None:
    aas = cloud.client("application-autoscaling")
    aas.register_scalable_target(ServiceNamespace="lambda", ResourceId="function:fn:live", ScalableDimension=DIMENSION,
                                 MinCapacity=low, MaxCapacity=high)
    aas.put_scaling_policy(
        PolicyName="utilisation", ServiceNamespace="lambda", ResourceId="function:fn:live", ScalableDimension=DIMENSION,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": target,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"},
        },
    )


def test_capacity_follows_a_rising_then_falling_curve_with_the_documented_lag(live: LocalCloud) -> None:
    _track(live, low=2, high=6)
    curve = [1, 1, 1] + [2, 4, 6, 8, 8, 8, 8, 8] + [1] * 17
    minutes = replay(live, "fn", curve, event={"hold": 0.25}, qualifier="live")
    provisioned = [m.provisioned for m in minutes]
    # Utilisation is 100 % from minute 3 on: the high alarm needs 3 datapoints (minutes 3-5), then
    # each further minute above the target scales again (x 1/0.7) until MaxCapacity.
    assert provisioned[:6] == [2] * 6
    assert provisioned[6:9] == [3, 5, 6]
    assert max(provisioned) == 6 and min(provisioned) == 2  # max and min honoured
    # Down to 1 request a minute from minute 11: 1/6 < 90 % of 0.7 for 15 datapoints (11-25).
    assert provisioned[11:26] == [6] * 15 and provisioned[26:] == [2, 2]
    # Cold starts while capacity lags the rise, none once it has caught up.
    assert sum(m.cold_starts for m in minutes[4:7]) >= 3
    assert [m.cold_starts for m in minutes[8:11]] == [0, 0, 0]
    assert all(m.throttles == 0 and m.errors == 0 for m in minutes)

    activities = live.client("application-autoscaling").describe_scaling_activities(
        ServiceNamespace="lambda", ResourceId="function:fn:live")["ScalingActivities"]
    assert [a["Description"] for a in reversed(activities)] == [
        "Setting desired concurrency to 2.", "Setting desired concurrency to 3.", "Setting desired concurrency to 5.",
        "Setting desired concurrency to 6.", "Setting desired concurrency to 2.",
    ]
    assert "AlarmHigh" in activities[-2]["Cause"] and "AlarmLow" in activities[0]["Cause"]
    assert [(a["FromCapacity"], a["ToCapacity"]) for a in live.autoscaling.activities] == [(0, 2), (2, 3), (3, 5), (5, 6), (6, 2)]


def test_a_fast_forward_is_not_pulled_along_by_the_evaluation_timer(live: LocalCloud) -> None:
    _track(live, low=1, high=2)
    before = live.clock.now()
    live.run_until_idle(fast_forward=True)
    assert live.clock.now() - before < 30
    assert live.timers.pending() == ["application-autoscaling evaluation"]


def test_burst_throttles_exactly_the_requests_beyond_reserved_concurrency(live: LocalCloud) -> None:
    live.client("lambda").put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=3)
    results = burst(live, "fn", 5, {"hold": 0.5})
    throttled = [r for r in results if isinstance(r, TooManyRequestsException)]
    assert len(throttled) == 2 and sum(1 for r in results if not isinstance(r, Exception) and r.ok) == 3


def test_synchronous_callers_get_429_while_asynchronous_events_are_retried(live: LocalCloud) -> None:
    # boto3 itself retries a throttle (twice, with back-off): one attempt shows the 429 as it comes.
    lam = live.client("lambda", config=Config(retries={"total_max_attempts": 1}))
    lam.put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=1)
    busy = threading.Thread(target=lambda: live.invoke("fn", {"hold": 1.0}))
    busy.start()
    try:
        deadline = time.monotonic() + 5
        while not any(i.busy for i in live.instances("fn")) and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(ClientError) as sync:
            lam.invoke(FunctionName="fn", Payload=b'{"hold": 0}')
        assert sync.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert sync.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        accepted = lam.invoke(FunctionName="fn", InvocationType="Event", Payload=b'{"hold": 0}')
        assert accepted["StatusCode"] == 202
        live.run_until_idle()  # the attempt meets the busy instance: throttled, queued again
    finally:
        busy.join()
    live.run_until_idle(fast_forward=True)
    (event,) = live.async_invoker.finished
    assert event.throttles >= 1 and event.results and event.results[-1].ok
