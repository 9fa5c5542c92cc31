"""Per-student feedback in Korean, built only from learner-safe data.

The page shows the score per question, the failing check's own message, the instructor's score
and comment on written answers, lateness, and notes on how the submission was graded. It is
made from the saved `Outcome` (messages the worker already took from error *values*) and the
course's manual scores (`grader.final.standing`), never from the executed notebook, so no hidden
test source and no traceback can reach it. nbgrader's own `generate_feedback` shows both: the
course config points its exporter here (`SafeFeedbackExporter`), so formgrader's "Generate
Feedback" button and `nbgrader generate_feedback` write this page too.

Files go where nbgrader puts feedback (`grader/work/feedback/<student>/<lab>/<notebook>.html`),
so `nbgrader release_feedback` can still hand them out through the exchange; a Markdown copy
sits beside them for an LMS comment box. The HTML page embeds the Pretendard pieces its own
text needs, so Hangul shows when the file is opened alone on a machine without a Korean font.
"""
from __future__ import annotations

import base64
import bisect
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from nbconvert.exporters import Exporter

from .config import ROOT, WORK_DIR
from .final import Standing, standing
from .late import load_policy
from .results import ERROR, Outcome, ResultStore

TEMPLATES = Path(__file__).parent / "templates"
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")
STATUS = {
    "passed": "통과", "failed": "실패", "partial": "부분 점수", "timeout": "시간 초과",
    "kernel_died": "커널 멈춤", "not_run": "실행 안 됨", "manual": "채점 대기", "hand_graded": "강사 채점",
    "blank": "답 없음", "rejected": "채점 불가", "missing": "미제출",
}
# Pretendard's own split of the font into unicode-range pieces (npm package `pretendard`).
PRETENDARD = ROOT / "node_modules" / "pretendard" / "dist" / "web" / "static"
FONT_FACE = re.compile(r"@font-face\s*\{[^}]*?font-weight:\s*400;[^}]*?"
                       r"url\(\./woff2-dynamic-subset/([^)]+\.woff2)\)[^}]*?unicode-range:\s*([^;]+);", re.S)


@dataclass
class Section:
    """The cells of one of the lab's notebooks, with their subtotal (`title` is "" for a lab of one)."""

    title: str
    cells: list
    score: float
    points: float


def sections(outcome) -> list[Section]:
    """`outcome`'s cells grouped by notebook, in the lab's order: one untitled section for a lab of one."""
    groups: dict[str, list] = {}
    for c in outcome.cells:
        groups.setdefault(getattr(c, "notebook", "") or "", []).append(c)
    if len(groups) <= 1:
        return [Section("", list(outcome.cells), 0.0, 0.0)]
    return [Section(f"{name}.ipynb", cells, sum(c.score or 0 for c in cells), sum(c.points for c in cells))
            for name, cells in groups.items()]


def kind(cell) -> str:
    if cell.kind == "answer":
        return "직접 쓴 답"
    return "숨겨진 테스트" if cell.hidden else "공개 테스트"


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.update(STATUS=STATUS, kind=kind, sections=sections)
    return env


@lru_cache(maxsize=1)
def _font_pieces() -> tuple[tuple[str, tuple[tuple[int, int], ...]], ...]:
    """(woff2 file, code point ranges) for each piece of Pretendard Regular."""
    try:
        css = (PRETENDARD / "pretendard-dynamic-subset.css").read_text(encoding="utf-8")
    except OSError:
        return ()
    pieces = []
    for name, spec in FONT_FACE.findall(css):
        ranges = []
        for part in spec.split(","):
            lo, _, hi = part.strip().removeprefix("U+").removeprefix("u+").partition("-")
            ranges.append((int(lo, 16), int(hi or lo, 16)))
        pieces.append((name, tuple(ranges)))
    return tuple(pieces)


@lru_cache(maxsize=1)
def _range_index() -> tuple[list[int], list[tuple[int, int]]]:
    """Every range of every piece, sorted by start: (starts, [(end, piece index)])."""
    ranges = sorted((lo, hi, i) for i, (_, spans) in enumerate(_font_pieces()) for lo, hi in spans)
    return [lo for lo, _, _ in ranges], [(hi, i) for _, hi, i in ranges]


@lru_cache(maxsize=None)
def _piece(name: str) -> str:
    return base64.b64encode((PRETENDARD / "woff2-dynamic-subset" / name).read_bytes()).decode("ascii")


def font_css(text: str) -> str:
    """@font-face rules embedding (as data: URLs) just the Pretendard pieces `text` uses."""
    pieces = _font_pieces()
    starts, spans = _range_index()
    wanted = set()
    for cp in {ord(ch) for ch in set(text)} | set(range(0x20, 0x7F)):
        i = bisect.bisect_right(starts, cp) - 1
        if i >= 0 and cp <= spans[i][0]:
            wanted.add(spans[i][1])
    rules = []
    for index, (name, ranges) in enumerate(pieces):
        if index not in wanted:
            continue
        data = _piece(name)
        spans = ", ".join(f"U+{lo:x}" if lo == hi else f"U+{lo:x}-{hi:x}" for lo, hi in ranges)
        rules.append(f"@font-face {{ font-family: \"Pretendard\"; font-weight: 400; font-display: block; "
                     f"src: url(data:font/woff2;base64,{data}) format(\"woff2\"); unicode-range: {spans}; }}")
    return ("/* Pretendard, SIL Open Font License 1.1 (node_modules/pretendard/dist/LICENSE.txt) */\n" + "\n".join(rules)) if rules else ""


def render(outcome: Outcome, fmt: str = "html", view: Standing | None = None, root: Path = ROOT) -> str:
    """The feedback page for `outcome` as HTML or Markdown."""
    tz = load_policy(root).tz
    view = view or standing(root, outcome)
    # The gradebook keeps UTC; the learner reads the course's clock, as the due date in the page is.
    when = view.lateness.submitted
    submitted = when.astimezone(tz).strftime("%Y-%m-%d %H:%M") if when else ""
    template = _env().get_template(f"feedback.{fmt}.j2")
    page = template.render(o=view.outcome, s=view, submitted=submitted,
                           made=datetime.now(tz).strftime("%Y-%m-%d %H:%M"), font="")
    if fmt == "html":
        # The font depends on the page's own text; the text does not depend on the font.
        page = page.replace("/*FONT*/", font_css(page), 1)
    return page


def write_feedback(lab: str, root: Path = ROOT, students: list[str] | None = None) -> list[Path]:
    """Write HTML and Markdown feedback for each graded student of `lab`; return the HTML paths."""
    from .final import sync

    sync(root, lab, students)  # take over formgrader's scores; the gradebook agrees with the page
    policy = load_policy(root)
    written = []
    for outcome in ResultStore(root).all(lab):
        if students and outcome.student not in students:
            continue
        if outcome.status == ERROR:
            continue  # nothing fair to say yet: grade it again first
        view = standing(root, outcome, policy)
        folder = Path(root) / WORK_DIR / "feedback" / outcome.student / lab
        folder.mkdir(parents=True, exist_ok=True)
        html = render(outcome, "html", view, root)
        names = list(outcome.gradebook) or [lab]
        for name in names:
            path = folder / f"{name}.html"
            path.write_text(html, encoding="utf-8")
            written.append(path)
        (folder / "feedback.md").write_text(render(outcome, "md", view, root), encoding="utf-8")
        # nbgrader's release_feedback finds the exchange submission by these two: keep them beside the page.
        for name in EXCHANGE_FILES:
            kept = Path(root) / WORK_DIR / "submitted" / outcome.student / lab / name
            if kept.exists():
                shutil.copyfile(kept, folder / name)
    return written


class SafeFeedbackExporter(Exporter):
    """nbgrader's feedback exporter replaced by the course's page (`GenerateFeedback.exporter_class`).

    nbgrader hands it the autograded notebook, hidden tests and all; it ignores the notebook and
    writes the course's feedback for that student instead, so neither formgrader's "Generate
    Feedback" nor `nbgrader generate_feedback` can put hidden tests into a learner's page.
    """

    output_mimetype = "text/html"

    def _file_extension_default(self):
        return ".html"

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = self._init_resources(resources)
        info = resources.get("nbgrader", {})
        root = Path(self.parent.coursedir.root) if getattr(self.parent, "coursedir", None) else ROOT
        lab, student = info.get("assignment"), info.get("student")
        outcome = ResultStore(root).load(lab, student)
        if outcome is None or outcome.status == ERROR:
            raise ValueError(f"{student}의 {lab} 채점 결과가 없습니다. ./course grade autograde {lab} {student} 를 먼저 실행하십시오.")
        write_feedback(lab, root, [student])
        resources["output_extension"] = ".html"
        return render(outcome, "html", root=root), resources
