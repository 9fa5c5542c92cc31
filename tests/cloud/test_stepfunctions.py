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


def test_wait_execution_names_a_wrong_arn_in_korean(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name="quick", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    with pytest.raises(CloudUsageError, match="실행 .*:missing이 없습니다"):
        cloud.wait_execution(machine.replace(":stateMachine:", ":execution:") + ":missing", timeout=1)
    with pytest.raises(CloudUsageError, match="실행 ARN이 아닙니다"):
        cloud.wait_execution("not-an-arn", timeout=1)


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


def test_lambda_invoke_integration_result_has_the_sdk_metadata(cloud: LocalCloud, code_dir) -> None:
    # AWS: arn:aws:states:::lambda:invoke returns ExecutedVersion, Payload, SdkHttpMetadata,
    # SdkResponseMetadata ({"RequestId"}) and StatusCode; ResultSelectors read the request id.
    fn = cloud.deploy(code_dir(app="def handler(event, context):\n    return {'seen': event, 'id': context.aws_request_id}\n"), name="echo")
    definition = {
        "StartAt": "Invoke",
        "States": {
            "Invoke": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": fn.arn, "Payload.$": "$"},
                "ResultPath": "$.raw",
                "Next": "Select",
            },
            "Select": {
                "Type": "Pass",
                "Parameters": {"requestId.$": "$.raw.SdkResponseMetadata.RequestId", "payload.$": "$.raw.Payload"},
                "End": True,
            },
        },
    }
    sfn = cloud.client("stepfunctions")
    machine = sfn.create_state_machine(name="invoke", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    history = cloud.wait_execution(sfn.start_execution(stateMachineArn=machine, input='{"n": 1}')["executionArn"])
    assert history.succeeded, history.cause
    raw = json.loads(next(e for e in history.events if e["type"] == "TaskStateExited")["stateExitedEventDetails"]["output"])["raw"]
    assert list(raw) == ["ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"]
    # the Invoke response's request id (x-amzn-RequestId), in both places; it is the handler's
    # context.aws_request_id, as on AWS
    request_id = raw["SdkResponseMetadata"]["RequestId"]
    assert set(raw["SdkResponseMetadata"]) == {"RequestId"} and request_id
    http = raw["SdkHttpMetadata"]
    assert http["HttpStatusCode"] == 200 and http["HttpHeaders"]["x-amzn-RequestId"] == request_id
    assert http["HttpHeaders"]["X-Amz-Executed-Version"] == "$LATEST" and http["HttpHeaders"]["Content-Type"] == "application/json"
    assert http["HttpHeaders"]["Connection"] == "keep-alive"
    assert http["AllHttpHeaders"] == {name: [value] for name, value in http["HttpHeaders"].items()}
    assert raw["StatusCode"] == 200 and raw["ExecutedVersion"] == "$LATEST"
    assert history.output == {"requestId": request_id, "payload": {"seen": {"n": 1}, "id": request_id}}  # AWS: the same id


ALWAYS_TRANSIENT = """
class TransientError(Exception):
    pass

def handler(event, context):
    raise TransientError("gateway busy")
"""


def _retrying(cloud: LocalCloud, fn_arn: str, name: str, **retrier) -> str:
    definition = {"StartAt": "Pay", "States": {"Pay": {
        "Type": "Task", "Resource": fn_arn,
        "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 1, "BackoffRate": 3, "MaxAttempts": 3, **retrier}],
        "End": True}}}
    sfn = cloud.client("stepfunctions")
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]


def _gaps(history) -> list[float]:
    """Seconds from each failed attempt's end to the next attempt: the Retry's delay."""
    calls = history.calls()
    return [round(b.seconds - a.finished, 6) for a, b in zip(calls, calls[1:])]


def test_retry_backoff_is_capped_by_max_delay_and_full_jitter_draws_from_the_seeded_generator(cloud: LocalCloud, code_dir) -> None:
    # AWS: delay n = min(IntervalSeconds * BackoffRate^(n-1), MaxDelaySeconds); FULL jitter: uniform(0, that delay).
    fn = cloud.deploy(code_dir(app=ALWAYS_TRANSIENT), name="busy")
    sfn = cloud.client("stepfunctions")
    capped = _retrying(cloud, fn.arn, "capped", MaxDelaySeconds=5)
    history = cloud.wait_execution(sfn.start_execution(stateMachineArn=capped)["executionArn"])
    assert history.status == "FAILED" and history.error == "TransientError"
    assert [round(g) for g in _gaps(history)] == [1, 3, 5]  # 9 s capped at 5
    assert [c.error for c in history.calls()] == ["TransientError"] * 4

    jittered = _retrying(cloud, fn.arn, "jittered", MaxDelaySeconds=5, JitterStrategy="FULL")
    runs = []
    for _ in range(2):
        cloud.stepfunctions.seed(7)
        runs.append(_gaps(cloud.wait_execution(sfn.start_execution(stateMachineArn=jittered)["executionArn"])))
    import random
    expected = random.Random(7)
    assert runs[0] == pytest.approx(runs[1], abs=0.1)  # the same seed, the same delays (plus real milliseconds)
    assert runs[0] == pytest.approx([expected.uniform(0, 1), expected.uniform(0, 3), expected.uniform(0, 5)], abs=0.1)


def test_calls_keep_parallel_branches_apart_and_catch_result_path_keeps_the_input(cloud: LocalCloud, code_dir) -> None:
    ok = cloud.deploy(code_dir(app="def handler(event, context):\n    return {'ok': event['orderId']}\n"), name="okay")
    declined = cloud.deploy(code_dir(app="class PaymentDeclined(Exception):\n    pass\n\n"
                                         "def handler(event, context):\n    raise PaymentDeclined('잔액 부족')\n"), name="declined")
    definition = {"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Branches": [
            {"StartAt": "Reserve", "States": {"Reserve": {"Type": "Task", "Resource": ok.arn, "End": True}}},
            {"StartAt": "Pay", "States": {"Pay": {"Type": "Task", "Resource": declined.arn, "End": True}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Undo"}], "End": True},
        "Undo": {"Type": "Task", "Resource": ok.arn, "ResultPath": None, "Next": "Failed"},
        "Failed": {"Type": "Fail", "Error": "OrderFailed"}}}
    sfn = cloud.client("stepfunctions")
    machine = sfn.create_state_machine(name="both", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    history = cloud.wait_execution(sfn.start_execution(stateMachineArn=machine, input='{"orderId": "o-7"}')["executionArn"])
    assert history.error == "OrderFailed"
    calls = {c.state: c for c in history.calls()}
    assert (calls["Reserve"].function, calls["Reserve"].error) == ("okay", None)
    assert (calls["Pay"].function, calls["Pay"].error) == ("declined", "PaymentDeclined")
    assert calls["Undo"].input["orderId"] == "o-7" and calls["Undo"].input["error"]["Error"] == "PaymentDeclined"
    assert [r.state for r in history.rows if r.type.startswith("ParallelState")] == ["Both"] * 4
    assert history.visited[-2:] == ["Undo", "Failed"]
