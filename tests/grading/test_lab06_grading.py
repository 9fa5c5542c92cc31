"""lab06 through nbgrader end to end: full marks, zero, partial credit, and every check failing on a wrong answer.

All submissions are graded in one parallel batch, then each test reads its student's scores. Wrong
answers are the instructor's solution with a small edit, each a mistake a learner makes (see the
instructor guide): they pass the visible checks and lose only the hidden ones that catch them,
except VISIBLE, whose mistakes the visible checks catch.
"""
from __future__ import annotations

import functools
import shutil

import pytest

from grader.config import Limits
from grader.release import release_in_copy

from .helpers import (assert_each_check_fails_somewhere, assert_full_marks, assert_scores,
                      assert_zero_without_hanging, edit, explained, grade_variants, solution_answers,
                      with_edits)

LAB = "lab06"
CHECKS = ["check_1_1", "check_1_2", "check_1_3", "check_2_1", "check_2_2", "check_2_3",
          "check_3_1", "check_3_2", "check_4_1", "check_4_2", "check_4_3"]
LIMITS = Limits(cell_timeout=40, notebook_timeout=150)
SOLVED = solution_answers(LAB)


edited = functools.partial(edit, SOLVED)


wrong = functools.partial(with_edits, SOLVED)


# json.loads(None) on a POST without a body (500, not 400); a worker that claims a job without a
# condition, so a message that comes again runs the job again (after a redrive too); a webhook that
# trusts any topic.
SUBTLE_1 = wrong(
    edited("task1_solution", ('data = json.loads(event.get("body") or "")', 'data = json.loads(event["body"])')),
    edited("task2_solution", ('            ConditionExpression="#s = :pending",\n', ""),
           ('ExpressionAttributeValues={":running": "RUNNING", ":pending": "PENDING", ":one": 1}',
            'ExpressionAttributeValues={":running": "RUNNING", ":one": 1}')),
    edited("task3_solution", ("    if message.get(\"TopicArn\") != TOPIC_ARN:\n        return 403\n", "")),
)
SUBTLE_1_SCORES = {"check_1_1": 1, "check_1_2": 0, "check_1_3": 1, "check_2_1": 1, "check_2_2": 0, "check_2_3": 1,
                   "check_3_1": 1, "check_3_2": 0, "check_4_1": 1, "check_4_2": 1, "check_4_3": 0}

# Idempotency left to the conditional write alone (no @idempotent_function): a repeated POST gets the
# same job but queues it again, and a reused key with another body is not refused; a worker that
# lets the exception out without putting the job back to PENDING, so the retry finds it RUNNING,
# skips it, and the job never fails over to the DLQ.
SUBTLE_2 = wrong(
    edited("task1_solution", ("@idempotent_function(data_keyword_argument=\"request\", persistence_store=persistence, config=config)\n", "")),
    edited("task2_solution", (
        "        try:\n            result = render(job_id, spec)\n        except Exception as error:\n"
        "            last = int(record[\"attributes\"][\"ApproximateReceiveCount\"]) >= MAX_RECEIVE\n"
        "            set_status(job_id, \"FAILED\" if last else \"PENDING\", error=f\"{type(error).__name__}: {error}\")\n"
        "            if last:\n                publish(job_id, \"FAILED\")\n            raise\n",
        "        result = render(job_id, spec)\n")),
)
SUBTLE_2_SCORES = {"check_1_1": 1, "check_1_2": 1, "check_1_3": 0, "check_2_1": 1, "check_2_2": 1, "check_2_3": 0,
                   "check_3_1": 1, "check_3_2": 1, "check_4_1": 0, "check_4_2": 0, "check_4_3": 1}

# A redrive that moves the messages but leaves the jobs FAILED: the worker's claim skips them.
SUBTLE_3 = wrong(edited("task4_solution", ('UpdateExpression="SET #s = :pending"', 'UpdateExpression="SET #s = :failed"')))
SUBTLE_3_SCORES = {**{c: 1 for c in CHECKS}, "check_4_2": 0, "check_4_3": 0}

# Mistakes the visible checks catch: 200 instead of 202, a result not stored, a webhook that never
# confirms its subscription.
VISIBLE = wrong(
    edited("task1_solution", ("return respond(202, job,", "return respond(200, job,")),
    edited("task2_solution", ('set_status(job_id, "SUCCEEDED", result=result)', 'set_status(job_id, "SUCCEEDED")')),
    edited("task3_solution", ('        sns.confirm_subscription(TopicArn=message["TopicArn"], Token=message["Token"])\n', "        pass\n")),
)
VISIBLE_SCORES = {"check_1_1": 0, "check_1_2": 1, "check_1_3": 0, "check_2_1": 0, "check_2_2": 1, "check_2_3": 1,
                  "check_3_1": 0, "check_3_2": 1, "check_4_1": 1, "check_4_2": 0, "check_4_3": 0}

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release lab06 into a throw-away course, submit every variant, grade them in one batch."""
    course = release_in_copy(LAB, tmp_path_factory.mktemp("lab06") / "course")
    variants = {"subtle-1": SUBTLE_1, "subtle-2": SUBTLE_2, "subtle-3": SUBTLE_3, "visible": VISIBLE}
    yield grade_variants(LAB, course, variants, LIMITS)
    shutil.rmtree(course, ignore_errors=True)


def test_solution_scores_full_marks(graded):
    assert_full_marks(graded["solution"], 11)


def test_untouched_release_scores_zero_without_hanging(graded):
    assert_zero_without_hanging(graded["untouched"], CHECKS)


def test_a_partial_answer_gets_partial_credit(graded):
    # Tasks 1-3 right, task 4's redrive wrong (the jobs stay FAILED): the points of the checks that pass.
    assert graded["subtle-3"].score == 9, explained(graded["subtle-3"])


def test_subtle_mistakes_lose_only_the_hidden_checks_that_catch_them(graded):
    assert_scores(graded, {"subtle-1": SUBTLE_1_SCORES, "subtle-2": SUBTLE_2_SCORES, "subtle-3": SUBTLE_3_SCORES})


def test_visible_checks_catch_plain_mistakes(graded):
    assert_scores(graded, {"visible": VISIBLE_SCORES})


def test_every_check_fails_on_some_wrong_answer():
    assert_each_check_fails_somewhere(CHECKS, SUBTLE_1_SCORES, SUBTLE_2_SCORES, SUBTLE_3_SCORES, VISIBLE_SCORES)
