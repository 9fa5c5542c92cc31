"""Release: generate the student notebooks in `labs/` from the sources in `solutions/`.

nbgrader does the generation (solutions cleared, hidden tests removed, cells locked,
checksums recorded in the gradebook); `check_release` then proves the result leaks nothing.
The release is built in a staging folder and moved into `labs/` only once every check has
passed: a failed release leaves the committed notebooks as they were.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .config import RELEASE_DIR, ROOT, SOURCE_DIR, WORK_DIR, course_config, nbgrader_api

STAGING_DIR = f"{WORK_DIR}/.release"

SOLUTION_BLOCK = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


class ReleaseError(Exception):
    """A release that would leak an answer or break grading; the message is Korean."""


def generate(lab: str, root: Path = ROOT) -> Path:
    """Run nbgrader's generate_assignment for `lab` into the staging folder; return `<staging>/<lab>`."""
    from .gradebook import check

    check(root)  # nbgrader would fail half-way, in English, on a damaged gradebook
    config = course_config(root)
    config.CourseDirectory.release_directory = STAGING_DIR
    api = nbgrader_api(root, config)
    result = api.generate_assignment(lab, force=True, create=True)
    if not result["success"]:
        # nbgrader's log ends with the real reason; the traceback above it helps nobody.
        detail = (result.get("error") or result.get("log") or "").strip().splitlines()[-3:]
        raise ReleaseError(f"{lab} 배포본을 만들지 못했습니다. labs/{lab}은 그대로 두었습니다.\n" + "\n".join(detail))
    out = Path(root) / STAGING_DIR / lab
    for nb_path in out.glob("*.ipynb"):
        _normalise(nb_path, lab)
    return out


def _swap_in(staged: Path, final: Path) -> None:
    """Replace `final` with `staged`, keeping the old folder until the new one is in place."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    try:
        shutil.move(str(staged), str(final))
    except BaseException:
        if old.exists():
            shutil.rmtree(final, ignore_errors=True)
            os.replace(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _normalise(path: Path, lab: str) -> None:
    """Stamp the lab into a released notebook and write it in nbformat's canonical form.

    The stamp (`metadata.course.lab`) lets the grader tell a notebook of another lab from a
    broken one (the labs share grade ids); the canonical form makes re-releases byte-identical.
    """
    nb = nbformat.read(path, as_version=4)
    course = nb.metadata.get("course")
    if not isinstance(course, dict):
        course = nb.metadata["course"] = {}
    course["lab"] = lab
    nbformat.write(nb, path)


@dataclass
class Leak:
    notebook: str
    cell: str
    what: str


def check_release(lab: str, root: Path = ROOT, release_dir: Path | None = None) -> list[Leak]:
    """Compare each released notebook with its source and list every problem found.

    Problems: a solution or hidden-test line that survived, an nbgrader marker left in, a
    graded cell without points, a notebook with outputs.
    """
    problems: list[Leak] = []
    src_dir = Path(root) / SOURCE_DIR / lab
    rel_dir = Path(release_dir) if release_dir else Path(root) / RELEASE_DIR / lab
    # Scores, manual grades and feedback name a cell by its grade id within the lab: in a lab of
    # several notebooks a graded id must be in one notebook only.
    graded_in: dict[str, str] = {}
    for src_path in sorted(src_dir.glob("*.ipynb")):
        for cell in nbformat.read(src_path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            gid = meta.get("grade_id")
            if meta.get("grade") and gid:
                if gid in graded_in and graded_in[gid] != src_path.name:
                    problems.append(Leak(src_path.name, gid, f"채점 셀 id가 {graded_in[gid]}에도 있습니다. 노트북마다 다른 id를 쓰십시오"))
                graded_in.setdefault(gid, src_path.name)
    for src_path in sorted(src_dir.glob("*.ipynb")):
        rel_path = rel_dir / src_path.name
        if not rel_path.exists():
            problems.append(Leak(src_path.name, "-", "배포본이 없습니다"))
            continue
        src = nbformat.read(src_path, as_version=4)
        rel = nbformat.read(rel_path, as_version=4)
        # A line is secret when it appears only inside solution or hidden-test blocks; the same
        # line in a visible cell (a checkpoint, a visible check) is public by the author's choice.
        secret_lines, public_lines = set(), set()
        for cell in src.cells:
            for block in SOLUTION_BLOCK.findall(cell.source) + HIDDEN_BLOCK.findall(cell.source):
                secret_lines.update(l.strip() for l in block.splitlines() if len(l.strip()) > 3)
            public = HIDDEN_BLOCK.sub("", SOLUTION_BLOCK.sub("", cell.source))
            public_lines.update(l.strip() for l in public.splitlines())
        secret_lines -= public_lines
        for cell in rel.cells:
            meta = cell.metadata.get("nbgrader", {})
            cell_id = meta.get("grade_id", cell.get("id", "?"))
            for line in cell.source.splitlines():
                if line.strip() in secret_lines:
                    problems.append(Leak(rel_path.name, cell_id, f"정답/숨겨진 테스트 줄이 남았습니다: {line.strip()[:60]}"))
            for marker in MARKERS:
                if marker in cell.source:
                    problems.append(Leak(rel_path.name, cell_id, f"nbgrader 표시 '{marker}'가 남았습니다"))
            if meta.get("grade") and not meta.get("points"):
                problems.append(Leak(rel_path.name, cell_id, "채점 셀에 배점이 없습니다"))
            if cell.cell_type == "code" and (cell.outputs or cell.execution_count):
                problems.append(Leak(rel_path.name, cell_id, "출력이 남아 있습니다"))
    return problems


def release(lab: str, root: Path = ROOT, *, check_solution: bool = True) -> Path:
    """Generate `lab` and refuse a release that leaks, or whose own solution loses points.

    Only a release that passed every check replaces `labs/<lab>`.
    """
    staged = generate(lab, root)
    try:
        problems = check_release(lab, root, staged)
        if problems:
            lines = "\n".join(f"  {p.notebook} [{p.cell}] {p.what}" for p in problems)
            raise ReleaseError(f"{lab} 배포본에 문제가 있습니다 (labs/{lab}은 그대로 두었습니다):\n{lines}")
        if check_solution:
            lost = check_solution_scores(lab, root, staged)
            if lost:
                what = ("가 강사 확인 표시를 받습니다. 풀이 셀에 주어진 코드가 이 표시를 부르면 모든 학생의 제출물이 같은 "
                        "표시를 받으므로, 그 코드를 잠긴 셀로 옮기십시오" if all(line.startswith(FLAG_PREFIX) for line in lost)
                        else "가 만점을 받지 못했습니다")
                raise ReleaseError(f"{lab}의 풀이(solutions/){what} (labs/{lab}은 그대로 두었습니다). "
                                   "점검이나 풀이를 고치십시오:\n" + "\n".join(f"  {line}" for line in lost))
        out = Path(root) / RELEASE_DIR / lab
        _swap_in(staged, out)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return out


FLAG_NOTES = {"suspicious_code", "inspects_frames"}  # the notes that mark a submission for the instructor
FLAG_PREFIX = "강사 확인 표시: "


def check_solution_scores(lab: str, root: Path = ROOT, release_dir: Path | None = None) -> list[str]:
    """Grade the instructor's solution through the real pipeline; list every check it fails."""
    from .autograde import autograde, submit
    from .gradebook import snapshot

    with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(Path(root) / SOURCE_DIR / lab, course / SOURCE_DIR / lab)
        shutil.copytree(Path(release_dir) if release_dir else Path(root) / RELEASE_DIR / lab, course / RELEASE_DIR / lab)
        work = course / course_config(course).CourseDirectory.submitted_directory
        work.parent.mkdir(parents=True, exist_ok=True)
        snapshot(root, work.parent / "gradebook.db", lab)
        for nb in sorted((course / SOURCE_DIR / lab).glob("*.ipynb")):
            dest = work / "solution" / lab
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(nb, dest / nb.name)
        grade = autograde(lab, "solution", course)
    # A written answer has no automatic score (score None): the instructor grades it by hand.
    lost = [f"{c.grade_id} ({c.label}): {c.score:g}/{c.points:g} {c.message}".rstrip()
            for c in grade.outcome.cells if c.score is not None and c.score != c.points]
    # The source differs from the release in its hidden tests by design: only real trouble counts.
    trouble = {"cell_timeout", "kernel_stuck", "kernel_died", "notebook_timeout", "output_truncated", "grader_error"}
    lost += [n.text for n in grade.outcome.notes if n.code in trouble]
    # A flag on the solution is a flag on every submission that keeps the given code (lab04's
    # `import importlib` in an answer cell marked the whole class "강사 확인 필요").
    lost += [f"{FLAG_PREFIX}{n.text}" for n in grade.outcome.notes if n.code in FLAG_NOTES]
    return lost


def release_in_copy(lab: str, dest: Path | None = None, *, check_solution: bool = False) -> Path:
    """Generate `lab` from the project's sources into a throw-away course tree.

    Used to compare with the committed `labs/` (drift) and to grade in tests without touching
    the project's gradebook. Returns the temporary course root.
    """
    dest = Path(dest or tempfile.mkdtemp(prefix="course-"))
    shutil.copytree(ROOT / SOURCE_DIR / lab, dest / SOURCE_DIR / lab)
    release(lab, dest, check_solution=check_solution)
    return dest
