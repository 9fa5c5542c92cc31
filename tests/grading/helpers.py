"""Build submissions the way students make them: the released notebook, edited (lab00 unless told).

A lab may hold several notebooks (lab02: lab02-1, lab02-2); `notebook` names one of them and
defaults to the lab's only notebook.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from grader.config import ROOT, WORK_DIR

SOURCE = ROOT / "solutions" / "lab00" / "lab00.ipynb"
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


def notebooks_of(lab: str, root: Path = ROOT) -> list[str]:
    """The lab's notebook names (without .ipynb), from its sources."""
    return sorted(p.stem for p in (root / "solutions" / lab).glob("*.ipynb"))


def only_notebook(lab: str, notebook: str | None = None) -> str:
    """`notebook`, or the lab's single notebook (a lab of several must name one)."""
    if notebook:
        return notebook
    names = notebooks_of(lab)
    assert len(names) == 1, f"{lab}에는 노트북이 {len(names)}개 있습니다({names}): notebook= 으로 하나를 고르십시오."
    return names[0]


def solution_answers(lab: str = "lab00", notebook: str | None = None) -> dict[str, str]:
    """The instructor's answers, as a student would type them (no nbgrader markers)."""
    nb = nbformat.read(ROOT / "solutions" / lab / f"{only_notebook(lab, notebook)}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: MARKER.sub("", c.source)
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def release_notebook(course: Path, lab: str = "lab00", notebook: str | None = None) -> nbformat.NotebookNode:
    return nbformat.read(course / "labs" / lab / f"{only_notebook(lab, notebook)}.ipynb", as_version=4)


def answered(course: Path, answers: dict[str, str] | None = None, lab: str = "lab00",
             notebook: str | None = None) -> nbformat.NotebookNode:
    """The release with `answers` (default: all correct) typed into the answer cells."""
    answers = solution_answers(lab, notebook) if answers is None else answers
    nb = release_notebook(course, lab, notebook)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def insert_after(nb: nbformat.NotebookNode, grade_id: str, source: str) -> nbformat.NotebookNode:
    """Add a plain code cell after the cell `grade_id`, as a student adding a cell would."""
    idx = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    nb.cells.insert(idx + 1, nbformat.v4.new_code_cell(source))
    return nb


def put(
    course: Path, student: str, content: nbformat.NotebookNode | bytes | str, name: str | None = None, lab: str = "lab00"
) -> Path:
    """Place a submission as nbgrader's collect would; `name` defaults to the lab's single notebook."""
    dest = course / "grader" / "work" / "submitted" / student / lab
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / (name or f"{only_notebook(lab)}.ipynb")
    if isinstance(content, nbformat.NotebookNode):
        nbformat.write(content, path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def partial_answers() -> dict[str, str]:
    """Task 1 right; task 2 returns bytes (both checks fail); task 3 ignores pagination and empty buckets."""
    return {
        "task1_solution": 's3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})',
        "task2_solution": (
            'GREETING = "안녕하세요, 서버리스!"\n\n'
            "def read_text(bucket, key):\n"
            '    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()\n\n'
            's3.put_object(Bucket=BUCKET, Key="hello.txt", Body=GREETING.encode("utf-8"))'
        ),
        "task3_solution": (
            'def list_keys(bucket, prefix=""):\n'
            '    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"])'
        ),
    }


PARTIAL_SCORES = {"check_1_1": 1, "check_1_2": 1, "check_2_1": 0, "check_2_2": 0,
                  "check_3_1": 1, "check_3_2": 0, "check_3_3": 0}


def _hidden_blocks(lab: str) -> list[str]:
    return [block for name in notebooks_of(lab)
            for cell in nbformat.read(ROOT / "solutions" / lab / f"{name}.ipynb", as_version=4).cells
            for block in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S)]


def hidden_test_lines(lab: str = "lab00") -> set[str]:
    """Every line of a lab's hidden tests: none may reach a student."""
    return {l.strip() for block in _hidden_blocks(lab) for l in block.splitlines() if len(l.strip()) > 8}


def hidden_test_inputs(lab: str = "lab00") -> set[str]:
    """The hidden tests' own data (string literals the release does not show), check names and messages aside."""
    import ast
    import textwrap

    release = "\n".join((ROOT / "labs" / lab / f"{name}.ipynb").read_text(encoding="utf-8") for name in notebooks_of(lab))
    found: set[str] = set()
    shown: list[str] = []  # what the course writes for the learner: its check names and messages
    for block in _hidden_blocks(lab):
        tree = ast.parse(textwrap.dedent(block))
        allowed: set[int] = set()  # constants inside check()/attempt() names and check messages
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in {"check", "attempt"}:
                for arg in node.args[:1] + node.args[2:3] * (node.func.id == "check"):
                    allowed.update(id(n) for n in ast.walk(arg))
                    shown += [n.value for n in ast.walk(arg) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in allowed:
                text = node.value.strip().splitlines()[0].strip() if node.value.strip() else ""
                if len(text) >= 6 and text not in release and json_text(text) not in release:
                    found.add(text)
    return {t for t in found if not any(t in s for s in shown)}


def json_text(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)[1:-1]


def grade_all(lab: str, course: Path, submissions: dict[str, "nbformat.NotebookNode | dict[str, nbformat.NotebookNode]"],
              limits) -> dict:
    """Submit each student's notebook (or {notebook name: notebook} for a lab of several, any of
    them left out) and grade them all in one batch: student -> outcome."""
    from grader.batch import autograde_all

    for student, nb in submissions.items():
        several = isinstance(nb, dict) and not isinstance(nb, nbformat.NotebookNode)
        for name, content in (nb.items() if several else [(only_notebook(lab), nb)]):
            put(course, student, content, f"{name}.ipynb", lab)
    report = autograde_all(lab, course, jobs=2, force=True, limits=limits, progress=False)
    outcomes = {o.student: o for o in report.graded}
    assert set(outcomes) == set(submissions), report
    for outcome in outcomes.values():
        _GRADED_FOLDER[id(outcome)] = course / WORK_DIR / "autograded" / outcome.student / lab
    return outcomes


# Where each outcome's autograded notebooks are, so `explained` can show a failing check's real output:
# the learner-safe message puts "…" where the f-string's values were (grader/check_messages.py).
_GRADED_FOLDER: dict[int, Path] = {}


def _raw_outputs(outcome, grade_id: str) -> str:
    folder = _GRADED_FOLDER.get(id(outcome))
    for path in sorted(folder.glob("*.ipynb")) if folder and folder.is_dir() else []:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
                said = [o.get("text", "") or "\n".join(o.get("traceback", [])[-3:]) for o in cell.get("outputs", [])]
                return "".join(said)[-1500:]
    return ""


def grade_variants(lab: str, course: Path, variants: dict[str, dict[str, str]], limits) -> dict:
    """The instructor's solution ("solution"), the untouched release ("untouched") and each variant's
    answers typed into the release, graded in one batch (a lab of one notebook): name -> outcome."""
    notebook = only_notebook(lab)
    submissions = {
        "solution": nbformat.read(ROOT / "solutions" / lab / f"{notebook}.ipynb", as_version=4),
        "untouched": release_notebook(course, lab),
        **{name: answered(course, answers, lab) for name, answers in variants.items()},
    }
    return grade_all(lab, course, submissions, limits)


def edit(solved: dict[str, str], task: str, *replacements: tuple[str, str]) -> tuple[str, str]:
    """The solution of `task` with each (old, new) replaced; every `old` must be there.

    A lab's grading test binds it to its solution: `edited = functools.partial(edit, SOLVED)`."""
    source = solved[task]
    for old, new in replacements:
        assert old in source, f"{task}의 풀이에 다음 코드가 없습니다: {old!r}. 이 시험의 오답을 풀이에 맞게 고치십시오."
        source = source.replace(old, new)
    return task, source


def scores(outcome) -> dict[str, float]:
    """Each graded cell's score, by grade id."""
    return {c.grade_id: c.score for c in outcome.cells}


def explained(outcome) -> str:
    """Why each check lost its point, and the grader's notes: shown when a score is not the expected one."""
    lines = [f"{c.grade_id}: {c.message}" + (f"\n    출력: {raw}" if (raw := _raw_outputs(outcome, c.grade_id)) else "")
             for c in outcome.cells if c.score != c.points]
    return "\n".join(lines + [f"note {n.code}: {n.text}" for n in outcome.notes])


# What every lab's grading test asserts on its batch (tests/grading/test_labNN_grading.py).
HANG_NOTES = {"cell_timeout", "kernel_died", "notebook_timeout"}


def with_edits(solved: dict[str, str], *edits: tuple[str, str]) -> dict[str, str]:
    """The whole solution with `edits` (from `edit`) in place of the tasks they name."""
    return {**solved, **dict(edits)}


def assert_full_marks(outcome, points: int) -> None:
    assert outcome.max_score == points
    assert outcome.score == points, explained(outcome)


def assert_zero_without_hanging(outcome, checks: list[str]) -> None:
    """The untouched release: 0 points, every check graded, and no cell ran into a limit."""
    assert outcome.score == 0, explained(outcome)
    assert sorted(scores(outcome)) == sorted(checks)
    assert not [n for n in outcome.notes if n.code in HANG_NOTES], outcome.notes


def assert_scores(graded: dict, expected: dict[str, dict[str, float]]) -> None:
    """Each variant (name -> outcome in `graded`) scored check by check as `expected` says."""
    for name, table in expected.items():
        assert scores(graded[name]) == table, f"{name}:\n{explained(graded[name])}"


def assert_each_check_fails_somewhere(checks: list[str], *tables: dict[str, float]) -> None:
    """No check that cannot fail: each scores 0 in at least one wrong answer's table."""
    never = [c for c in checks if all(t[c] != 0 for t in tables)]
    assert not never, f"어떤 오답에서도 실패하지 않는 점검: {never}"
