"""Per-student feedback in Korean, built only from learner-safe data.

The page shows the score per question, the failing check's own message and notes on how the
submission was graded. It is made from the saved `Outcome` (messages the worker already took
from error *values*), never from the executed notebook, so no hidden test source and no
traceback can reach it. nbgrader's own `generate_feedback` shows both; do not use it.

Files go where nbgrader puts feedback (`grader/work/feedback/<student>/<lab>/<notebook>.html`),
so `nbgrader release_feedback` can still hand them out through the exchange; a Markdown copy
sits beside them for an LMS comment box.
"""
from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .config import ROOT, WORK_DIR
from .results import ERROR, Outcome, ResultStore

TEMPLATES = Path(__file__).parent / "templates"
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")
STATUS = {
    "passed": "통과", "failed": "실패", "partial": "부분 점수", "timeout": "시간 초과",
    "kernel_died": "커널 멈춤", "not_run": "실행 안 됨", "manual": "강사 채점", "rejected": "채점 불가",
}


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["STATUS"] = STATUS
    return env


def render(outcome: Outcome, fmt: str = "html") -> str:
    """The feedback page for `outcome` as HTML or Markdown."""
    template = _env().get_template(f"feedback.{fmt}.j2")
    return template.render(o=outcome, made=datetime.now().strftime("%Y-%m-%d %H:%M"))


def write_feedback(lab: str, root: Path = ROOT, students: list[str] | None = None) -> list[Path]:
    """Write HTML and Markdown feedback for each graded student of `lab`; return the HTML paths."""
    written = []
    for outcome in ResultStore(root).all(lab):
        if students and outcome.student not in students:
            continue
        if outcome.status == ERROR:
            continue  # nothing fair to say yet: grade it again first
        folder = Path(root) / WORK_DIR / "feedback" / outcome.student / lab
        folder.mkdir(parents=True, exist_ok=True)
        names = list(outcome.gradebook) or [lab]
        for name in names:
            path = folder / f"{name}.html"
            path.write_text(render(outcome, "html"), encoding="utf-8")
            written.append(path)
        (folder / "feedback.md").write_text(render(outcome, "md"), encoding="utf-8")
        # nbgrader's release_feedback finds the exchange submission by these two: keep them beside the page.
        for name in EXCHANGE_FILES:
            kept = Path(root) / WORK_DIR / "submitted" / outcome.student / lab / name
            if kept.exists():
                shutil.copyfile(kept, folder / name)
    return written
