"""Step Functions refuses, as AWS does, a definition that names a missing state or has a state nothing reaches.

moto's parser checks only the grammar: a saga whose failure path went to a misspelt state deployed
offline and failed only when an execution got there (lab05's review found it). AWS answers
InvalidDefinition at CreateStateMachine, UpdateStateMachine and in CloudFormation, with the messages
below (as AWS printed them in localstack/localstack#11978 and aws/aws-cdk#25798).
"""
from __future__ import annotations

import json

import pytest

from labkit.cloud import LocalCloud

ROLE = "arn:aws:iam::123456789012:role/sfn"


def _refusal(sfn, definition) -> str:
    with pytest.raises(sfn.exceptions.InvalidDefinition) as refused:
        sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=ROLE)
    return refused.value.response["Error"]["Message"]


def test_missing_targets_and_unreachable_states_are_refused_with_aws_messages(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    assert _refusal(sfn, {"StartAt": "pass1", "States": {"pass1": {"Type": "Pass", "Next": "pass3"},
                                                         "pass2": {"Type": "Pass", "End": True}}}) == (
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at "
        "/States/pass1/Next, MISSING_TRANSITION_TARGET: State \"pass2\" is not reachable. at /States/pass2'")
    assert "Missing 'Next' target: Start at /StartAt" in _refusal(
        sfn, {"StartAt": "Start", "States": {"A": {"Type": "Succeed"}}})
    # every kind of transition, and each Parallel branch is a scope of its own
    message = _refusal(sfn, {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:lambda:ap-northeast-2:123456789012:function:f", "Next": "C",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Undo"}]},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Gone"}], "Default": "P"},
        "P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Next": "T"}}}]}}})
    assert message.split(": '", 1)[1].rstrip("'").split(", ") == [
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: Undo at /States/T/Catch[0]/Next",
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: Gone at /States/C/Choices[0]/Next",
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: T at /States/P/Branches[0]/States/B1/Next"]
    # a grammar error keeps moto's text, now with AWS's error code
    assert "ASLParserException" in _refusal(sfn, {"StartAt": "A", "States": {"A": {"Type": "Tsk", "End": True}}})


def test_update_and_cloudformation_refuse_it_too_and_a_valid_saga_still_deploys(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    good = {"StartAt": "Work", "States": {
        "Work": {"Type": "Pass", "Next": "Done", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Undo"}]},
        "Undo": {"Type": "Pass", "Next": "Failed"}, "Failed": {"Type": "Fail", "Error": "OrderFailed"},
        "Done": {"Type": "Succeed"}}}
    arn = sfn.create_state_machine(name="saga", definition=json.dumps(good), roleArn=ROLE)["stateMachineArn"]
    broken = {**good, "States": {**good["States"], "Undo": {"Type": "Pass", "Next": "NoSuchState"}}}
    with pytest.raises(sfn.exceptions.InvalidDefinition, match="Missing 'Next' target: NoSuchState at /States/Undo/Next"):
        sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(broken))
    template = {"Resources": {"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "StateMachineName": "cfn-saga", "RoleArn": ROLE, "DefinitionString": json.dumps(broken)}}}}
    with pytest.raises(Exception, match="NoSuchState"):
        cloud.deploy_stack(template, name="cfn-saga")
    assert [m["name"] for m in sfn.list_state_machines()["stateMachines"]] == ["saga"]
