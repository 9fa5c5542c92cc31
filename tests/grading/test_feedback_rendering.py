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

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


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
    assert "<p><strong>1 / 4점</strong> (제출: 2026-12-01 20:54)</p>" in html  # a paragraph of its own
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


def _hangul_is_drawn(browser, page_html: str, tmp_path: Path) -> dict:
    path = tmp_path / "feedback.html"
    path.write_text(page_html, encoding="utf-8")
    page = browser.new_page()
    page.goto(path.as_uri())
    result = page.evaluate("""async () => {
        await document.fonts.ready;
        const family = getComputedStyle(document.body).fontFamily;
        await document.fonts.load(`40px ${family}`, "채점결과");
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 60;
        const ctx = canvas.getContext("2d");
        const draw = (ch) => {
            ctx.clearRect(0, 0, 60, 60);
            ctx.font = `40px ${family}`;
            ctx.fillText(ch, 5, 45);
            return Array.from(ctx.getImageData(0, 0, 60, 60).data).join(",");
        };
        const box = draw("\\u0378");  // unassigned: the .notdef box every font draws
        return {box_like: ["채", "점", "결", "과"].filter((ch) => draw(ch) === box).length,
                distinct: new Set(["채", "점", "결", "과"].map(draw)).size};
    }""")
    page.close()
    return result


def test_hangul_renders_as_glyphs_without_a_korean_system_font(tmp_path):
    if not CHROMIUM.exists():
        if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM}가 없습니다.")
        pytest.skip(f"{CHROMIUM}가 없어 브라우저 검사를 건너뜁니다.")
    from playwright.sync_api import sync_playwright

    page_html = render(outcome(True), "html", root=tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            embedded = _hangul_is_drawn(browser, page_html, tmp_path)
            bare = _hangul_is_drawn(browser, re.sub(r"@font-face \{[^}]*\}", "", page_html), tmp_path)
        finally:
            browser.close()
    assert embedded == {"box_like": 0, "distinct": 4}, embedded
    if bare["box_like"] == 4:
        pass  # no Korean font on this machine: without the embedded font every syllable is a box
    else:
        assert bare["distinct"] == 4  # a Korean system font exists; the check above still holds
