"""lab05 through nbgrader end to end: full marks, zero, partial credit, and every check failing on a wrong answer.

All submissions are graded in one parallel batch. Wrong answers are the instructor's solution with a
small edit, each a mistake learners (and the seed) make: the seed's flow without the timeout branches,
retrying business errors, a refund that refunds again, a cancel that creates the order it cancels, a
Parallel that compensates only one branch, a choreography that skips the refund.
"""
from __future__ import annotations

import functools
import shutil

import pytest

from grader.config import Limits
from grader.release import release_in_copy

from .helpers import (assert_each_check_fails_somewhere, assert_full_marks, assert_scores,
                      assert_zero_without_hanging, edit, explained, grade_variants, scores, solution_answers)

LAB = "lab05"
CHECKS = ["check_1_1", "check_1_2", "check_1_3", "check_2_1", "check_2_2", "check_3_1", "check_3_2",
          "check_4_1", "check_4_2", "check_5_1", "check_5_2"]
LIMITS = Limits(cell_timeout=60, notebook_timeout=170)
SOLVED = solution_answers(LAB)


edited = functools.partial(edit, SOLVED)


# The seed's flow: a failed step is never compensated, even when it timed out after its effect.
NO_TIMEOUT_BRANCHES = edited(
    "task1_solution",
    ('[(FORWARD_TIMEOUTS, "ReleaseStock"), (["States.ALL"], "CancelOrder")]', '[(["States.ALL"], "CancelOrder")]'),
    ('[(FORWARD_TIMEOUTS, "RefundPayment"), (["States.ALL"], "ReleaseStock")]', '[(["States.ALL"], "ReleaseStock")]'),
)
# The seed's picture: a failed payment is refunded (it compensates the failed step, not the finished ones).
REFUND_DECLINED = edited(
    "task1_solution",
    ('[(FORWARD_TIMEOUTS, "RefundPayment"), (["States.ALL"], "ReleaseStock")]', '[(["States.ALL"], "RefundPayment")]'),
)
RETRY_EVERYTHING = edited("task2_solution", ('"ErrorEquals": ["TransientError", "Lambda.TooManyRequestsException", '
                                             '"Lambda.ServiceException"]', '"ErrorEquals": ["States.ALL"]'))
NO_JITTER = edited("task2_solution", ('"MaxDelaySeconds": 8, "JitterStrategy": "FULL",\n}]\nRETRY_COMPENSATIONS',
                                      '"MaxDelaySeconds": 8,\n}]\nRETRY_COMPENSATIONS'))
CANCEL_CREATES = edited("task3_solution", ('ConditionExpression="attribute_exists(orderId)", ', ''))
REFUND_AGAIN = edited("task3_solution", (
    '''    refunded = payment is not None and transact(
        {"Update": {"TableName": "lab05-payments", "Key": {"orderId": event["orderId"]},
                    "UpdateExpression": "SET #s = :refunded", "ConditionExpression": "#s = :charged",
                    "ExpressionAttributeNames": {"#s": "state"},
                    "ExpressionAttributeValues": {":refunded": "REFUNDED", ":charged": "CHARGED"}}},
        {"Update": {"TableName": "lab05-accounts", "Key": {"customer": payment["customer"]},
                    "UpdateExpression": "ADD balance :amount", "ExpressionAttributeValues": {":amount": payment["amount"]}}},
    )''',
    '''    refunded = payment is not None
    if refunded:  # no condition: a retried refund refunds again
        PAYMENTS.update_item(Key={"orderId": event["orderId"]}, UpdateExpression="SET #s = :r",
                             ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":r": "REFUNDED"})
        import boto3
        boto3.resource("dynamodb").Table("lab05-accounts").update_item(
            Key={"customer": payment["customer"]}, UpdateExpression="ADD balance :amount",
            ExpressionAttributeValues={":amount": payment["amount"]})'''))
# "the stock branch failed, so release the stock": the payment the other branch made is never refunded
PARALLEL_HALF = edited("task4_solution", ('"InputPath": "$.reserved.stock.error", "ResultPath": "$.error", "Next": "RefundPayment"}',
                                          '"InputPath": "$.reserved.stock.error", "ResultPath": "$.error", "Next": "ReleaseStock"}'))
NO_SELECTOR = edited("task4_solution", ('        "ResultSelector": {"stock.$": "$[0]", "payment.$": "$[1]"},\n', ''))
SKIP_REFUND = edited("task5_solution", ('"ConfirmFailed": ["refund_payment"]', '"ConfirmFailed": ["release_stock"]'))
SKIP_RELEASE = edited("task5_solution", ('"PaymentFailed": ["release_stock"]', '"PaymentFailed": ["cancel_order"]'))

SUBTLE = dict([NO_TIMEOUT_BRANCHES, RETRY_EVERYTHING, CANCEL_CREATES, PARALLEL_HALF, SKIP_REFUND])
SUBTLE_SCORES = {"check_1_1": 1, "check_1_2": 1, "check_1_3": 0, "check_2_1": 1, "check_2_2": 0, "check_3_1": 1,
                 "check_3_2": 0, "check_4_1": 1, "check_4_2": 0, "check_5_1": 1, "check_5_2": 0}
VISIBLE = dict([REFUND_DECLINED, NO_JITTER, REFUND_AGAIN, NO_SELECTOR, SKIP_RELEASE])
VISIBLE_SCORES = {"check_1_1": 0, "check_1_2": 0, "check_1_3": 1, "check_2_1": 0, "check_2_2": 0, "check_3_1": 0,
                  "check_3_2": 0, "check_4_1": 0, "check_4_2": 0, "check_5_1": 0, "check_5_2": 1}
FIRST_TWO = {k: v for k, v in SOLVED.items() if k in ("task1_solution", "task2_solution")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release lab05 into a throw-away course, submit every variant, grade them in one batch."""
    course = release_in_copy(LAB, tmp_path_factory.mktemp("lab05") / "course")
    variants = {"first-two": FIRST_TWO, "subtle": SUBTLE, "visible": VISIBLE}
    yield grade_variants(LAB, course, variants, LIMITS)
    shutil.rmtree(course, ignore_errors=True)


def test_solution_scores_full_marks(graded):
    assert_full_marks(graded["solution"], 11)


def test_untouched_release_scores_zero_without_hanging(graded):
    assert_zero_without_hanging(graded["untouched"], CHECKS)


def test_first_two_tasks_solved_earn_exactly_their_points(graded):
    got = scores(graded["first-two"])
    assert got == {c: (1 if c[6] in "12" else 0) for c in CHECKS}, explained(graded["first-two"])


def test_subtle_mistakes_lose_only_the_hidden_checks_that_catch_them(graded):
    # the timeout branches, retrying a declined card, a cancel that creates an order, half a Parallel's undo, no refund
    assert_scores(graded, {"subtle": SUBTLE_SCORES})


def test_visible_checks_catch_plain_mistakes(graded):
    assert_scores(graded, {"visible": VISIBLE_SCORES})
    message = next(c.message for c in graded["visible"].cells if c.grade_id == "check_3_1")
    assert "두 번 불려도 한 번만 되돌려야" in message, message
    # a Parallel result left as a list is told in the course's words, not as an AttributeError
    message = next(c.message for c in graded["visible"].cells if c.grade_id == "check_4_1")
    assert message.startswith("$.reserved는"), message


def test_every_check_fails_on_some_wrong_answer():
    assert_each_check_fails_somewhere(CHECKS, SUBTLE_SCORES, VISIBLE_SCORES)
