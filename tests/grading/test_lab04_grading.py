"""lab04 through nbgrader end to end: full marks, zero, partial credit, and every check failing on a wrong answer.

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

LAB = "lab04"
CHECKS = ["check_1_1", "check_1_2", "check_1_3", "check_2_1", "check_2_2", "check_2_3",
          "check_3_1", "check_3_2", "check_4_1", "check_4_2", "check_4_3"]
LIMITS = Limits(cell_timeout=40, notebook_timeout=150)
SOLVED = solution_answers(LAB)


edited = functools.partial(edit, SOLVED)


wrong = functools.partial(with_edits, SOLVED)


NAIVE_PROJECTOR = '''    item = READ_MODEL.get_item(Key={"id": stored["aggregateId"]}).get("Item")
    new = apply(to_state(item), stored)
    READ_MODEL.put_item(Item={"id": new["accountId"], "owner": new["owner"], "balance": new["balance"],
                              "version": new["version"]})
'''

# An append without its condition (two commands that read the same version both "succeed", one
# event overwrites the other); a projector that applies whatever comes (a republished event is
# counted again, and the replay then disagrees with the corrupted live model); a watermark that
# counts without an idempotency key (a duplicate SNS delivery is counted twice).
SUBTLE_1 = wrong(
    edited("task1_solution", ('EVENTS.put_item(Item=item, ConditionExpression="attribute_not_exists(version)")',
                              "EVENTS.put_item(Item=item)")),
    ("task2_projector", SOLVED["task2_projector"][:SOLVED["task2_projector"].index("    item = READ_MODEL")] + NAIVE_PROJECTOR),
    edited("task4_watermark", ('"ConditionExpression": "attribute_not_exists(id)", ', "")),
)
SUBTLE_1_SCORES = {"check_1_1": 1, "check_1_2": 1, "check_1_3": 0, "check_2_1": 1, "check_2_2": 0, "check_2_3": 1,
                   "check_3_1": 0, "check_3_2": 0, "check_4_1": 1, "check_4_2": 0, "check_4_3": 1}

# A "replay" that copies the live read model instead of applying the store's events: it equals the
# live model whenever the projection has caught up, and is stale when it has not (hidden test 3-2).
COPY_LIVE = edited("task3_solution", (
    SOLVED["task3_solution"][SOLVED["task3_solution"].index("    states = {}\n"):],
    "    live = es.items(cloud, \"lab04-accounts\")\n"
    "    for item in live:\n        table.put_item(Item=item)\n    return len(live)\n"))

# isinstance(amount, int) lets JSON true through as 1 won; a conflict answered with 409 at once (no
# retry: the second of two concurrent deposits is refused); a history that answers 200 [] for an
# account that does not exist; a thumbnail handler that lets one bad image fail the whole batch
# (the good image of the batch is made again and both messages end in the DLQ); the replay above.
SUBTLE_2 = wrong(
    COPY_LIVE,
    edited("task1_solution", ("if type(amount) is not int or amount <= 0:", "if not isinstance(amount, int) or amount <= 0:"),
           ("            continue  # 그사이 다른 명령이 이 버전을 썼습니다: 새 이벤트까지 읽고 다시 결정합니다\n",
            "            raise Rejected(409, \"다른 요청과 충돌했습니다.\")\n")),
    edited("task2_queries", ('        if not events:\n            return respond(404, {"message": f"ID가 {account_id}인 계좌가 없습니다."})\n', "")),
    edited("task4_thumbnail", (
        "        try:\n            for image in images_in(record):\n"
        "                data = S3.get_object(Bucket=image[\"bucket\"], Key=image[\"key\"])[\"Body\"].read()\n"
        "                print(f\"THUMB {image['key']}\")\n"
        "                S3.put_object(Bucket=THUMBNAILS, Key=f\"thumbs/{image['key']}\", Body=thumbnail(data),\n"
        "                              ContentType=\"image/jpeg\")\n"
        "        except Exception as error:\n"
        "            print(f\"[ERROR] 썸네일을 만들지 못했습니다({record['messageId']}): {type(error).__name__}: {error}\")\n"
        "            failures.append({\"itemIdentifier\": record[\"messageId\"]})\n",
        "        for image in images_in(record):\n"
        "            data = S3.get_object(Bucket=image[\"bucket\"], Key=image[\"key\"])[\"Body\"].read()\n"
        "            print(f\"THUMB {image['key']}\")\n"
        "            S3.put_object(Bucket=THUMBNAILS, Key=f\"thumbs/{image['key']}\", Body=thumbnail(data),\n"
        "                          ContentType=\"image/jpeg\")\n")),
)
SUBTLE_2_SCORES = {"check_1_1": 1, "check_1_2": 0, "check_1_3": 0, "check_2_1": 1, "check_2_2": 1, "check_2_3": 0,
                   "check_3_1": 1, "check_3_2": 0, "check_4_1": 1, "check_4_2": 1, "check_4_3": 0}

# A replay that keeps what the table already holds (a second replay into the same table leaves it stale).
SUBTLE_3 = wrong(edited("task3_solution", (
    "    with table.batch_writer() as batch:\n        for state in states.values():\n"
    "            batch.put_item(Item={\"id\": state[\"accountId\"], \"owner\": state[\"owner\"],\n"
    "                                 \"balance\": state[\"balance\"], \"version\": state[\"version\"]})\n",
    "    for state in states.values():\n        try:\n"
    "            table.put_item(Item={\"id\": state[\"accountId\"], \"owner\": state[\"owner\"],\n"
    "                                 \"balance\": state[\"balance\"], \"version\": state[\"version\"]},\n"
    "                           ConditionExpression=\"attribute_not_exists(id)\")\n"
    "        except table.meta.client.exceptions.ConditionalCheckFailedException:\n"
    "            pass  # 이미 있는 계좌는 그대로 둡니다\n")))
SUBTLE_3_SCORES = {**{c: 1 for c in CHECKS}, "check_3_2": 0}

# Mistakes the visible checks catch: the balance answered from the state before the new event, the
# read model's keys shown as stored ("id" for "accountId"), a replay that forgets its count, a
# thumbnail stretched to 128x128.
VISIBLE = wrong(
    edited("task1_solution", ('        return version, apply(account, {"aggregateId": account_id, "version": version, "type": kind, "data": data})',
                              "        return version, account")),
    edited("task2_queries", ('    return respond(200, {"accountId": item["id"], "owner": item["owner"], "balance": item["balance"],\n'
                             '                         "version": item["version"]})', "    return respond(200, item)")),
    edited("task3_solution", ("    return len(states)\n", "")),
    edited("task4_thumbnail", ("        picture.thumbnail(SIZE)\n", "        picture = picture.resize(SIZE)\n")),
)
VISIBLE_SCORES = {"check_1_1": 0, "check_1_2": 0, "check_1_3": 0, "check_2_1": 0, "check_2_2": 1, "check_2_3": 1,
                  "check_3_1": 0, "check_3_2": 1, "check_4_1": 0, "check_4_2": 1, "check_4_3": 1}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release lab04 into a throw-away course, submit every variant, grade them in one batch."""
    course = release_in_copy(LAB, tmp_path_factory.mktemp("lab04") / "course")
    variants = {"subtle-1": SUBTLE_1, "subtle-2": SUBTLE_2, "subtle-3": SUBTLE_3, "visible": VISIBLE}
    yield grade_variants(LAB, course, variants, LIMITS)
    shutil.rmtree(course, ignore_errors=True)


def test_solution_scores_full_marks(graded):
    assert_full_marks(graded["solution"], 11)


def test_neither_the_solution_nor_the_release_is_flagged_for_the_instructor(graded):
    # The release's own code in an answer cell (task 3 once reloaded accounts.py with importlib there;
    # sys.modules is as suspicious) must not flag every submission as one that reads or fakes the tests.
    for name in ("solution", "untouched", "subtle-3"):
        assert not [n for n in graded[name].notes if n.code in {"inspects_frames", "suspicious_code"}], (name, graded[name].notes)


def test_untouched_release_scores_zero_without_hanging(graded):
    assert_zero_without_hanging(graded["untouched"], CHECKS)


def test_a_partial_answer_gets_partial_credit(graded):
    # Everything right but a replay that keeps stale items: the points of the checks that pass.
    assert graded["subtle-3"].score == 10, explained(graded["subtle-3"])


def test_subtle_mistakes_lose_only_the_hidden_checks_that_catch_them(graded):
    assert_scores(graded, {"subtle-1": SUBTLE_1_SCORES, "subtle-2": SUBTLE_2_SCORES, "subtle-3": SUBTLE_3_SCORES})


def test_visible_checks_catch_plain_mistakes(graded):
    assert_scores(graded, {"visible": VISIBLE_SCORES})


def test_every_check_fails_on_some_wrong_answer():
    assert_each_check_fails_somewhere(CHECKS, SUBTLE_1_SCORES, SUBTLE_2_SCORES, SUBTLE_3_SCORES, VISIBLE_SCORES)
