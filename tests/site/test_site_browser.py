"""In a real browser the site renders diagrams, finds Korean and English terms, and stays offline.

Every request is routed: only 127.0.0.1/localhost (and local files) go through; anything
else is aborted and recorded, and each test asserts that nothing was recorded.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from site_testkit import ARTIFACTS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOCAL_SCHEMES = {"file", "data", "blob", "about"}

# Material renders diagrams into a closed shadow root; opening it lets the test see the SVG.
OPEN_SHADOW_ROOTS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) { return attach.call(this, {...init, mode: "open"}); };
"""


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        reason = f"브라우저 검사를 건너뜁니다: {CHROMIUM} 파일이 없습니다(Debian의 chromium 패키지가 필요합니다)."
        if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " COURSE_REQUIRE_BROWSER=1이라 실패로 처리합니다.")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 at a free port, quietly."""
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(built_site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


class GuardedPage:
    """A page whose context lets only local requests through and records the rest."""

    def __init__(self, browser) -> None:
        self.blocked: list[str] = []
        self.requested: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
        self.context.add_init_script(OPEN_SHADOW_ROOTS)
        self.context.route("**/*", self._guard)
        self.context.on("request", lambda request: self.requested.append(request.url))
        self.page = self.context.new_page()

    def _guard(self, route) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    def external_requests(self) -> list[str]:
        return self.blocked + [url for url in self.requested if not is_local(url)]

    def search(self, query: str) -> None:
        """Type into Material's search box; Material reacts to keyup, which fill() does not send."""
        box = self.page.locator("input.md-search__input")
        box.click()
        box.fill(query)
        box.press("End")

    def glossary_result(self, text: str):
        """The search result that links to the glossary entry and shows `text`."""
        return self.page.locator("a.md-search-result__link[href*='glossary.html']", has_text=text)


@pytest.fixture()
def guarded(chromium_browser) -> Iterator[GuardedPage]:
    guarded = GuardedPage(chromium_browser)
    yield guarded
    guarded.context.close()


def assert_offline(guarded: GuardedPage) -> None:
    external = guarded.external_requests()
    assert not external, "외부 요청을 시도했습니다:\n" + "\n".join(external)


def test_guard_blocks_and_records_an_external_request(guarded: GuardedPage) -> None:
    """Without this, "no external request" could pass because nothing was being watched."""
    guarded.page.set_content('<script src="https://unpkg.com/mermaid@11/dist/mermaid.min.js"></script>')
    assert "https://unpkg.com/mermaid@11/dist/mermaid.min.js" in guarded.blocked


def test_home_page_renders_mermaid_diagram_offline(guarded: GuardedPage, site_url: str) -> None:
    guarded.page.goto(f"{site_url}/index.html")
    guarded.page.locator(".mermaid svg").first.wait_for(timeout=20_000)
    assert guarded.page.locator(".mermaid svg").count() >= 1
    assert_offline(guarded)


def test_search_finds_glossary_entry_by_korean_and_english_word(guarded: GuardedPage, site_url: str) -> None:
    guarded.page.goto(f"{site_url}/index.html")
    for query in ("콜드", "cold"):
        guarded.search(query)
        guarded.glossary_result("콜드 스타트").first.wait_for(timeout=20_000)
    ARTIFACTS.mkdir(exist_ok=True)
    guarded.page.screenshot(path=str(ARTIFACTS / "site-search.png"))
    assert_offline(guarded)


def test_page_without_diagram_searches_without_loading_mermaid(guarded: GuardedPage, site_url: str) -> None:
    """Material would fetch mermaid from unpkg if a page had a diagram but no script; this page has neither."""
    guarded.page.goto(f"{site_url}/glossary.html")
    guarded.search("cold")
    guarded.glossary_result("콜드 스타트").first.wait_for(timeout=20_000)
    assert [url for url in guarded.requested if "search" in url], "요청 기록이 비어 있습니다."
    assert not [url for url in guarded.requested if "mermaid" in url]
    assert_offline(guarded)


def test_site_opened_from_file_renders_and_searches_offline(guarded: GuardedPage, built_site: Path) -> None:
    guarded.page.goto((built_site / "index.html").as_uri())
    guarded.page.locator(".mermaid svg").first.wait_for(timeout=20_000)
    guarded.search("cold")  # over file:// search runs through the iframe-worker shim
    guarded.glossary_result("콜드 스타트").first.wait_for(timeout=20_000)
    assert_offline(guarded)
