"""`./course start` end to end: site and JupyterLab served on localhost, Korean UI, clean errors.

Every start runs as on a machine where the course has been used before: the ambient HOME holds a
saved JupyterLab layout and English user settings. `start_course` must give each JupyterLab its
own HOME, Jupyter and JupyterLab directories, so that leftover state never shows through.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from workshop.browser_checks import CHROMIUM, CHROMIUM_ARGS, chromium_missing_reason, hangul_boxes
from workshop.start import ROOT, seed_workspace


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def used_home(home: Path) -> Path:
    """A HOME as the course leaves it: lab01 open, the file browser in lab01/, English menus."""
    lab = home / ".jupyter" / "lab"
    workspace = {
        "data": {
            "layout-restorer:data": {"main": {"dock": {"type": "tab-area", "currentIndex": 0,
                                                       "widgets": ["notebook:lab01/lab01.ipynb"]}},
                                     "left": {"collapsed": False, "visible": True,
                                              "current": "filebrowser", "widgets": ["filebrowser"]}},
            "file-browser-filebrowser:cwd": {"path": "lab01"},
            "notebook:lab01/lab01.ipynb": {"data": {"path": "lab01/lab01.ipynb", "factory": "Notebook"}},
        },
        "metadata": {"id": "default"},
    }
    (lab / "workspaces").mkdir(parents=True, exist_ok=True)
    (lab / "workspaces" / "default-37a8.jupyterlab-workspace").write_text(json.dumps(workspace))
    settings = lab / "user-settings" / "@jupyterlab" / "translation-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"locale": "en"}))
    return home


def isolated_env(tmp_path: Path, ambient: dict[str, str]) -> dict[str, str]:
    """`ambient` with HOME and every Jupyter/JupyterLab state directory inside `tmp_path`."""
    home = tmp_path / "home"
    env = {key: value for key, value in ambient.items()
           if key not in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_PREFER_ENV_PATH")}
    return {**env, "HOME": str(home), "IPYTHONDIR": str(home / ".ipython"),
            "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
            "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
            "JUPYTER_RUNTIME_DIR": str(home / ".local" / "share" / "jupyter" / "runtime"),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / ".jupyter" / "lab" / "workspaces"),
            "JUPYTERLAB_SETTINGS_DIR": str(home / ".jupyter" / "lab" / "user-settings")}


def start_course(tmp_path: Path, site_port: int, lab_port: int, ambient: dict[str, str] | None = None) -> subprocess.Popen:
    """`python -m workshop.start` with its own workspace and state, whatever `ambient` holds."""
    env = isolated_env(tmp_path, dict(os.environ) if ambient is None else ambient)
    env.update(SITE_PORT=str(site_port), LAB_PORT=str(lab_port), COURSE_WORKSPACE=str(tmp_path / "ws"),
               COURSE_SITE_DIR=str(tmp_path / "site"))
    return subprocess.Popen([sys.executable, "-m", "workshop.start"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def read_until(proc: subprocess.Popen, marker: str, timeout: float = 90) -> str:
    out = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        out.append(line)
        if marker in line:
            return "".join(out)
    raise AssertionError("시작 메시지를 받지 못했습니다:\n" + "".join(out))


@pytest.fixture(scope="module")
def running_course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("start")
    site_port, lab_port = free_port(), free_port()
    ambient = {**os.environ, "HOME": str(used_home(tmp_path_factory.mktemp("used-home")))}
    proc = start_course(tmp, site_port, lab_port, ambient)
    try:
        text = read_until(proc, "Ctrl+C")
        yield proc, text, tmp
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)


def test_start_prints_both_urls_and_serves_them(running_course):
    _, text, tmp = running_course
    assert (tmp / "site" / "index.html").is_file(), "사이트를 테스트의 폴더가 아닌 곳에 빌드했습니다."
    site = re.search(r"사이트\s+(http://127\.0\.0\.1:\d+/)", text).group(1)
    lab = re.search(r"JupyterLab\s+(http://127\.0\.0\.1:\d+/lab\?token=\w+)", text).group(1)
    with urllib.request.urlopen(site) as resp:
        assert "서버리스 아키텍처 워크숍 키트" in resp.read().decode()
    with urllib.request.urlopen(lab) as resp:
        assert resp.status == 200


def test_start_copies_labs_into_the_workspace_without_overwriting(running_course, tmp_path):
    _, _, tmp = running_course
    assert (tmp / "ws" / "lab00" / "lab00.ipynb").exists()
    mine = tmp_path / "ws"
    (mine / "lab00").mkdir(parents=True)
    (mine / "lab00" / "lab00.ipynb").write_text("학생의 작업")
    released = sorted(p.name for p in (ROOT / "labs").iterdir() if p.is_dir())
    # lab00 is kept as the learner left it; labs released since then are added.
    assert seed_workspace(ROOT / "labs", mine) == [name for name in released if name != "lab00"]
    assert (mine / "lab00" / "lab00.ipynb").read_text() == "학생의 작업"
    assert seed_workspace(ROOT / "labs", mine) == []


@pytest.fixture(scope="module")
def lab_browser():
    reason = chromium_missing_reason()
    if reason:
        (pytest.fail if os.environ.get("COURSE_REQUIRE_BROWSER") == "1" else pytest.skip)(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def lab_page(lab_browser):
    """A fresh page whose requests may only go to 127.0.0.1; `page.external` lists the others."""
    context = lab_browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    page = context.new_page()
    page.external = []

    def guard(route):
        if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            return route.continue_()
        page.external.append(route.request.url)
        return route.abort()

    page.route("**/*", guard)
    yield page
    context.close()


def lab_url(text: str, path: str = "lab") -> str:
    port, token = re.search(r"http://127\.0\.0\.1:(\d+)/lab\?token=(\w+)", text).groups()
    return f"http://127.0.0.1:{port}/{path}?token={token}"


def screenshot(page, name: str) -> None:
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-artifacts" / name))


def test_jupyterlab_opens_in_korean_on_the_labs(running_course, lab_page):
    """The file browser starts at the workspace root and the menus are Korean, on a used machine too."""
    _, text, _ = running_course
    lab_page.goto(lab_url(text))
    listing = lab_page.locator(".jp-DirListing-itemText")
    try:
        listing.get_by_text("lab00", exact=True).wait_for(timeout=60_000)
    finally:
        screenshot(lab_page, "jupyterlab.png")
    assert listing.get_by_text("lab01", exact=True).count() == 1
    menubar = lab_page.locator(".lm-MenuBar-content").inner_text(timeout=30_000)
    assert "파일" in menubar and "편집" in menubar, f"JupyterLab 메뉴가 한국어가 아닙니다: {menubar!r}"
    assert lab_page.external == [], f"JupyterLab이 외부로 요청했습니다: {lab_page.external}"


def test_jupyterlab_draws_hangul_in_menu_markdown_code_and_output(running_course, lab_page):
    """No Korean system font here: the course's own fonts must draw every Hangul syllable."""
    _, text, _ = running_course
    page = lab_page
    page.goto(lab_url(text, "lab/tree/lab00/lab00.ipynb"))
    markdown = page.locator(".jp-RenderedMarkdown h1").first
    markdown.wait_for(timeout=60_000)
    code = page.locator(".jp-CodeCell .cm-line", has_text="안녕하세요").first
    places = {
        "메뉴": page.locator(".lm-MenuBar-itemLabel").first,
        "파일 브라우저": page.locator(".jp-DirListing-headerItemText").first,
        "Markdown 셀": markdown,
        "코드 셀": code,
    }
    drawn = {where: hangul_boxes(element) for where, element in places.items()}
    # Run the lab's first code cell once its kernel is idle; its output is Korean.
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
    code.click()
    page.keyboard.press("Shift+Enter")
    output = page.locator(".jp-OutputArea-output", has_text="안녕하세요, 서버리스!").first
    try:
        output.wait_for(timeout=60_000)
    finally:
        screenshot(page, "jupyterlab-notebook.png")
    drawn["출력"] = hangul_boxes(output.locator("pre").first)
    for where, result in drawn.items():
        assert result["checked"], f"{where}에 검사할 한글이 없습니다: {result}"
    boxes = [f"{where}: {result['boxes']} ({result['font']})" for where, result in drawn.items() if result["boxes"]]
    assert not boxes, "한글이 빈 네모(.notdef)로 그려졌습니다:\n" + "\n".join(boxes)
    assert page.external == [], f"JupyterLab이 외부로 요청했습니다: {page.external}"


def test_busy_port_gives_a_korean_error_not_a_traceback(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = start_course(tmp_path, port, free_port())
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert f"포트 {port}" in out and "SITE_PORT=" in out
    assert "Traceback" not in out


def test_invalid_port_setting_is_explained(tmp_path):
    env = {**isolated_env(tmp_path, dict(os.environ)), "SITE_PORT": "여덟천", "COURSE_WORKSPACE": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "workshop.start"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "올바른 포트 번호가 아닙니다" in proc.stderr and "Traceback" not in proc.stderr


def test_sigterm_stops_site_and_jupyterlab_together(tmp_path):
    proc = start_course(tmp_path, free_port(), free_port())
    read_until(proc, "Ctrl+C")
    lab_pids = subprocess.run(["pgrep", "-f", f"root_dir={tmp_path / 'ws'}"], capture_output=True, text=True).stdout.split()
    assert lab_pids, "JupyterLab 프로세스를 찾지 못했습니다"
    proc.terminate()
    assert proc.wait(timeout=20) == 0
    time.sleep(0.5)
    for pid in lab_pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text(), \
            "사이트를 끈 뒤에도 JupyterLab이 남아 있습니다"
