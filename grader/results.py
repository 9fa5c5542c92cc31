"""Grading results: one JSON file per student and lab, written atomically as each grade finishes.

The gradebook holds the scores nbgrader's tools read; these files add what feedback needs (the
check's own message, notes about what happened) and the fingerprint that tells whether a
submission has to be graded again.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .config import WORK_DIR

# Bump when grading itself changes in a way that can change a score: every grade is redone.
PIPELINE_VERSION = "2"  # 2: feedback messages are course-written text only (grader.check_messages)

GRADED, REJECTED, ERROR = "graded", "rejected", "error"
# How a learner's lab stands, in the words `status` and `export` both use.
STATUS_TEXT = {GRADED: "채점됨", REJECTED: "채점 불가(0점)", ERROR: "채점기 오류"}
NOT_GRADED_TEXT = "채점 전"        # submitted, no grade yet
NOT_SUBMITTED_TEXT = "미제출"
MANUAL_PENDING_TEXT = "강사 채점 대기"  # graded automatically, a written answer still waits for its score


@dataclass
class Note:
    """Something the learner (and instructor) should know about how the submission was graded."""

    code: str   # stable, for tests and tools: "cell_timeout", "duplicated_cells", ...
    text: str   # Korean, safe to show the learner


@dataclass
class CellResult:
    grade_id: str
    label: str               # the check's name, e.g. "1-1 버킷 만들기"
    points: float
    score: float | None      # None: waits for manual grading
    hidden: bool
    status: str              # passed, failed, partial, timeout, kernel_died, not_run, manual, rejected
    message: str = ""        # Korean, safe to show the learner: never hidden test source
    kind: str = "test"       # test (a check cell) or answer (the learner's written answer, graded by hand)
    notebook: str = ""       # the lab's notebook the cell is in (a lab may hold several); "" in older results


@dataclass
class Outcome:
    lab: str
    student: str
    status: str                      # graded, rejected (the file could not be graded), error (ours)
    score: float = 0.0
    max_score: float = 0.0
    cells: list[CellResult] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    fingerprint: str = ""
    seconds: float = 0.0
    backend: str = ""
    flagged: bool = False            # needs a look from the instructor
    timestamp: str | None = None     # when the student submitted
    gradebook: dict = field(default_factory=dict)  # notebook -> {grades, late_penalty}: for the merge
    error: str = ""                  # for the instructor only
    attempts: int = 0                # grader errors in a row on this same submission (status error)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_dict(cls, data: dict) -> "Outcome":
        data = dict(data)
        data["cells"] = [CellResult(**c) for c in data.get("cells", [])]
        data["notes"] = [Note(**n) for n in data.get("notes", [])]
        return cls(**data)


def _hash_tree(h: "hashlib._Hash", folder: Path, skip_notebooks: bool = False) -> None:
    if not folder.is_dir():
        return
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        if skip_notebooks and path.suffix == ".ipynb":
            continue
        h.update(str(path.relative_to(folder)).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())


def fingerprint(submission: Path, source: Path, limits: dict) -> str:
    """What a grade depends on: the submitted files, the lab's source, the limits, the pipeline."""
    h = hashlib.sha256(PIPELINE_VERSION.encode())
    h.update(json.dumps(limits, sort_keys=True).encode())
    _hash_tree(h, source)
    h.update(b"--submission--")
    _hash_tree(h, submission)
    return h.hexdigest()


class ResultStore:
    """`grader/work/results/<lab>/<student>.json` under a course root."""

    def __init__(self, root: Path):
        self.dir = Path(root) / WORK_DIR / "results"

    def path(self, lab: str, student: str) -> Path:
        return self.dir / lab / f"{student}.json"

    def load(self, lab: str, student: str) -> Outcome | None:
        path = self.path(lab, student)
        try:
            return Outcome.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None  # missing or half-written by an older crash: grade again

    def save(self, outcome: Outcome) -> Path:
        """Write atomically: a crash leaves the old file or the new one, never half of one."""
        path = self.path(outcome.lab, outcome.student)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(outcome.to_json())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return path

    def all(self, lab: str) -> list[Outcome]:
        folder = self.dir / lab
        out = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            outcome = self.load(lab, path.stem)
            if outcome:
                out.append(outcome)
        return out
