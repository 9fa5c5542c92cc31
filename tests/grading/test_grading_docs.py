"""The instructor's docs say what the grader does (the review found them saying otherwise)."""
from __future__ import annotations

import os
import re

from grader.__main__ import build_parser
from grader.batch import default_jobs
from grader.config import ROOT

DOCS = [ROOT / "README.md", ROOT / "docs/instructor/index.md", ROOT / "docs/instructor/grading.md"]


def test_every_page_gives_the_default_number_of_jobs_the_code_uses(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert default_jobs() == 6  # 1.5 per core
    for page in DOCS:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"코어 수만큼", text), page
    assert "1.5배" in (ROOT / "README.md").read_text(encoding="utf-8")
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert "1.5배" in sub.choices["autograde"].format_help()


def test_the_commands_the_grader_has_are_documented():
    text = (ROOT / "docs/instructor/grading.md").read_text(encoding="utf-8")
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        assert f"./course grade {name}" in text, name
    assert "--partial" in text and "metadata.course.lab" in text
