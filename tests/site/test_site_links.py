"""Every internal link and anchor in the built site lands, including 2장's addresses from before its split."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Headings of docs/faas/index.md before 2장 was split into three pages (slugs as the site made them).
FAAS_ANCHORS_BEFORE_SPLIT = [
    "실행-모델", "호출-하나의-수명-주기", "콜드-경로와-웜-경로", "확장과-동시성", "세-제공자-비교",
    "google-cloud-cloud-functions에서-cloud-run-functions로", "azure-consumption에서-flex-consumption으로",
    "한도-비교표", "이벤트-소스-여섯-가지", "세-가지-호출-방식", "api-gateway", "amazon-s3", "amazon-sqs",
    "dynamodb-streams", "eventbridge-스케줄", "amazon-kinesis", "정리", "스스로-점검하기", "실습",
]


class _Refs(HTMLParser):
    """Collects ids and the URLs a page points to (links, scripts, styles, images)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[str] = []
        self.moved: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        url = a.get("href") if tag in ("a", "link") else a.get("src") if tag in ("script", "img", "source") else None
        if url is not None:
            self.refs.append(url)
        if tag == "a" and "data-moved-from" in a:
            self.moved[a["data-moved-from"]] = a.get("href", "")


def _parse(path: Path, cache: dict[Path, _Refs]) -> _Refs:
    if path not in cache:
        parser = _Refs()
        parser.feed(path.read_text(encoding="utf-8"))
        cache[path] = parser
    return cache[path]


def _target(page: Path, url: str, site: Path) -> tuple[Path, str] | None:
    """The file and fragment an internal URL points to, or None for an external one."""
    parts = urlsplit(html.unescape(url))
    if parts.scheme or parts.netloc or url.startswith(("mailto:", "javascript:", "data:")):
        return None
    if not parts.path:
        path = page
    elif parts.path.startswith("/"):  # 404.html uses site-absolute URLs
        path = site / unquote(parts.path).lstrip("/")
    else:
        path = (page.parent / unquote(parts.path)).resolve()
    if path.is_dir():
        path = path / "index.html"
    return path, unquote(parts.fragment)


def broken_links(site: Path) -> list[str]:
    """`page -> url (why)` for every internal reference whose file or anchor is missing."""
    cache: dict[Path, _Refs] = {}
    broken = []
    for page in sorted(site.rglob("*.html")):
        for url in _parse(page, cache).refs:
            found = _target(page, url, site)
            if found is None:
                continue
            path, fragment = found
            where = f"{page.relative_to(site)} -> {url}"
            if not path.is_file():
                broken.append(f"{where} (파일 없음)")
            elif fragment and path.suffix == ".html" and fragment not in _parse(path, cache).ids:
                broken.append(f"{where} (앵커 없음)")
    return broken


def test_every_internal_link_and_anchor_in_the_built_site_resolves(built_site: Path) -> None:
    broken = broken_links(built_site)
    assert not broken, "깨진 링크:\n" + "\n".join(broken)


def test_link_checker_reports_a_missing_page_and_a_missing_anchor(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text('<h2 id="here">x</h2><a href="#here">ok</a><a href="#gone">x</a>'
                                     '<a href="b.html">x</a><a href="https://example.com/">ext</a>', encoding="utf-8")
    assert broken_links(tmp_path) == ["a.html -> #gone (앵커 없음)", "a.html -> b.html (파일 없음)"]


def test_old_chapter_2_anchors_still_land_on_the_section_that_moved(built_site: Path) -> None:
    """faas/#api-gateway from before the split: the chapter page keeps the id or forwards it."""
    cache: dict[Path, _Refs] = {}
    chapter = built_site / "faas" / "index.html"
    refs = _parse(chapter, cache)
    assert re.search(r"data-moved-from", chapter.read_text(encoding="utf-8")), "옮긴 앵커 목록이 없습니다."
    lost = []
    for anchor in FAAS_ANCHORS_BEFORE_SPLIT:
        if anchor in refs.ids:
            continue
        if anchor not in refs.moved:
            lost.append(f"{anchor}: 2장 첫 페이지에도 없고 옮긴 곳도 적혀 있지 않습니다")
            continue
        path, fragment = _target(chapter, refs.moved[anchor], built_site)
        if not path.is_file() or (fragment and fragment not in _parse(path, cache).ids):
            lost.append(f"{anchor}: {refs.moved[anchor]}에 없습니다")
    assert not lost, "\n".join(lost)
