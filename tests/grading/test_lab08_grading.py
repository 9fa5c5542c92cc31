"""lab08 through nbgrader end to end: full marks, zero, partial credit, and every check failing on a wrong answer.

Every check packages the learner's files with the real osls and deploys them onto the offline cloud;
all submissions are graded in one parallel batch. Wrong answers are the solution with a small edit,
each a mistake a learner makes (see the instructor guide).
"""
from __future__ import annotations

import functools
import shutil

import pytest

from grader.config import Limits
from grader.release import release_in_copy

from .helpers import (assert_each_check_fails_somewhere, assert_full_marks, assert_scores,
                      assert_zero_without_hanging, edit, explained, grade_variants, scores, solution_answers,
                      with_edits)

LAB = "lab08"
CHECKS = ["check_1_1", "check_1_2", "check_1_3", "check_2_1", "check_2_2", "check_2_3", "check_2_4", "check_2_5",
          "check_3_1", "check_3_2", "check_4_1", "check_4_2", "check_5_1", "check_5_2"]
LIMITS = Limits(cell_timeout=120, notebook_timeout=400)
SOLVED = solution_answers(LAB)

edited = functools.partial(edit, SOLVED)


wrong = functools.partial(with_edits, SOLVED)


# Quiet mistakes: the path parameter without braces, the variable replaced by a literal name, the sqs arn
# hard-coded to another queue; no partial batch response, no on-failure destination, the prod retry count
# left at dev's; the stack never removed; SAM's stream without retry limit; a deploy job that does not wait for the tests.
SUBTLE = wrong(
    edited("fix_indent", ("path: /orders/{id}", "path: /orders/id")),
    edited("fix_variable", ("TABLE: ${self:custom.tableName}", "TABLE: orders")),
    edited("fix_arn", ("arn: !GetAtt OrdersQueue.Arn", "arn: arn:aws:sqs:ap-northeast-2:123456789012:orders")),
    edited("service_yml", ("          functionResponseType: ReportBatchItemFailures\n", ""),
           ("      retryAttempts: 3\n", "      retryAttempts: 1\n"),
           ("          destinations:\n            onFailure:\n              arn: !GetAtt StreamFailuresQueue.Arn\n"
            "              type: sqs\n", "")),
    edited("task3_solution", ('return osv.remove(cloud, service)', "return []")),
    edited("sam_template", ("            MaximumRetryAttempts: 1\n", "")),
    edited("workflow", ("  deploy-dev:\n    needs: test\n", "  deploy-dev:\n")),
)
SUBTLE_SCORES = {**{c: 1 for c in CHECKS}, "check_1_3": 0, "check_2_3": 0, "check_2_4": 0, "check_2_5": 0, "check_3_2": 0,
                 "check_4_2": 0, "check_5_2": 0}

# Mistakes the visible checks catch: method left one level out (osls warns); PutItem still missing; the
# stage values hard-coded (prod gets 5) and the path parameter without braces; a wrong resource type read
# from the template; SAM without the queue policy; a runner label actionlint does not know.
VISIBLE = wrong(
    edited("fix_indent", ("          method: get\n", "        method: get\n")),
    edited("fix_iam", ("Action: [dynamodb:GetItem, dynamodb:PutItem]", "Action: [dynamodb:GetItem]")),
    edited("service_yml", ("batchSize: ${self:custom.settings.batchSize}", "batchSize: 5"),
           ("path: /orders/{id}", "path: /orders/id")),
    edited("task3_solution", ('"schedule": ["AWS::Scheduler::Schedule"]', '"schedule": ["AWS::Events::Rule"]')),
    edited("sam_template", ("        - SQSSendMessagePolicy: {QueueName: !GetAtt OrdersQueue.QueueName}\n", "")),
    edited("workflow", ("  test:\n    runs-on: ubuntu-24.04\n", "  test:\n    runs-on: ubuntu-lates\n")),
)
VISIBLE_SCORES = {**{c: 1 for c in CHECKS}, "check_1_1": 0, "check_1_3": 0, "check_1_2": 0, "check_2_1": 0, "check_2_2": 0, "check_3_1": 0, "check_4_1": 0,
                  "check_2_5": 0, "check_5_1": 0, "check_5_2": 1}

# Mistakes the offline cloud does not show by itself: every permission left out (IAM is not enforced
# offline, the order still ships), LOG_LEVEL hard-coded (prod gets DEBUG), a DLQ after one receive; dev's
# table name typed in instead of the variable (right for dev only); SAM's queue without its DLQ; a test job
# that never installs Node.js (osls needs it; actionlint does not mind).
LOOSE = wrong(
    edited("fix_variable", ("TABLE: ${self:custom.tableName}", "TABLE: lab08-variable-dev-orders")),
    edited("sam_template", ("      RedrivePolicy: {deadLetterTargetArn: !GetAtt OrdersDLQ.Arn, maxReceiveCount: 3}\n", "")),
    edited("service_yml", ("""  iam:
    role:
      statements:
        - Effect: Allow
          Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:UpdateItem, dynamodb:Scan]
          Resource: !GetAtt OrdersTable.Arn
        - Effect: Allow
          Action: [sqs:SendMessage]
          Resource:
            - !GetAtt OrdersQueue.Arn
            - !GetAtt StreamFailuresQueue.Arn
""", ""), ("LOG_LEVEL: ${self:custom.settings.logLevel}", "LOG_LEVEL: DEBUG"),
           ("maxReceiveCount: 3", "maxReceiveCount: 1")),
    edited("workflow", ('      - uses: actions/setup-node@v4\n        with:\n          node-version: "20"\n', "")),
)
LOOSE_SCORES = {**{c: 1 for c in CHECKS}, "check_1_3": 0, "check_2_2": 0, "check_2_3": 0, "check_2_5": 0, "check_4_2": 0,
                "check_5_1": 0}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release lab08 into a throw-away course, submit every variant, grade them in one batch."""
    course = release_in_copy(LAB, tmp_path_factory.mktemp("lab08") / "course")
    yield grade_variants(LAB, course, {"subtle": SUBTLE, "visible": VISIBLE, "loose": LOOSE}, LIMITS)
    shutil.rmtree(course, ignore_errors=True)


def test_solution_scores_full_marks(graded):
    assert_full_marks(graded["solution"], 14)


def test_untouched_release_scores_zero_without_hanging(graded):
    assert_zero_without_hanging(graded["untouched"], CHECKS)


def test_subtle_mistakes_lose_only_the_hidden_checks_that_catch_them(graded):
    assert_scores(graded, {"subtle": SUBTLE_SCORES})


def test_visible_checks_catch_plain_mistakes_and_partial_answers_get_partial_credit(graded):
    assert_scores(graded, {"visible": VISIBLE_SCORES})
    assert 0 < graded["visible"].score < 14


def test_what_the_offline_cloud_lets_pass_is_still_caught(graded):
    outcome = graded["loose"]
    assert scores(outcome) == LOOSE_SCORES, explained(outcome)
    said = explained(outcome)
    assert "AccessDeniedException" in said and "maxReceiveCount 3" in said and "LOG_LEVEL" in said
    assert "lab08-variable-prod-orders" in said and "SAM의 OrdersQueue" in said


def test_every_check_fails_on_some_wrong_answer():
    assert_each_check_fails_somewhere(CHECKS, SUBTLE_SCORES, VISIBLE_SCORES)
