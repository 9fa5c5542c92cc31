"""Step Functions: real ASL execution with handlers, lab-time waits, readable history, CloudFormation."""

from __future__ import annotations

import json
import time

import pytest

from labkit.cloud import CloudUsageError, LocalCloud

ROLE = "arn:aws:iam::123456789012:role/sfn"

RESERVE = "def handler(event, context):\n    return {**event, 'reserved': True}\n"
CHARGE = """
attempts = 0
def handler(event, context):
    global attempts
    attempts += 1
    if event.get("card") == "declined":
        raise ValueError("card declined")
    if event.get("card") == "flaky" and attempts < 3:
        raise ConnectionError("gateway timeout")
    return {**event, "charged": True, "attempts": attempts}
"""
RELEASE = "def handler(event, context):\n    return {'released': True}\n"


def _saga(cloud: LocalCloud, code_dir) -> str:
    reserve = cloud.deploy(code_dir(app=RESERVE), name="reserve")
    charge = cloud.deploy(code_dir(app=CHARGE), name="charge")
    release = cloud.deploy(code_dir(app=RELEASE), name="release")
    definition = {
        "StartAt": "Reserve",
        "States": {
            "Reserve": {"Type": "Task", "Resource": reserve.arn, "Next": "Settle"},
            "Settle": {"Type": "Wait", "Seconds": 30, "Next": "Charge"},
            "Charge": {
                "Type": "Task",
                "Resource": charge.arn,
                "Retry": [{"ErrorEquals": ["ConnectionError"], "IntervalSeconds": 2, "BackoffRate": 2, "MaxAttempts": 3}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Release"}],
                "End": True,
            },
            "Release": {"Type": "Task", "Resource": release.arn, "Next": "Failed"},
            "Failed": {"Type": "Fail", "Error": "OrderFailed", "Cause": "payment failed"},
        },
    }
    sfn = cloud.client("stepfunctions")
    return sfn.create_state_machine(name="order-saga", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]


def test_happy_path_runs_handlers_without_real_waiting(cloud: LocalCloud, code_dir) -> None:
    machine = _saga(cloud, code_dir)
    started = time.monotonic()
    arn = cloud.client("stepfunctions").start_execution(stateMachineArn=machine, input='{"order": "o-1", "card": "ok"}')["executionArn"]
    history = cloud.wait_execution(arn)
    assert time.monotonic() - started < 5  # a 30 s Wait state, skipped in real time
    assert history.succeeded and history.output == {"order": "o-1", "card": "ok", "reserved": True, "charged": True, "attempts": 1}
    assert history.visited == ["Reserve", "Settle", "Charge"]
    wait_exit = next(r for r in history.rows if r.type == "WaitStateExited")
    wait_enter = next(r for r in history.rows if r.type == "WaitStateEntered")
    assert 29.9 < wait_exit.seconds - wait_enter.seconds < 31  # the history still shows the 30 s
    table = history.table()
    assert "| # | 경과(초) | 상태 | 이벤트 | 뜻 | 내용 |" in table and "상태 진입" in table and "SUCCEEDED" in table


def test_retry_backoff_shows_in_history_and_catch_compensates(cloud: LocalCloud, code_dir) -> None:
    machine = _saga(cloud, code_dir)
    sfn = cloud.client("stepfunctions")
    flaky = cloud.wait_execution(sfn.start_execution(stateMachineArn=machine, input='{"card": "flaky"}')["executionArn"])
    assert flaky.succeeded and flaky.output["attempts"] == 3
    scheduled = [r.seconds for r in flaky.rows if r.type == "LambdaFunctionScheduled" and r.state == "Charge"]
    gaps = [round(b - a) for a, b in zip(scheduled, scheduled[1:])]
    assert gaps == [2, 4]  # IntervalSeconds 2, BackoffRate 2, in virtual time

    declined = cloud.wait_execution(sfn.start_execution(stateMachineArn=machine, input='{"card": "declined"}')["executionArn"])
    assert declined.status == "FAILED" and declined.error == "OrderFailed"
    assert declined.visited == ["Reserve", "Settle", "Charge", "Release", "Failed"]
    assert [c.rsplit(":", 1)[-1] for c in declined.lambda_calls()] == ["reserve", "charge", "release"]
    failed = next(r for r in declined.rows if r.type == "LambdaFunctionFailed")
    assert failed.summary == "ValueError: card declined"


def test_unnamed_executions_get_unique_names(cloud: LocalCloud, code_dir) -> None:
    machine = _saga(cloud, code_dir)
    sfn = cloud.client("stepfunctions")
    arns = [sfn.start_execution(stateMachineArn=machine, input='{"card": "ok"}')["executionArn"] for _ in range(2)]
    assert len(set(arns)) == 2 and not any(a.endswith(":None") for a in arns)
    assert all(cloud.wait_execution(a).succeeded for a in arns)


def test_wait_execution_times_out_with_a_korean_message(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    definition = {"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 60, "End": True}}}
    machine = sfn.create_state_machine(name="slow", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    cloud.stepfunctions.time_scale = 1.0  # real time, as stock moto
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    with pytest.raises(CloudUsageError, match="끝나지 않았습니다"):
        cloud.wait_execution(arn, timeout=0.2)
    sfn.stop_execution(executionArn=arn)
    assert cloud.wait_execution(arn, timeout=5).status == "ABORTED"


def test_state_machine_from_cloudformation_executes(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=RESERVE), name="reserve")
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "StateMachineName": "from-cfn",
                    "RoleArn": ROLE,
                    "Definition": {"StartAt": "R", "States": {"R": {"Type": "Task", "Resource": "${ReserveArn}", "End": True}}},
                    "DefinitionSubstitutions": {"ReserveArn": fn.arn},
                },
            }
        },
        "Outputs": {"Arn": {"Value": {"Ref": "Machine"}}},
    }
    cfn = cloud.client("cloudformation")
    cfn.create_stack(StackName="saga", TemplateBody=json.dumps(template))
    machine = cfn.describe_stacks(StackName="saga")["Stacks"][0]["Outputs"][0]["OutputValue"]
    arn = cloud.client("stepfunctions").start_execution(stateMachineArn=machine, input='{"order": 9}')["executionArn"]
    history = cloud.wait_execution(arn)
    assert history.succeeded and history.output == {"order": 9, "reserved": True}
