"""A submission's final standing: automatic scores + the instructor's manual scores − late penalty.

`status`, the feedback and the export all show this one view, so they cannot disagree.
`sync` writes it into the gradebook (manual scores, due date, penalty) for nbgrader's tools.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from .gradebook import exists
from .late import Lateness, Policy, assess, gradebook_time, load_policy, submitted_at
from .manual import ManualStore, adopt_gradebook_scores, gradebook, valid_scores, write_to_gradebook
from .results import ERROR, CellResult, Outcome, ResultStore

# Statuses a manual score gives a cell (grader.feedback.STATUS has their Korean names).
HAND_GRADED, WAITING = "hand_graded", "manual"


@dataclass
class Standing:
    outcome: Outcome                      # cells with the manual scores applied
    raw: float                            # automatic + manual
    lateness: Lateness
    pending: list[CellResult] = field(default_factory=list)  # answers still waiting for the instructor

    @property
    def penalty(self) -> float:
        return self.lateness.penalty

    @property
    def score(self) -> float:
        return max(0.0, self.raw - self.penalty)

    @property
    def max_score(self) -> float:
        return self.outcome.max_score


def standing(root: Path, outcome: Outcome, policy: Policy | None = None) -> Standing:
    """`outcome` as the learner should see it now."""
    policy = policy or load_policy(root)
    view = copy.deepcopy(outcome)
    manual = valid_scores(root, outcome.lab, outcome.student) if outcome.status != ERROR else {}
    pending = []
    for cell in view.cells:
        entry = manual.get(cell.grade_id)
        if entry is not None:
            cell.score, cell.status, cell.message = entry.score, HAND_GRADED, entry.comment
        elif cell.score is None:
            cell.status = WAITING
            pending.append(cell)
    view.score = raw = sum(c.score or 0 for c in view.cells)
    when = submitted_at(root, outcome.lab, outcome.student, outcome.timestamp, policy.tz)
    lateness = assess(policy, outcome.lab, when, raw, view.max_score)
    return Standing(view, raw, lateness, pending)


def _touched(gb, lab: str) -> set[str]:
    """Students whose gradebook entry of `lab` has a manual score or a late penalty: one query each."""
    from nbgrader.api import Assignment, Grade, Student, SubmittedAssignment, SubmittedNotebook

    base = (gb.db.query(Student.id).join(SubmittedAssignment, SubmittedAssignment.student_id == Student.id)
            .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id).filter(Assignment.name == lab)
            .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id))
    manual = base.join(Grade, Grade.notebook_id == SubmittedNotebook.id).filter(Grade.manual_score.isnot(None))
    late = base.filter(SubmittedNotebook.late_submission_penalty > 0)
    return {row[0] for row in manual.distinct()} | {row[0] for row in late.distinct()}


def sync(root: Path, lab: str, students: list[str] | None = None, *, adopt: bool = True) -> None:
    """Bring the gradebook in line with the course: due date, manual scores, late penalty.

    Only students with something to write are visited (a manual score in the course's store or
    the gradebook, a penalty now or before), so a class without manual scores or due dates
    costs two queries. `adopt=False` when the caller already took over formgrader's scores
    (before a new grade replaced the notebook they were given for).
    """
    from nbgrader.api import MissingEntry

    policy = load_policy(root)
    store = ResultStore(root)
    if not exists(root):
        return  # nothing released yet: do not leave an empty gradebook behind
    with gradebook(root) as gb:
        try:
            assignment = gb.find_assignment(lab)
        except MissingEntry:
            return
        due = gradebook_time(policy.due_for(lab))
        if assignment.duedate != due:
            assignment.duedate = due
            gb.db.commit()
        candidates = _touched(gb, lab) | {p.stem for p in (ManualStore(root).dir / lab).glob("*.json")}
        if due is not None and policy.method != "none":
            candidates |= {o.student for o in store.all(lab)}
        for student in sorted(candidates & set(students) if students else candidates):
            outcome = store.load(lab, student)
            if outcome is None or outcome.status == ERROR:
                continue
            try:
                sub = gb.find_submission(lab, student)
            except MissingEntry:
                continue
            if adopt:
                adopt_gradebook_scores(gb, root, lab, student)
            write_to_gradebook(gb, root, lab, student)
            penalty = standing(root, outcome, policy).penalty
            for i, nb in enumerate(sub.notebooks):  # nbgrader adds the notebooks' penalties up
                nb.late_submission_penalty = penalty if i == 0 else 0.0
        gb.db.commit()


def before_batch(root: Path, lab: str) -> set[str]:
    """Take over formgrader's scores while the notebooks they were given for are still in place.

    Returns the students a finished grade must be synced for (`needs_sync`); everyone else's
    gradebook entry is already right after the merge.
    """
    from nbgrader.api import MissingEntry

    if not exists(root):
        return set()
    with gradebook(root) as gb:
        try:
            gb.find_assignment(lab)
        except MissingEntry:
            return set()
        touched = _touched(gb, lab)
        for student in sorted(touched):
            adopt_gradebook_scores(gb, root, lab, student)
    return touched


def needs_sync(root: Path, lab: str, student: str, touched: set[str], policy: Policy) -> bool:
    return (student in touched or ManualStore(root).path(lab, student).exists()
            or (policy.due_for(lab) is not None and policy.method != "none"))
