"""lab02 through nbgrader end to end: full marks, zero, partial credit, and every check failing on a wrong answer.

lab02 is two notebooks of one lab (lab02-1: tasks 1-4, lab02-2: tasks 5-8). Each submission hands
in both, one, or the wrong one, as students do; the lab's score is the two notebooks' sum, a
missing notebook scores 0 with a note, and the feedback and export show both. The lab measures cold starts on the offline cloud (subprocess and snapshot isolation), so each
submission really starts handler processes; all variants are graded in one parallel batch. Wrong
answers are the instructor's solution with a small edit, each a mistake learners make (see the
instructor guide's lab02 section). The checks compare measured figures with each other (warm <
cold, restore < init), never with numbers written down, so they hold on a slow machine too.
"""
from __future__ import annotations

import csv
import functools
import shutil

import nbformat
import pytest

from grader.config import ROOT, Limits
from grader.release import release_in_copy

from .helpers import (answered, assert_each_check_fails_somewhere, assert_scores,
                      assert_zero_without_hanging, edit, explained, grade_all, scores, solution_answers)

LAB = "lab02"
FIRST, SECOND = "lab02-1", "lab02-2"
NOTEBOOKS = (FIRST, SECOND)
SOLUTION = {name: ROOT / "solutions" / LAB / f"{name}.ipynb" for name in NOTEBOOKS}
IN_FIRST = ["check_1_1", "check_1_2", "check_1_3", "check_2_1", "check_2_2", "check_2_3", "check_2_4", "check_2_5",
            "check_3_1", "check_3_2", "check_3_3", "check_3_4", "check_4_1", "check_4_2"]
IN_SECOND = ["check_5_1", "check_5_2", "check_6_1", "check_6_2", "check_6_3", "check_7_1", "check_7_2",
             "check_8_1", "check_8_2"]
CHECKS = IN_FIRST + IN_SECOND
# Process isolation starts interpreters: a cold start takes 0.1-1.5 s on this machine under load.
LIMITS = Limits(cell_timeout=90, notebook_timeout=400)
SOLVED = {**solution_answers(LAB, FIRST), **solution_answers(LAB, SECOND)}


edited = functools.partial(edit, SOLVED)


def everything(*edits: tuple[str, str]) -> dict[str, str]:
    """All of the solution, with `edits` in place of the tasks they name."""
    return {**SOLVED, **dict(edits)}


# Mistakes every visible check passes; only a hidden check sees them.
SUBTLE_1 = everything(
    # Assumes every REPORT line ends with a tab (the offline cloud's do; lines copied from CloudWatch may not).
    edited("task1_solution", ('for part in line.split("\\t"):', 'for part in line.split("\\t")[:-1]:')),
    # Skips "the first line" as the header: a warning printed before it breaks the parse.
    edited("task2_solution", ('    for line in text.splitlines():\n        if not line.startswith("import time:"):\n            continue\n',
                              '    for line in text.splitlines()[1:]:\n'),
                             ('        if cumulative.strip().isdigit():\n            times[name.strip()] = int(cumulative)',
                              '        times[name.strip()] = int(cumulative)')),
    # The client is lazy, but the secret is read again on every call (no cache).
    edited("task2_lazy", ("    if _secret is None:\n        _secret = secrets_client()",
                          "    if True:\n        _secret = secrets_client()")),
    # Sends the burst to $LATEST whatever the qualifier.
    edited("task3_solution", ('cloud.invoke(name, {"seconds": seconds}, qualifier=qualifier)',
                              'cloud.invoke(name, {"seconds": seconds})')),
    # The scaling range written in, not taken from the arguments.
    edited("task4_solution", ("MinCapacity=low, MaxCapacity=high)", "MinCapacity=low, MaxCapacity=6)")),
    # A new INSTANCE_ID after restore, but the random generator keeps the snapshot's state.
    edited("task6_hook", ("    RNG.seed()                      # 운영 체제의 난수로 시드를 다시 정합니다\n", "")),
    # The users' requests go to $LATEST, not to the alias that has the provisioned concurrency.
    edited("task7_solution", ("load.burst(cloud, name, users, USER, qualifier)", "load.burst(cloud, name, users, USER)")),
)
# The uncached secret is also seen by the visible check 2-5 (no staleness after a rotation).
SUBTLE_1_SCORES = {"check_1_1": 1, "check_1_2": 0, "check_1_3": 1, "check_2_1": 1, "check_2_2": 0, "check_2_3": 1,
                   "check_2_4": 0, "check_2_5": 0, "check_3_1": 1, "check_3_2": 1, "check_3_3": 0, "check_3_4": 1,
                   "check_4_1": 1, "check_4_2": 0,
                   "check_5_1": 1, "check_5_2": 1, "check_6_1": 1, "check_6_2": 1, "check_6_3": 0, "check_7_1": 1,
                   "check_7_2": 0, "check_8_1": 1, "check_8_2": 1}

SUBTLE_2 = everything(
    # The cold start's cost without its INIT: the caller waited for both.
    edited("task1_solution", ('cold = [r["init"] + r["duration"] for r', 'cold = [r["duration"] for r')),
    # Lazy, but nothing kept: a new client and a new GetSecretValue on every call.
    edited("task2_lazy", ("    if _client is None:\n        import boto3", "    if True:\n        import boto3"),
           ("    if _secret is None:\n        _secret = secrets_client()", "    if True:\n        _secret = secrets_client()")),
    # Throttling escapes the thread pool instead of being counted: the visible check 3-2 now sees it too.
    edited("task3_solution", ("        except TooManyRequestsException as exc:  # 예약된 동시성을 넘은 동기 호출: 429\n            return exc\n",
                              "        finally:\n            pass\n")),
    # A fresh ID on every call: unique, but no longer the environment's ID.
    edited("task6_hook", ("    global INSTANCE_ID\n    INSTANCE_ID = uuid.uuid4().hex  # 실행 환경마다 새 ID\n", ""),
           ('return {"instance": INSTANCE_ID,', 'return {"instance": uuid.uuid4().hex,')),
    # Billed by the unrounded duration: right for whole milliseconds only.
    edited("task5_solution", ("math.ceil(duration_ms) / 1000", "duration_ms / 1000")),
    # No minimum keep-alive: an app invoked every minute gets a window of 0 minutes.
    edited("task8_solution", ("return prewarm, max(1, end - prewarm)", "return prewarm, end - prewarm")),
)
SUBTLE_2_SCORES = {"check_1_1": 1, "check_1_2": 1, "check_1_3": 0, "check_2_1": 1, "check_2_2": 1, "check_2_3": 1,
                   "check_2_4": 0, "check_2_5": 0, "check_3_1": 1, "check_3_2": 0, "check_3_3": 1, "check_3_4": 0,
                   "check_4_1": 1, "check_4_2": 1,
                   "check_5_1": 1, "check_5_2": 0, "check_6_1": 1, "check_6_2": 1, "check_6_3": 0, "check_7_1": 1,
                   "check_7_2": 1, "check_8_1": 1, "check_8_2": 0}

# Mistakes the visible checks catch.
EAGER_AS_LAZY = SOLVED["task2_lazy"].replace("import os\n", "import os\n\nimport boto3\n\nCLIENT = boto3.client(\"secretsmanager\")\n", 1)
VISIBLE = everything(
    edited("task1_solution", ("        if n == idle_after:\n            idle()", "        if False:\n            idle()")),  # never idle
    edited("task2_solution", ("times[name.strip()] = int(cumulative)", "times[name] = int(cumulative)")),  # names keep their indent
    ("task2_lazy", EAGER_AS_LAZY),  # boto3 and a client at init: the ping path pays for them
    edited("task3_solution", ("    with ThreadPoolExecutor(max_workers=n) as pool:\n        return list(pool.map(one, range(n)))",
                              "    return [one(i) for i in range(n)]")),  # one after the other
    edited("task4_solution", ('"TargetValue": target,', '"TargetValue": target * 100,')),  # 70 %, read as 70
    edited("task5_solution", ("memory_mb / 1024", "memory_mb / 1000")),  # a GB of 1,000 MB
    edited("task6_solution", ("        idle()\n", "")),  # the second and third calls are warm
    edited("task7_solution", ("if warm_every and minute % warm_every == 0:", "if warm_every:")),  # pings every minute
    edited("task8_solution", ("math.floor(histogram.percentile(5) * 0.9)", "histogram.percentile(5) * 0.9"),
           ("math.ceil(histogram.percentile(99) * 1.1)", "histogram.percentile(99) * 1.1")),  # floats, not minutes
)
VISIBLE_SCORES = {"check_1_1": 0, "check_1_2": 1, "check_1_3": 0, "check_2_1": 0, "check_2_2": 0, "check_2_3": 0,
                  "check_2_4": 0, "check_2_5": 1, "check_3_1": 0, "check_3_2": 0, "check_3_3": 0, "check_3_4": 0,
                  "check_4_1": 0, "check_4_2": 0,
                  "check_5_1": 0, "check_5_2": 0, "check_6_1": 0, "check_6_2": 0, "check_6_3": 1, "check_7_1": 0,
                  "check_7_2": 0, "check_8_1": 0, "check_8_2": 0}

FIRST_THREE = {k: v for k, v in SOLVED.items() if k in ("task1_solution", "task2_solution", "task2_lazy", "task3_solution")}


def both(course, answers: dict[str, str]) -> dict[str, nbformat.NotebookNode]:
    """Both notebooks of the release with `answers` typed in."""
    return {name: answered(course, answers, LAB, name) for name in NOTEBOOKS}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = release_in_copy(LAB, tmp_path_factory.mktemp("lab02") / "course")
    yield course
    shutil.rmtree(course, ignore_errors=True)


@pytest.fixture(scope="module")
def graded(course):
    """Submit every variant of lab02 (both notebooks, one, the wrong one) and grade them in one batch."""
    submissions = {
        "solution": {name: nbformat.read(SOLUTION[name], as_version=4) for name in NOTEBOOKS},
        "untouched": {name: nbformat.read(course / "labs" / LAB / f"{name}.ipynb", as_version=4) for name in NOTEBOOKS},
        # Tasks 1-3 solved, and only lab02-1 handed in: lab02-2 is missing.
        "first-three": {FIRST: answered(course, FIRST_THREE, LAB, FIRST)},
        "subtle-1": both(course, SUBTLE_1),
        "subtle-2": both(course, SUBTLE_2),
        "visible": both(course, VISIBLE),
        # The solved lab02-2 handed in as lab02-1 (and nothing as lab02-2).
        "swapped": {FIRST: nbformat.read(SOLUTION[SECOND], as_version=4)},
    }
    return grade_all(LAB, course, submissions, LIMITS)


def test_solution_scores_full_marks(graded):
    outcome = graded["solution"]
    assert outcome.max_score == len(CHECKS)
    assert outcome.score == len(CHECKS), explained(outcome)


def test_untouched_release_scores_zero_without_hanging(graded):
    assert_zero_without_hanging(graded["untouched"], CHECKS)


def test_first_three_tasks_solved_earn_exactly_their_points(graded):
    got = scores(graded["first-three"])
    assert got == {c: (1 if c[6] in "123" else 0) for c in CHECKS}, explained(graded["first-three"])


def test_a_missing_notebook_scores_zero_with_a_note_and_the_other_is_graded(graded):
    outcome = graded["first-three"]
    assert outcome.status == "graded" and outcome.max_score == len(CHECKS)
    second = [c for c in outcome.cells if c.notebook == SECOND]
    assert sorted(c.grade_id for c in second) == sorted(IN_SECOND)
    assert all(c.score == 0 and c.status == "missing" and "lab02-2.ipynb를 제출하지 않았습니다" in c.message for c in second)
    assert {c.notebook for c in outcome.cells if c.grade_id in IN_FIRST} == {FIRST}
    notes = [n.text for n in outcome.notes if n.code == "missing_notebook"]
    assert notes == ["lab02-2.ipynb를 제출하지 않아 그 노트북의 문항은 0점입니다. 나머지 노트북(lab02-1.ipynb)은 채점했습니다."], outcome.notes


def test_the_wrong_notebook_of_the_lab_is_refused_with_the_expected_names(graded):
    outcome = graded["swapped"]
    assert outcome.status == "rejected" and outcome.score == 0
    note = next(n.text for n in outcome.notes if n.code == "wrong_notebook")
    assert note.startswith("lab02-1.ipynb 자리에 낸 파일이 lab02의 다른 노트북인 lab02-2.ipynb(")
    assert "lab02에는 노트북이 2개 있습니다: lab02-1.ipynb와 lab02-2.ipynb." in note


def test_feedback_shows_each_notebook_with_its_subtotal(graded, course):
    from grader.feedback import write_feedback

    written = write_feedback(LAB, course, ["first-three", "solution"])
    folder = course / "grader" / "work" / "feedback" / "first-three" / LAB
    assert {p.name for p in written if p.parent == folder} == {"lab02-1.html", "lab02-2.html"}  # one per notebook, for nbgrader
    md = (folder / "feedback.md").read_text(encoding="utf-8")
    assert f"**{graded['first-three'].score:g} / {len(CHECKS)}점**" in md
    assert f"## lab02-1.ipynb ({graded['first-three'].score:g} / {len(IN_FIRST)}점)" in md
    assert f"## lab02-2.ipynb (0 / {len(IN_SECOND)}점)" in md and "| 미제출 |" in md
    html = (folder / "lab02-2.html").read_text(encoding="utf-8")
    assert "<h2>lab02-1.ipynb" in html and "<h2>lab02-2.ipynb" in html


def test_export_totals_the_lab_over_both_notebooks(graded, course, tmp_path):
    from grader.export import export

    grades_csv, questions_csv = export(tmp_path, course, [LAB], partial=True)
    rows = {r["student_id"]: r for r in csv.DictReader(grades_csv.open(encoding="utf-8-sig"))}
    assert float(rows["solution"]["score"]) == float(rows["solution"]["max_score"]) == len(CHECKS)
    assert float(rows["first-three"]["score"]) == graded["first-three"].score
    per_notebook: dict[str, float] = {}
    for r in csv.DictReader(questions_csv.open(encoding="utf-8-sig")):
        if r["student_id"] == "solution":
            per_notebook[r["notebook"]] = per_notebook.get(r["notebook"], 0) + float(r["score"])
    assert per_notebook == {FIRST: len(IN_FIRST), SECOND: len(IN_SECOND)}


def test_subtle_mistakes_lose_only_the_hidden_checks_that_catch_them(graded):
    assert_scores(graded, {"subtle-1": SUBTLE_1_SCORES, "subtle-2": SUBTLE_2_SCORES})


def test_visible_checks_catch_plain_mistakes(graded):
    assert_scores(graded, {"visible": VISIBLE_SCORES})


def test_every_check_fails_on_some_wrong_answer():
    assert_each_check_fails_somewhere(CHECKS, SUBTLE_1_SCORES, SUBTLE_2_SCORES, VISIBLE_SCORES)
