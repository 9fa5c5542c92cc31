"""lab03 through nbgrader end to end: full marks, zero, partial credit, and every check failing on a wrong answer.

All submissions are graded in one parallel batch (a lab03 notebook takes ~35 s to run). Wrong
answers are the instructor's solution with a small edit, each a mistake learners make (see the
instructor guide's lab03 section): a uniqueness read before the write, a token that is only
base64, a lookup by Scan, an update that cannot tell a missing user from a stale version.
"""
from __future__ import annotations

import functools
import shutil

import pytest

from grader.config import Limits
from grader.release import release_in_copy

from .helpers import (assert_each_check_fails_somewhere, assert_full_marks, assert_scores,
                      assert_zero_without_hanging, edit, grade_variants, solution_answers)

LAB = "lab03"
CHECKS = ["check_1_1", "check_1_2", "check_2_1", "check_2_2", "check_2_3", "check_2_4",
          "check_3_1", "check_3_2", "check_4_1", "check_4_2", "check_5_1", "check_5_2"]
# Each notebook starts the offline cloud, deploys two functions and sends ~150 HTTP requests.
LIMITS = Limits(cell_timeout=60, notebook_timeout=240)
SOLVED = solution_answers(LAB)


edited = functools.partial(edit, SOLVED)


TRANSACTION = SOLVED["task2_solution"][SOLVED["task2_solution"].index("    try:\n        CLIENT.transact_write_items"):
                                       SOLVED["task2_solution"].index("    return public_user(user)")]

# The uniqueness checked by a read before the write: sequential duplicates get 409, two at once both get 201.
READ_THEN_WRITE = (
    '    taken = TABLE.query(IndexName="GSI1", KeyConditionExpression=Key("GSI1PK").eq(f"EMAIL#{email}"))["Items"]\n'
    '    if taken:\n'
    '        raise Conflict(f"이미 가입한 이메일입니다: {email}")\n'
    '    TABLE.put_item(Item=user)\n')
# A condition failure on a missing user answered as a stale version (409 instead of 404).
NO_EXISTENCE_CHECK = edited("task3_solution", (
    '        if TABLE.get_item(Key=user_key(user_id)).get("Item") is None:   # 없는 사용자와 오래된 버전을 나눕니다\n'
    '            raise NotFound(f"ID가 {user_id}인 사용자가 없습니다.") from None\n', ""))
# The page token as plain base64 JSON: anyone can forge one for another user's partition.
UNSIGNED_TOKEN = ("task4_solution", SOLVED["task4_solution"]
                  .replace(SOLVED["task4_solution"][SOLVED["task4_solution"].index('    body = json.dumps(last_key'):
                                                    SOLVED["task4_solution"].index('def decode_token')],
                           '    return base64.urlsafe_b64encode(json.dumps(last_key).encode()).decode()\n\n\n')
                  .replace(SOLVED["task4_solution"][SOLVED["task4_solution"].index('    try:\n        raw = base64'):
                                                    SOLVED["task4_solution"].index('def list_orders')],
                           '    try:\n        return json.loads(base64.urlsafe_b64decode(token))\n'
                           '    except ValueError:\n        raise BadRequest("next 토큰이 잘못되었습니다.") from None\n\n\n'))
# Every Bearer token that is not revoked is let through.
ALLOW_UNKNOWN = edited("task5_solution", ("if scheme != \"Bearer\" or token not in TOKENS and token not in BLOCKED:",
                                          "if scheme != \"Bearer\":"))

# Mistakes the hidden tests catch (and the access-pattern checks, which read the table and the calls):
# task 1 plans a Scan, task 2 checks uniqueness by a read before the write, skips the name check and
# finds the e-mail by Scan, task 3 cannot tell a missing user from a stale version, task 4's token is
# plain base64, task 5 lets every Bearer token through.
SUBTLE = dict([
    edited("task1_solution", ('("Query", "GSI1")', '("Scan", "table")')),
    edited("task2_solution",
        ('    if not isinstance(name, str) or not name.strip():\n'
         '        raise BadRequest("name에 비어 있지 않은 문자열을 넣어 주십시오.")\n', '    name = str(name or "")\n'),
        ('found = TABLE.query(IndexName="GSI1", KeyConditionExpression=Key("GSI1PK").eq(f"EMAIL#{email}"), Limit=1)["Items"]',
         'found = TABLE.scan(FilterExpression=Key("GSI1PK").eq(f"EMAIL#{email}"))["Items"]'),
        (TRANSACTION, READ_THEN_WRITE)),
    NO_EXISTENCE_CHECK, UNSIGNED_TOKEN, ALLOW_UNKNOWN,
])
SUBTLE_SCORES = {**{c: 0 for c in CHECKS}, "check_2_1": 1, "check_2_2": 1, "check_3_1": 1, "check_4_1": 1, "check_5_1": 1}

# Mistakes the visible checks catch, with tasks 1 and 2's hidden checks still earned (partial credit).
VISIBLE = dict([
    ("task1_solution", SOLVED["task1_solution"]),
    edited("task2_solution", ("    email = email.strip().lower()   # 대소문자만 다른 이메일도 같은 사람입니다\n", "")),
    edited("task3_solution", ('ConditionExpression="attribute_exists(PK) AND version = :expected"',
                              'ConditionExpression="attribute_exists(PK)"'),
           ('":one": 1, ":expected": version}', '":one": 1}')),
    edited("task4_solution", ('"ScanIndexForward": False, ', "")),  # oldest first
    edited("task5_solution", ('"context": TOKENS.get(token, {})}', '}')),  # no context for the function
])
VISIBLE_SCORES = {**{c: 1 for c in CHECKS}, "check_2_1": 0, "check_2_2": 0, "check_3_1": 0, "check_4_1": 0,
                  "check_5_1": 0, "check_5_2": 0}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release lab03 into a throw-away course, submit every variant, grade them in one batch."""
    course = release_in_copy(LAB, tmp_path_factory.mktemp("lab03") / "course")
    variants = {"subtle": SUBTLE, "visible": VISIBLE}
    yield grade_variants(LAB, course, variants, LIMITS)
    shutil.rmtree(course, ignore_errors=True)


def test_solution_scores_full_marks(graded):
    assert_full_marks(graded["solution"], 12)


def test_untouched_release_scores_zero_without_hanging(graded):
    assert_zero_without_hanging(graded["untouched"], CHECKS)


def test_subtle_mistakes_lose_only_the_checks_that_catch_them(graded):
    assert_scores(graded, {"subtle": SUBTLE_SCORES})
    assert graded["subtle"].score == 5
    messages = {c.grade_id: c.message for c in graded["subtle"].cells}
    # The read-then-write answer passes a duplicate sent after the first (2-2) and fails the concurrent pairs.
    assert messages["check_2_3"].startswith("같은 이메일로 동시에 보낸 두 요청"), messages["check_2_3"]
    # The Scan is seen in what DynamoDB received, not in the source.
    assert "Scan" in messages["check_1_2"], messages["check_1_2"]
    assert "400" in messages["check_4_2"], messages["check_4_2"]  # a forged token must be refused, not served


def test_visible_checks_catch_plain_mistakes_and_the_rest_earns_partial_credit(graded):
    assert_scores(graded, {"visible": VISIBLE_SCORES})
    assert graded["visible"].score == 6


def test_every_check_fails_on_some_wrong_answer():
    assert_each_check_fails_somewhere(CHECKS, SUBTLE_SCORES, VISIBLE_SCORES)
