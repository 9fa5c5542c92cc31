"""`./course start` end to end: site and JupyterLab served on localhost, Korean UI, clean errors."""
from __future__ import annotations

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

from workshop.start import ROOT, seed_workspace

CHROMIUM = Path("/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_course(tmp_path: Path, site_port: int, lab_port: int) -> subprocess.Popen:
    env = {**os.environ, "SITE_PORT": str(site_port), "LAB_PORT": str(lab_port), "COURSE_WORKSPACE": str(tmp_path / "ws")}
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
    proc = start_course(tmp, site_port, lab_port)
    try:
        text = read_until(proc, "Ctrl+C")
        yield proc, text, tmp
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)


def test_start_prints_both_urls_and_serves_them(running_course):
    _, text, _ = running_course
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


def test_jupyterlab_opens_in_korean_on_the_labs(running_course):
    if not CHROMIUM.exists():
        if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
            pytest.fail("/usr/bin/chromium 이 없습니다 (COURSE_REQUIRE_BROWSER=1).")
        pytest.skip("Debian chromium(/usr/bin/chromium)이 없어 브라우저 검사를 건너뜁니다.")
    from playwright.sync_api import sync_playwright

    _, text, _ = running_course
    lab = re.search(r"(http://127\.0\.0\.1:\d+/lab\?token=\w+)", text).group(1)
    external = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page()

        def guard(route):
            if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                return route.continue_()
            external.append(route.request.url)
            return route.abort()

        page.route("**/*", guard)
        page.goto(lab)
        page.get_by_text("lab00", exact=True).first.wait_for(timeout=60_000)
        menubar = page.locator(".lm-MenuBar-content").inner_text(timeout=30_000)
        Path(ROOT / "test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-artifacts" / "jupyterlab.png"))
        browser.close()
    assert "파일" in menubar and "편집" in menubar, f"JupyterLab 메뉴가 한국어가 아닙니다: {menubar!r}"
    assert external == [], f"JupyterLab이 외부로 요청했습니다: {external}"


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
    env = {**os.environ, "SITE_PORT": "여덟천", "COURSE_WORKSPACE": str(tmp_path)}
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
