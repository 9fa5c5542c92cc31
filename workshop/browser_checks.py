"""What a learner sees, checked in Debian's chromium through playwright (used by the browser tests).

- `hangul_boxes`: whether Hangul is drawn as glyphs. Reading text cannot tell: a page without a
  Korean font has the right text and shows empty boxes. Each syllable is drawn on a canvas in the
  element's computed font and compared with the drawing of U+0378, an unassigned code point that
  every font draws as its .notdef box.
- `axe_violations`: axe-core's WCAG 2 A and AA rules, injected from node_modules (no CDN).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from grader.config import ROOT  # the course root, defined once

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa"]


def chromium_missing_reason() -> str | None:
    """None if chromium is there; else why the browser checks cannot run (Korean)."""
    if CHROMIUM.exists():
        return None
    reason = f"브라우저 검사를 건너뜁니다: {CHROMIUM} 파일이 없습니다(Debian의 chromium 패키지가 필요합니다)."
    if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
        reason += " COURSE_REQUIRE_BROWSER=1이라 실패로 처리합니다."
    return reason


_HANGUL_GLYPHS = """
async ([el, limit, pattern]) => {
  const style = getComputedStyle(el);
  const font = (size) => `${style.fontStyle} ${style.fontWeight} ${size} ${style.fontFamily}`;
  const text = el.innerText || el.textContent || "";
  const wanted = new RegExp(pattern, "u");
  const syllables = [...new Set([...text].filter((c) => wanted.test(c)))].slice(0, limit);
  let loadError = "";
  try {  // web fonts (and the unicode-range subsets the text needs) load on first use
    if (syllables.length) await document.fonts.load(font(style.fontSize), syllables.join(""));
  } catch (error) {
    loadError = String(error);  // a font that cannot load draws as the next one in the list
  }
  const canvas = document.createElement("canvas");
  canvas.width = 96; canvas.height = 96;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  const draw = (c) => {
    ctx.clearRect(0, 0, 96, 96);
    ctx.font = font("64px");
    ctx.textBaseline = "top";
    ctx.fillText(c, 8, 8);
    return ctx.getImageData(0, 0, 96, 96).data.join(",");
  };
  const notdef = draw("\\u0378");
  const blank = (ctx.clearRect(0, 0, 96, 96), ctx.getImageData(0, 0, 96, 96).data.join(","));
  const boxes = syllables.filter((c) => { const d = draw(c); return d === notdef || d === blank; });
  return {font: font(style.fontSize), checked: syllables.join(""), boxes: boxes.join(""), loadError};
}
"""


def hangul_boxes(locator: Any, limit: int = 40, pattern: str = "[\uac00-\ud7a3]") -> dict[str, str]:
    """Draw the element's distinct Hangul syllables (`pattern`, up to `limit`) in its computed font.

    Returns `font`, `checked` (the syllables drawn), `boxes` (those drawn as .notdef or nothing)
    and `loadError` (a web font that failed to load); a test asserts `checked` is not empty and
    `boxes` is.
    """
    return locator.evaluate("(el, [limit, pattern]) => (" + _HANGUL_GLYPHS + ")([el, limit, pattern])",
                            [limit, pattern])


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core's WCAG 2 A/AA rules on the page; one dict per violated rule, with its nodes."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_SCRIPT.read_text(encoding="utf-8"))
    return page.evaluate(_AXE_RUN, AXE_TAGS)


_AXE_RUN = """
async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 160),
                                summary: (n.failureSummary || "").slice(0, 300)})),
  }));
}
"""
