"""Manual grading: scores the instructor gives by hand, kept by the course next to its results.

A manually graded answer cell (nbgrader `grade` + `solution`: a written answer) gets no
automatic score; the instructor gives one with `python -m grader score` (or in formgrader).
The course keeps each score in `grader/work/manual/<lab>/<student>.json` together with a
fingerprint of what it was given for (`basis`):

- for an answer cell, the text of that answer;
- for a score that overrides an autograded cell, all the student's answers in that notebook.

When the student resubmits and that text changes, the score no longer applies: it is dropped
and the cell waits for the instructor again. A regrade of the same submission (`--force`, other
limits, a rebuilt gradebook) keeps it. The gradebook gets a copy of every valid score (so
nbgrader's tools and the export see it); a score typed into formgrader is taken over from the
gradebook the next time any grader command looks at that student.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from labkit.korean import josa

from .config import COURSE_ID, WORK_DIR
from .hints import command
from .results import ERROR, ResultStore

AUTOGRADED_DIR = f"{WORK_DIR}/autograded"


class ManualGradeError(Exception):
    """A manual score that cannot be given; the message is Korean and says how to fix it."""


@dataclass
class ManualScore:
    notebook: str
    score: float
    comment: str = ""
    basis: str = ""       # fingerprint of the answer(s) the score was given for
    given: str = ""       # when (UTC, ISO)
    source: str = "course"  # "course" (python -m grader score) or "formgrader"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_answer(cell) -> bool:
    """A manually graded answer: graded, and written by the learner (no automatic score)."""
    meta = _nbgrader(cell)
    return bool(meta.get("grade") and meta.get("solution"))


def answer_label(nb, grade_id: str) -> str:
    """The question an answer cell answers: the first line of the cell above it, else the id.

    The answer cell itself holds the learner's text (or the stub "여기에 답을 쓰십시오."), so it
    cannot name the question; nbgrader's advice is to keep the question in its own cell.
    """
    cells = nb.cells
    for i, cell in enumerate(cells):
        if _nbgrader(cell).get("grade_id") == grade_id:
            for above in reversed(cells[:i]):
                for line in above.source.splitlines():
                    text = line.strip().lstrip("#").strip().strip("*").strip()
                    if text:
                        return text[:60]
                break
    return grade_id


def _autograded(root: Path, lab: str, student: str, notebook: str):
    path = Path(root) / AUTOGRADED_DIR / student / lab / f"{notebook}.ipynb"
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return None


def basis_of(nb, grade_id: str) -> str | None:
    """What a manual score on `grade_id` depends on, from the graded notebook `nb`."""
    if nb is None:
        return None
    answers = [c for c in nb.cells if _nbgrader(c).get("solution")]
    for cell in nb.cells:
        if _nbgrader(cell).get("grade_id") == grade_id:
            if is_answer(cell):
                return _sha(cell.source)
            return _sha("\0".join(c.source for c in answers))
    return None


def answer_text(root: Path, lab: str, student: str, notebook: str, grade_id: str) -> str | None:
    nb = _autograded(root, lab, student, notebook)
    for cell in nb.cells if nb is not None else []:
        if _nbgrader(cell).get("grade_id") == grade_id:
            return cell.source
    return None


class ManualStore:
    """`grader/work/manual/<lab>/<student>.json`: grade_id -> ManualScore."""

    def __init__(self, root: Path):
        self.dir = Path(root) / WORK_DIR / "manual"

    def path(self, lab: str, student: str) -> Path:
        return self.dir / lab / f"{student}.json"

    def load(self, lab: str, student: str) -> dict[str, ManualScore]:
        try:
            data = json.loads(self.path(lab, student).read_text(encoding="utf-8"))
            return {gid: ManualScore(**entry) for gid, entry in data.items()}
        except FileNotFoundError:
            return {}

    def save(self, lab: str, student: str, scores: dict[str, ManualScore]) -> None:
        path = self.path(lab, student)
        if not scores:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({gid: asdict(s) for gid, s in sorted(scores.items())}, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


def valid_scores(root: Path, lab: str, student: str) -> dict[str, ManualScore]:
    """The stored scores that still apply to the student's graded submission."""
    out = {}
    notebooks: dict[str, object] = {}
    for gid, entry in ManualStore(root).load(lab, student).items():
        if entry.notebook not in notebooks:
            notebooks[entry.notebook] = _autograded(root, lab, student, entry.notebook)
        if basis_of(notebooks[entry.notebook], gid) == entry.basis:
            out[gid] = entry
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def adopt_gradebook_scores(gb, root: Path, lab: str, student: str) -> None:
    """Take over manual scores typed into formgrader (in the gradebook, not yet in the course's store).

    The basis comes from the graded notebook formgrader showed, which is still the one in
    `autograded/` (a new grading replaces it only after this has run).
    """
    from nbgrader.api import MissingEntry

    try:
        sub = gb.find_submission(lab, student)
    except MissingEntry:
        return
    store = ManualStore(root)
    scores = store.load(lab, student)
    changed = False
    for nb in sub.notebooks:
        graded = None
        for g in nb.grades:
            if g.manual_score is None:
                continue
            comment = _comment(gb, g.name, nb.name, lab, student)
            kept = scores.get(g.name)
            if kept and kept.score == g.manual_score and (kept.comment == comment or comment is None):
                continue
            graded = graded if graded is not None else _autograded(root, lab, student, nb.name)
            basis = basis_of(graded, g.name)
            if basis is None:
                continue
            scores[g.name] = ManualScore(nb.name, float(g.manual_score), comment or (kept.comment if kept else ""),
                                         basis, _now(), "formgrader")
            changed = True
    if changed:
        store.save(lab, student, scores)


def _comment(gb, grade_id: str, notebook: str, lab: str, student: str) -> str | None:
    from nbgrader.api import MissingEntry

    try:
        return gb.find_comment(grade_id, notebook, lab, student).manual_comment
    except MissingEntry:
        return None


def write_to_gradebook(gb, root: Path, lab: str, student: str) -> None:
    """Drop scores whose answer changed; put the valid ones (and only those) in the gradebook."""
    from nbgrader.api import MissingEntry

    try:
        sub = gb.find_submission(lab, student)
    except MissingEntry:
        return
    store = ManualStore(root)
    stored = store.load(lab, student)
    valid = valid_scores(root, lab, student)
    if set(valid) != set(stored):
        store.save(lab, student, valid)  # the student changed these answers: the old scores are void
    for nb in sub.notebooks:
        for g in nb.grades:
            entry = valid.get(g.name)
            g.manual_score = entry.score if entry else None
            g.needs_manual_grade = entry is None and g.auto_score is None
            try:
                comment = gb.find_comment(g.name, nb.name, lab, student)
            except MissingEntry:
                comment = None
            if comment is not None:
                comment.manual_comment = entry.comment if entry and entry.comment else None
    gb.db.commit()


def give(root: Path, lab: str, student: str, grade_id: str, points: float, comment: str = "") -> ManualScore:
    """Record the instructor's score for one cell of a graded submission and copy it to the gradebook."""
    from .final import sync

    outcome = ResultStore(root).load(lab, student)
    if outcome is None or outcome.status == ERROR:
        raise ManualGradeError(f"{student}의 {josa(lab, '은')} 아직 채점되지 않았습니다. "
                               f"먼저 {command(f'autograde {lab} {student}', root)} 를 실행하십시오.")
    cell = next((c for c in outcome.cells if c.grade_id == grade_id), None)
    if cell is None:
        known = ", ".join(c.grade_id for c in outcome.cells)
        raise ManualGradeError(f"{lab}에는 채점 문항 {josa(grade_id, '이')} 없습니다. 있는 문항: {known}")
    if not 0 <= points <= cell.points:
        raise ManualGradeError(f"{josa(grade_id, '은')} {cell.points:g}점 만점입니다. 0에서 {cell.points:g} 사이의 점수를 주십시오.")
    notebook = next((name for name, rec in outcome.gradebook.items() if grade_id in rec.get("grades", {})), lab)
    basis = basis_of(_autograded(root, lab, student, notebook), grade_id)
    if basis is None:
        raise ManualGradeError(f"{student}의 채점된 노트북({AUTOGRADED_DIR}/{student}/{lab}/)이 없습니다. "
                               f"{command(f'autograde {lab} {student} --force', root)} 로 다시 채점하십시오.")
    # Scores typed into formgrader first: taken over after this one, the gradebook's old score of
    # this very cell would look like a formgrader score and replace it (a second score reverted).
    sync(root, lab, [student])
    store = ManualStore(root)
    scores = store.load(lab, student)
    scores[grade_id] = entry = ManualScore(notebook, float(points), comment.strip(), basis, _now(), "course")
    store.save(lab, student, scores)
    sync(root, lab, [student], adopt=False)
    return entry


def clear(root: Path, lab: str, student: str, grade_id: str) -> bool:
    """Remove the instructor's score for one cell (here and in the gradebook); False if there was none."""
    from nbgrader.api import MissingEntry

    from .final import sync

    if ResultStore(root).load(lab, student) is None:
        raise ManualGradeError(f"{student}의 {josa(lab, '은')} 아직 채점되지 않았습니다.")
    store = ManualStore(root)
    scores = store.load(lab, student)
    removed = scores.pop(grade_id, None) is not None
    store.save(lab, student, scores)
    with gradebook(root) as gb:  # formgrader's copy too, or the next sync would take it over again
        try:
            for nb in gb.find_submission(lab, student).notebooks:
                for g in nb.grades:
                    if g.name == grade_id and g.manual_score is not None:
                        g.manual_score, removed = None, True
            gb.db.commit()
        except MissingEntry:
            pass
    sync(root, lab, [student], adopt=False)
    return removed


@dataclass
class Pending:
    student: str
    grade_id: str
    label: str
    points: float
    answer: str


def pending(root: Path, lab: str) -> list[Pending]:
    """Every answer that has no automatic score and no valid manual score yet."""
    from .final import standing, sync

    sync(root, lab)  # scores typed into formgrader count as given
    out = []
    for outcome in ResultStore(root).all(lab):
        if outcome.status == ERROR:
            continue
        view = standing(root, outcome)
        for cell in view.pending:
            notebook = next((n for n, rec in outcome.gradebook.items() if cell.grade_id in rec.get("grades", {})), lab)
            text = answer_text(root, lab, outcome.student, notebook, cell.grade_id) or ""
            out.append(Pending(outcome.student, cell.grade_id, cell.label, cell.points, text))
    return out


def gradebook(root: Path):
    """The course gradebook (nbgrader's), for the functions above; database errors in Korean."""
    from .gradebook import opened

    return opened(root, verify=False)

