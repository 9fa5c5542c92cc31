"""The feedback pages read well where students open them: Markdown in a strict renderer, HTML alone.

Python-Markdown (installed with mkdocs) needs a blank line before a table and between
paragraphs; the HTML page must draw Hangul with no Korean font on the machine, opened from an
LMS as a single file with no network.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import markdown
import pytest

from grader.feedback import font_css, render
from grader.results import CellResult, Note, Outcome
from workshop.browser_checks import CHROMIUM, CHROMIUM_ARGS, chromium_missing_reason, hangul_boxes



def outcome(notes: bool) -> Outcome:
    cells = [
        CellResult("check_1_1", "1-1 버킷 만들기", 1, 1, False, "passed"),
        CellResult("check_2_2", "2-2 다른 객체 읽기", 1, 0, True, "failed",
                   "다른 버킷, 한글과 공백이 든 키, 여러 줄의 내용도 그대로 읽어야 합니다."),
        CellResult("essay_2", "질문 2. 손익분기점 비판 (2점)", 2, None, False, "manual", "강사가 읽고 채점합니다.", "answer"),
    ]
    return Outcome("lab00", "kim", "graded", 1, 4, cells,
                   [Note("cell_timeout", "시간 제한(60초)을 넘긴 셀이 있어 중단하고 다음 셀로 넘어갔습니다.")] if notes else [],
                   timestamp="2026-12-01T20:54:00")


@pytest.mark.parametrize("notes", [False, True])
def test_markdown_feedback_is_a_table_in_python_markdown(tmp_path, notes):
    html = markdown.markdown(render(outcome(notes), "md", root=tmp_path), extensions=["tables"])
    assert "<table>" in html and "| 문항 |" not in html
    assert html.count("<tr>") == 4  # header + 3 questions
    assert "<p><strong>1 / 4점</strong> (제출: 2026-12-02 05:54)</p>" in html  # a paragraph of its own (UTC 20:54 in Seoul)
    if notes:
        assert "<p>채점하면서 알게 된 점:</p>" in html and "<li>시간 제한(60초)을 넘긴 셀이" in html


def test_html_feedback_embeds_the_font_pieces_its_text_needs(tmp_path):
    page = render(outcome(True), "html", root=tmp_path)
    faces = re.findall(r"@font-face \{[^}]*\}", page)
    assert faces and all("src: url(data:font/woff2;base64," in f and "unicode-range:" in f for f in faces)
    assert "url(./" not in page and "http" not in page.split("</style>")[0]  # nothing to fetch
    assert "word-break: keep-all" in page
    # Only the pieces this text uses: a page of other syllables gets other pieces.
    assert font_css("가") != font_css("힣") and len(font_css("가")) < len(page)


def _hangul_boxes(browser, page_html: str, tmp_path: Path) -> dict[str, str]:
    """The feedback page's Hangul drawn in its own font (workshop.browser_checks.hangul_boxes)."""
    path = tmp_path / "feedback.html"
    path.write_text(page_html, encoding="utf-8")
    page = browser.new_page()
    try:
        page.goto(path.as_uri())
        return hangul_boxes(page.locator("body"))
    finally:
        page.close()


def test_hangul_renders_as_glyphs_without_a_korean_system_font(tmp_path):
    reason = chromium_missing_reason()
    if reason:
        (pytest.fail if os.environ.get("COURSE_REQUIRE_BROWSER") == "1" else pytest.skip)(reason)
    from playwright.sync_api import sync_playwright

    page_html = render(outcome(True), "html", root=tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            embedded = _hangul_boxes(browser, page_html, tmp_path)
            bare = _hangul_boxes(browser, re.sub(r"@font-face \{[^}]*\}", "", page_html), tmp_path)
        finally:
            browser.close()
    assert embedded["checked"] and not embedded["boxes"], embedded
    # Without the embedded font: every syllable is a box on a machine with no Korean font (this
    # one), none where the system has one; either way the check above could have failed.
    assert bare["boxes"] in ("", bare["checked"]), bare


def test_submission_time_is_shown_in_the_course_timezone(tmp_path):
    """The gradebook keeps UTC; a learner in Seoul reads the time on their own clock, as the due date is."""
    (tmp_path / "grader").mkdir()
    (tmp_path / "grader" / "grading.toml").write_text(
        'timezone = "Asia/Seoul"\n[late]\npenalty = "none"\n[due]\nlab00 = "2026-12-02 05:00"\n', encoding="utf-8")
    md = render(outcome(False), "md", root=tmp_path)  # 2026-12-01T20:54 UTC = 2026-12-02 05:54 KST
    assert "(제출: 2026-12-02 05:54)" in md, md
    assert "마감(2026-12-02 05:00)보다 54분 늦게 제출했습니다." in md
    html = render(outcome(False), "html", root=tmp_path)
    assert "제출: 2026-12-02 05:54" in html and "20:54" not in html
