"""lab01 through nbgrader end to end: full marks, zero, partial credit, and every check failing on a wrong answer.

All submissions are graded in one parallel batch (a lab01 notebook takes ~15 s to run), then each
test reads its student's scores. Wrong answers are made from the instructor's solution by a small
edit, so they stay in step with it; each edit is a mistake learners make (see the instructor guide).
"""
from __future__ import annotations

import functools
import shutil

import pytest

from grader.config import Limits
from grader.release import release_in_copy

from .helpers import (assert_each_check_fails_somewhere, assert_full_marks, assert_scores,
                      assert_zero_without_hanging, edit, explained, grade_variants, scores, solution_answers)

LAB = "lab01"
CHECKS = ["check_1_1", "check_1_2", "check_1_3", "check_1_4", "check_2_1", "check_2_2",
          "check_3_1", "check_3_2", "check_3_3", "check_4_1", "check_4_2", "check_4_3",
          "check_5_1", "check_5_2", "check_6_1", "check_6_2", "check_6_3"]
# The lab's cells start the offline cloud and run handlers: give them more room than lab00's limits.
LIMITS = Limits(cell_timeout=40, notebook_timeout=150)


edited = functools.partial(edit, solution_answers(LAB))


def wrong(*edits: tuple[str, str]) -> dict[str, str]:
    return dict(edits)


SOLVED = solution_answers(LAB)

# Task 6's model answer before it was made idempotent: it adds each batch's count with ADD, so a
# batch the event source mapping delivers again is counted twice (only hidden test 6-3 sees it).
NOT_IDEMPOTENT_TASK6 = '''%%writefile lab01_functions/clicks/app.py
import base64
import os
from collections import Counter

import boto3

TOTALS = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    clicks, last_page = Counter(), {}
    for record in event["Records"]:
        user = record["kinesis"]["partitionKey"]
        page = base64.b64decode(record["kinesis"]["data"]).decode("utf-8")
        clicks[user] += 1
        last_page[user] = page
    for user, count in clicks.items():
        TOTALS.update_item(
            Key={"user": user},
            UpdateExpression="ADD clicks :n SET lastPage = :p",
            ExpressionAttributeValues={":n": count, ":p": last_page[user]},
        )
'''

# Mistakes that pass every visible check and fail only hidden ones (plus the "all failed" SQS answer).
SUBTLE_1 = wrong(
    edited("task1_solution",
           ('body = event.get("body") or ""', 'body = event["body"]'),  # json.loads(None)
           ('TABLE.get_item(Key={"id": note_id}).get("Item")', 'TABLE.get_item(Key={"id": note_id})["Item"]')),
    edited("task2_solution", ('unquote_plus(s3["object"]["key"])', 's3["object"]["key"]')),  # key not URL-decoded
    edited("task3_solution", ('return {"batchItemFailures": failures}',
                              'return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}')),
    edited("task4_solution", ('to_python(change.get("NewImage"))', 'to_python(change["NewImage"])')),  # REMOVE has none
    ("task5_solution", SOLVED["task5_solution"]),
    ("task6_solution", NOT_IDEMPOTENT_TASK6),  # counts a redelivered batch twice
)
SUBTLE_1_SCORES = {"check_1_1": 1, "check_1_2": 1, "check_1_3": 0, "check_1_4": 0, "check_2_1": 1, "check_2_2": 0,
                   "check_3_1": 0, "check_3_2": 0, "check_3_3": 0, "check_4_1": 1, "check_4_2": 0, "check_4_3": 1,
                   "check_5_1": 1, "check_5_2": 1, "check_6_1": 1, "check_6_2": 1, "check_6_3": 0}

SUBTLE_2 = wrong(
    edited("task1_solution", ('method = event.get("httpMethod") or event["requestContext"]["http"]["method"]',
                              'method = event["requestContext"]["http"]["method"]')),  # format 2.0 only
    ("task2_solution", SOLVED["task2_solution"]),
    edited("task3_solution", ("except Exception as exc:", "except json.JSONDecodeError as exc:")),
    edited("task4_solution", ("DESERIALIZE = TypeDeserializer().deserialize",
                              "from decimal import Decimal\n\n\ndef DESERIALIZE(value):  # S and N only\n"
                              "    return Decimal(value[\"N\"]) if \"N\" in value else value.get(\"S\")")),
    edited("task5_solution", ('scheduled = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))',
                              "scheduled = datetime.utcnow()")),  # the wall clock
    edited("task6_solution", ('page = base64.b64decode(kinesis["data"]).decode("utf-8")',
                              'page = kinesis["data"]')),  # still base64
)
SUBTLE_2_SCORES = {"check_1_1": 1, "check_1_2": 0, "check_1_3": 1, "check_1_4": 1, "check_2_1": 1, "check_2_2": 1,
                   "check_3_1": 1, "check_3_2": 0, "check_3_3": 0, "check_4_1": 1, "check_4_2": 1, "check_4_3": 0,
                   "check_5_1": 0, "check_5_2": 0, "check_6_1": 0, "check_6_2": 0, "check_6_3": 0}

# Task 6 only, with the condition but catching the wrong exception: a redelivered batch fails
# again on its first record already applied, so the new records behind it are never counted.
SUBTLE_3 = wrong(edited("task6_solution", ("except TOTALS.meta.client.exceptions.ConditionalCheckFailedException:",
                                           "except TOTALS.meta.client.exceptions.ProvisionedThroughputExceededException:")))
SUBTLE_3_SCORES = {**{c: 0 for c in CHECKS}, "check_6_1": 1, "check_6_2": 1}

# Mistakes the visible checks catch; tasks 3 and 5 left unanswered.
VISIBLE = wrong(
    edited("task1_solution", ("return respond(201, note)", "return respond(200, note)")),
    edited("task2_solution", ('"size": s3["object"].get("size", 0),', '"size": str(s3["object"].get("size", 0)),')),
    edited("task4_solution", ("return {name: DESERIALIZE(value) for name, value in (image or {}).items()}",
                              "return {name: float(v[\"N\"]) if \"N\" in v else DESERIALIZE(v) for name, v in (image or {}).items()}")),
    edited("task6_solution", ('":seq": kinesis["sequenceNumber"].zfill(SEQUENCE_DIGITS)',
                              '":seq": int(kinesis["sequenceNumber"])')),  # 56 digits do not fit a Number
)
VISIBLE_SCORES = {**{c: 0 for c in CHECKS}, "check_1_3": 1, "check_1_4": 1, "check_2_2": 1}

FIRST_THREE = {k: v for k, v in SOLVED.items() if k in ("task1_solution", "task2_solution", "task3_solution")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release lab01 into a throw-away course, submit every variant, grade them in one batch."""
    course = release_in_copy(LAB, tmp_path_factory.mktemp("lab01") / "course")
    variants = {"first-three": FIRST_THREE, "subtle-1": SUBTLE_1, "subtle-2": SUBTLE_2, "subtle-3": SUBTLE_3, "visible": VISIBLE}
    yield grade_variants(LAB, course, variants, LIMITS)
    shutil.rmtree(course, ignore_errors=True)


def test_solution_scores_full_marks(graded):
    assert_full_marks(graded["solution"], 17)


def test_untouched_release_scores_zero_without_hanging(graded):
    assert_zero_without_hanging(graded["untouched"], CHECKS)


def test_first_three_tasks_solved_earn_exactly_their_points(graded):
    got = scores(graded["first-three"])
    assert got == {c: (1 if c[6] in "123" else 0) for c in CHECKS}, explained(graded["first-three"])
    assert graded["first-three"].score == 9


def test_subtle_mistakes_lose_only_the_hidden_checks_that_catch_them(graded):
    assert_scores(graded, {"subtle-1": SUBTLE_1_SCORES, "subtle-2": SUBTLE_2_SCORES, "subtle-3": SUBTLE_3_SCORES})


def test_visible_checks_catch_plain_mistakes(graded):
    assert_scores(graded, {"visible": VISIBLE_SCORES})
    # A sequence number stored as a Number: boto3 refuses 56 digits. The learner's notebook shows
    # the function's error (`why()`); the feedback keeps only the course's sentence, since text the
    # student's code produced never reaches it (grader.check_messages).
    message = next(c.message for c in graded["visible"].cells if c.grade_id == "check_6_1")
    assert message.startswith("사용자 u-1, u-2의 집계가 테이블에 있어야"), message
    assert "Inexact" not in message and "ValidationException" not in message, message


def test_every_check_fails_on_some_wrong_answer():
    assert_each_check_fails_somewhere(CHECKS, SUBTLE_1_SCORES, SUBTLE_2_SCORES, SUBTLE_3_SCORES, VISIBLE_SCORES)
