"""The site builds strictly, ships its own assets and fails clearly when set-up is missing."""

from __future__ import annotations

import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from site_testkit import DOCS, REPO, SiteBuild, run_mkdocs_build

from workshop.glossary import load_glossary
from workshop.site_hooks import VENDOR_FILES


def test_strict_build_passes(site_build: SiteBuild, record_property) -> None:
    record_property("build_seconds", round(site_build.seconds, 2))
    assert site_build.returncode == 0, f"mkdocs build --strict 실패:\n{site_build.output}"


def test_vendored_assets_are_copied_from_node_modules(built_site: Path) -> None:
    for dest, src in VENDOR_FILES.items():
        built, source = built_site / dest, REPO / "node_modules" / src
        assert built.is_file(), f"빌드 결과에 {dest}가 없습니다."
        assert built.read_bytes() == source.read_bytes(), f"{dest}가 node_modules/{src}와 다릅니다."


class _Resources(HTMLParser):
    """Collects URLs the browser would fetch on its own (not links a reader clicks)."""

    FETCHED = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"),
               ("source", "src"), ("video", "src"), ("audio", "src")}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if (tag, name) in self.FETCHED and value:
                self.urls.append(value)


def test_built_pages_fetch_nothing_from_other_hosts(built_site: Path) -> None:
    external = []
    for page in sorted(built_site.rglob("*.html")):
        parser = _Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        external += [f"{page.relative_to(built_site)}: {url}" for url in parser.urls
                     if urlsplit(url).scheme in ("http", "https") or url.startswith("//")]
    css = (built_site / "assets/stylesheets/site.css").read_text(encoding="utf-8")
    external += [f"site.css: {url}" for url in re.findall(r"url\((['\"]?)(https?:[^)'\"]+)", css)]
    assert not external, "외부에서 받아 오는 자원이 있습니다:\n" + "\n".join(external)


def test_mermaid_is_loaded_only_by_pages_with_a_diagram(built_site: Path) -> None:
    """3.5 MB of mermaid on a page without a diagram is only a slower page on a learner's laptop."""
    pages = {p.relative_to(built_site).as_posix(): p.read_text(encoding="utf-8")
             for p in built_site.rglob("*.html") if p.name != "404.html"}
    with_diagram = {name for name, text in pages.items() if 'class="mermaid"' in text}
    with_script = {name for name, text in pages.items() if "assets/vendor/mermaid/mermaid.min.js" in text}
    assert with_diagram, "다이어그램이 있는 페이지가 하나도 없습니다(검사가 아무것도 보지 않습니다)."
    assert with_script == with_diagram


def test_glossary_page_has_an_entry_per_term_in_ko_en_form(built_site: Path) -> None:
    page = html.unescape((built_site / "glossary.html").read_text(encoding="utf-8"))
    for term in load_glossary(DOCS / "glossary.yml"):
        assert f'id="{term.anchor}"' in page, f"용어집 페이지에 #{term.anchor} 항목이 없습니다."
        assert term.first_use in page, f"용어집 페이지에 '{term.first_use}' 표기가 없습니다."
    assert "<abbr" not in page.split('class="glossary"', 1)[1], "용어집 항목 안에는 툴팁을 달지 않습니다."


def test_glossary_page_and_tooltips_show_the_aws_korean_console_word(built_site: Path) -> None:
    """A learner who opens the AWS 한국어 콘솔 finds 대기열 where the course says 큐."""
    terms = [t for t in load_glossary(DOCS / "glossary.yml") if t.aws_ko]
    assert {t.aws_ko for t in terms} >= {"대기열", "가시성 제한 시간", "배달 못한 편지 대기열", "간접 호출", "부분 배치 응답"}
    page = html.unescape((built_site / "glossary.html").read_text(encoding="utf-8"))
    pages = "".join(html.unescape(p.read_text(encoding="utf-8")) for p in built_site.rglob("*.html")
                    if p.name != "glossary.html")
    for term in terms:
        assert term.aws_ko_mention in page, f"용어집 페이지에 '{term.aws_ko_mention}'가 없습니다."
        assert f'title="{term.tooltip}"' in pages, f"'{term.ko}'의 툴팁에 AWS 한국어 콘솔 표기가 없습니다."


def test_other_pages_get_glossary_tooltips(built_site: Path) -> None:
    tooltips = [p for p in built_site.rglob("*.html")
                if p.name != "glossary.html" and "<abbr title=" in p.read_text(encoding="utf-8")]
    assert tooltips, "용어집 용어에 툴팁이 달린 페이지가 하나도 없습니다."


def _project_copy(tmp_path: Path, *, node_modules: bool, glossary: str | None = None) -> Path:
    """A throwaway copy of the site project so a failure can be staged without touching the repo."""
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    (tmp_path / "workshop").symlink_to(REPO / "workshop")
    if node_modules:
        (tmp_path / "node_modules").symlink_to(REPO / "node_modules")
    if glossary is None:
        (tmp_path / "docs").symlink_to(DOCS)
    else:
        shutil.copytree(DOCS, tmp_path / "docs")
        (tmp_path / "docs" / "glossary.yml").write_text(glossary, encoding="utf-8")
    return tmp_path / "mkdocs.yml"


def test_build_without_node_modules_stops_with_korean_advice(tmp_path: Path) -> None:
    result = run_mkdocs_build(_project_copy(tmp_path, node_modules=False), tmp_path / "site")
    assert result.returncode != 0
    assert "./course start" in result.output and "node_modules" in result.output, result.output
    assert "Traceback" not in result.output, result.output


def test_build_with_invalid_glossary_names_the_entry_and_field(tmp_path: Path) -> None:
    bad = "- ko: 콜드 스타트\n  en: cold start\n  note: 느린 첫 호출입니다.\n- ko: 웜 스타트\n  en: warm start\n"
    result = run_mkdocs_build(_project_copy(tmp_path, node_modules=True, glossary=bad),
                              tmp_path / "site")
    assert result.returncode != 0
    assert "2번째 항목(4번째 줄, ko: 웜 스타트)" in result.output and "'note'" in result.output, result.output
    assert "Traceback" not in result.output, result.output
