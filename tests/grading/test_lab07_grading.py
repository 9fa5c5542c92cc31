"""lab07 through nbgrader end to end: full marks, zero, partial credit, every check failing on a wrong
answer, and the written answer scored by hand reaching the gradebook's total.

The cost functions are pure arithmetic, so the wrong answers are the instructor's solution with a
small edit, each a mistake learners make with a bill: forgetting the request charge, MB as GB
(÷ 1000), ignoring the free tier, not rounding the billed duration up to 1 ms, copying the course's
own `labkit.pricing` (it prices the Seoul file, not the `rates` the function is given), prices
typed in. All variants are graded in one batch; the manual score is given on that same batch.
"""
from __future__ import annotations

import csv
import functools
import shutil

import nbformat
import pytest

from grader.config import ROOT, Limits
from grader.release import release_in_copy

from .helpers import answered, edit, explained, grade_all, solution_answers

LAB = "lab07"
SOLUTION = ROOT / "solutions" / LAB / f"{LAB}.ipynb"
CHECKS = ["check_1_1", "check_1_2", "check_1_3", "check_2_1", "check_2_2", "check_3_1", "check_3_2",
          "check_4_1", "check_4_2", "check_5_1", "check_6_1", "check_6_2", "check_7_1", "check_7_2"]
ANSWER = "answer_8"
LIMITS = Limits(cell_timeout=60, notebook_timeout=240)
SOLVED = solution_answers(LAB)


edited = functools.partial(edit, SOLVED)


def everything(*edits: tuple[str, str]) -> dict[str, str]:
    return {**SOLVED, **dict(edits)}


def scores_of(outcome) -> dict[str, float]:
    return {c.grade_id: c.score for c in outcome.cells if c.grade_id != ANSWER}


ALL = dict.fromkeys(CHECKS, 1)

# Mistakes every visible check passes; only a hidden check sees them.
SUBTLE_1 = everything(
    # The billed duration not rounded up to 1 ms: right for whole milliseconds only.
    edited("task1_solution", ("billed_ms = math.ceil(duration_ms)", "billed_ms = duration_ms")),
    # Seoul's prices typed in instead of read from `rates`.
    edited("task2_solution", ('return requests * rates["api_gateway"][api]',
                              'return requests * (0.00000123 if api == "http" else 0.0000035)')),
    # Half a task: the count is not rounded up to whole tasks.
    edited("task3_solution", ("math.ceil(busy_vcpus / (vcpu * utilisation))", "busy_vcpus / (vcpu * utilisation)")),
    # The break-even of the default workload whatever the architecture and API asked for.
    edited("task4_solution", ("serverless_monthly_cost(requests, duration_ms, memory_mb, architecture, api, rates)",
                              "serverless_monthly_cost(requests, duration_ms, memory_mb, rates=rates)")),
    # x86_64's price for every architecture.
    edited("task6_solution", ('prices["gb_second"][architecture]', 'prices["gb_second"]["x86_64"]')),
    # INIT and the invocation rounded up each on its own (AWS rounds their sum).
    edited("task7_solution", ("math.ceil(r.duration_ms + (r.init_duration_ms or 0))",
                              "(math.ceil(r.duration_ms) + math.ceil(r.init_duration_ms or 0))")),
)
SUBTLE_1_SCORES = {**ALL, "check_1_2": 0, "check_2_2": 0, "check_3_2": 0, "check_4_2": 0, "check_6_2": 0, "check_7_2": 0}

COPIED = ('    return pricing.lambda_cost(pricing.Workload(requests, duration_ms, memory_mb, architecture),\n'
          '                               free_tier=free_tier).total\n')
SUBTLE_2 = everything(
    # The course's own function: the Seoul file's prices, not the `rates` it is given.
    ("task1_solution", SOLVED["task1_solution"].split("    prices = rates")[0] + COPIED),
    # The server's target utilisation and minimum written in, not taken from the arguments.
    edited("task3_solution", ("busy_vcpus / (vcpu * utilisation)", "busy_vcpus / (vcpu * 0.6)"),
           ("max(minimum_tasks,", "max(2,")),
    # The free tier taken off whatever free_tier says.
    edited("task7_solution", ("    if free_tier:\n        requests = max(0, requests - prices",
                              "    if True:\n        requests = max(0, requests - prices")),
)
SUBTLE_2_SCORES = {**ALL, "check_1_3": 0, "check_2_2": 0, "check_3_2": 0, "check_7_2": 0}

# The common wrong answers of a bill, one task at a time where the visible check catches them.
# ... and, in the same submission, tasks 6 and 7 not attempted (a learner who stopped after task 5).
NO_REQUEST_CHARGE = {k: v for k, v in everything(edited(
    "task1_solution", ('return requests * prices["request"] + gb_seconds', "return gb_seconds"))).items()
    if k not in ("task6_solution", "task7_solution")}
NO_REQUEST_CHARGE_SCORES = {**ALL, "check_1_1": 0, "check_1_2": 0, "check_1_3": 0, "check_4_1": 0, "check_4_2": 0,
                            "check_6_1": 0, "check_6_2": 0, "check_7_1": 0, "check_7_2": 0}
MB_AS_GB = everything(edited("task1_solution", ("memory_mb / 1024", "memory_mb / 1000")))
MB_AS_GB_SCORES = {**ALL, "check_1_1": 0, "check_1_2": 0, "check_1_3": 0, "check_4_1": 0, "check_4_2": 0, "check_6_1": 0}
VISIBLE = everything(
    edited("task1_solution", ("    if free_tier:\n", "    if False:\n")),  # the free tier ignored
    edited("task2_solution", ('return requests * rates["api_gateway"][api]',
                              'return requests / 1_000_000 * rates["api_gateway"][api]')),  # rates read as per million
    edited("task3_solution", (' + rates["load_balancer_hour"] * hours', "")),  # no load balancer
    edited("task4_solution", ("        if gap(middle) < 0:", "        if gap(middle) > 0:")),  # bisection the wrong way
    edited("task5_solution", ('        "EC2 t3.medium 1대": lambda requests, s: RATES["ec2"]["t3.medium"]["hour"] * RATES["hours_per_month"],\n', "")),
    edited("task6_solution", ("compute = cost_per_million - 1_000_000 * prices[\"request\"]", "compute = cost_per_million")),
    edited("task7_solution", ("r.duration_ms + (r.init_duration_ms or 0)", "r.duration_ms")),  # INIT not billed
)
VISIBLE_SCORES = {**ALL, "check_1_1": 0, "check_1_2": 0, "check_1_3": 0, "check_2_1": 0, "check_2_2": 0, "check_3_1": 0, "check_3_2": 0, "check_4_1": 0, "check_4_2": 0,
                  "check_5_1": 0, "check_6_1": 0, "check_6_2": 0, "check_7_1": 0, "check_7_2": 0}

ESSAY = "Lambda + HTTP API가 월 약 101달러, Fargate가 약 58달러지만 피크에 10태스크가 필요하고 운영 인력이 한 명이므로 Lambda를 고릅니다."


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release lab07 into a throw-away course, submit every variant, grade them in one batch."""
    course = release_in_copy(LAB, tmp_path_factory.mktemp("lab07") / "course")
    subtle_1 = answered(course, SUBTLE_1, LAB)
    for cell in subtle_1.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == ANSWER:
            cell.source = ESSAY
    submissions = {
        "solution": nbformat.read(SOLUTION, as_version=4),
        "untouched": nbformat.read(course / "labs" / LAB / f"{LAB}.ipynb", as_version=4),
        "subtle-1": subtle_1,  # partial credit: tasks right but for a hidden case each, and a written answer
        "subtle-2": answered(course, SUBTLE_2, LAB),
        "no-request-charge": answered(course, NO_REQUEST_CHARGE, LAB),
        "mb-as-gb": answered(course, MB_AS_GB, LAB),
        "visible": answered(course, VISIBLE, LAB),
    }
    yield course, grade_all(LAB, course, submissions, LIMITS)
    shutil.rmtree(course, ignore_errors=True)


def test_solution_scores_full_marks_on_the_autograded_part(graded):
    outcome = graded[1]["solution"]
    assert scores_of(outcome) == ALL, explained(outcome)
    answer = next(c for c in outcome.cells if c.grade_id == ANSWER)
    assert answer.score is None and answer.points == 3  # the model answer waits for the instructor too


def test_untouched_release_scores_zero(graded):
    outcome = graded[1]["untouched"]
    assert outcome.score == 0, explained(outcome)
    assert sorted(scores_of(outcome)) == sorted(CHECKS)
    answer = next(c for c in outcome.cells if c.grade_id == ANSWER)
    assert answer.score == 0 and answer.status == "blank"  # nothing written: nbgrader gives 0


def test_subtle_mistakes_lose_only_the_hidden_checks_that_catch_them(graded):
    assert scores_of(graded[1]["subtle-1"]) == SUBTLE_1_SCORES, explained(graded[1]["subtle-1"])
    assert scores_of(graded[1]["subtle-2"]) == SUBTLE_2_SCORES, explained(graded[1]["subtle-2"])


def test_the_common_wrong_bills_fail_the_checks_that_use_them(graded):
    assert scores_of(graded[1]["no-request-charge"]) == NO_REQUEST_CHARGE_SCORES, explained(graded[1]["no-request-charge"])
    assert scores_of(graded[1]["mb-as-gb"]) == MB_AS_GB_SCORES, explained(graded[1]["mb-as-gb"])
    assert scores_of(graded[1]["visible"]) == VISIBLE_SCORES, explained(graded[1]["visible"])


def test_every_check_fails_on_some_wrong_answer():
    tables = [SUBTLE_1_SCORES, SUBTLE_2_SCORES, NO_REQUEST_CHARGE_SCORES, MB_AS_GB_SCORES, VISIBLE_SCORES]
    for check in CHECKS:
        assert 0 in (t[check] for t in tables), check
    # Each hidden check fails on one of the common wrong answers or a subtle one.
    for check in ("check_1_2", "check_1_3"):
        # forgetting the request charge, MB as GB, and (in VISIBLE) the free tier ignored
        assert 0 == NO_REQUEST_CHARGE_SCORES[check] == MB_AS_GB_SCORES[check] == VISIBLE_SCORES[check], check


def test_the_written_answer_scored_by_hand_reaches_the_gradebook_total(graded, tmp_path):
    from grader.export import export
    from grader.manual import give, pending

    course, _ = graded
    waiting = {(p.student, p.grade_id): p for p in pending(course, LAB)}
    assert ("subtle-1", ANSWER) in waiting and ("solution", ANSWER) in waiting
    assert waiting[("subtle-1", ANSWER)].answer.startswith(ESSAY[:30])
    assert waiting[("subtle-1", ANSWER)].label == "서술형 문제. 아키텍처 고르기 (3점, 10분)"  # the question above it
    assert ("untouched", ANSWER) not in waiting  # a blank answer is 0, nothing to read
    give(course, LAB, "subtle-1", ANSWER, 2.5, "숫자는 맞지만 콜드 스타트 대책이 없습니다.")
    assert ("subtle-1", ANSWER) not in {(p.student, p.grade_id) for p in pending(course, LAB)}
    grades, _ = export(tmp_path, course, partial=True)
    with open(grades, encoding="utf-8-sig") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert float(rows["subtle-1"]["score"]) == 8 + 2.5  # 8 of the 14 autograded points and the hand-given 2.5
    assert float(rows["subtle-1"]["max_score"]) == 17
    assert float(rows["untouched"]["score"]) == 0
