"""`./course start`: build the site, serve it, and run JupyterLab on the learner's workspace.

Learners work in `workspace/` (git-ignored), a copy of `labs/` made on first start, so their
answers survive a `git pull` and the committed release stays pristine. A lab already in the
workspace is never overwritten.
"""
from __future__ import annotations

import functools
import http.server
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from grader.config import ROOT  # the course root, defined once
from labkit.korean import josa

SITE_DIR = Path(os.environ.get("COURSE_SITE_DIR", ROOT / "site"))  # tests build their own
LABS_DIR = ROOT / "labs"
WORKSPACE = Path(os.environ.get("COURSE_WORKSPACE", ROOT / "workspace"))  # tests use their own
HOST = "127.0.0.1"
LAB_LOG = WORKSPACE / ".jupyterlab.log"


class StartError(Exception):
    """Something stops the course from starting; the message says what to do, in Korean."""


def port_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise StartError(f"{name}={raw!r}: 올바른 포트 번호가 아닙니다. 1~65535 사이의 숫자로 지정하십시오.")
    return int(raw)


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def require_free(port: int, env_name: str) -> None:
    if not port_is_free(port):
        raise StartError(
            f"포트 {josa(port, '을')} 이미 다른 프로그램이 쓰고 있습니다.\n"
            f"       이미 ./course start 가 실행 중인지 확인하거나, 다른 포트를 지정하십시오: "
            f"{env_name}={port + 1} ./course start"
        )


def build_site(dest: Path = SITE_DIR) -> float:
    """Build the site with the venv's mkdocs; return seconds taken."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(dest)],
        cwd=ROOT, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise StartError("사이트를 빌드하지 못했습니다.\n" + (proc.stderr.strip() or proc.stdout.strip()))
    return time.perf_counter() - started


def serve_site(port: int, directory: Path = SITE_DIR) -> http.server.ThreadingHTTPServer:
    """Serve the built site on localhost in a background thread."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
            pass

    server = http.server.ThreadingHTTPServer((HOST, port), functools.partial(QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def seed_workspace(labs: Path = LABS_DIR, workspace: Path = WORKSPACE) -> list[str]:
    """Copy each released lab into the workspace unless the learner already has it."""
    workspace.mkdir(exist_ok=True)
    copied = []
    for lab in sorted(p for p in labs.iterdir() if p.is_dir()):
        target = workspace / lab.name
        if not target.exists():
            shutil.copytree(lab, target)
            copied.append(lab.name)
    return copied


def start_jupyterlab(port: int, token: str, root_dir: Path = WORKSPACE) -> subprocess.Popen:
    """Start JupyterLab on localhost only, with update checks and news off (offline)."""
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root_dir}", f"--IdentityProvider.token={token}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI run as root; Jupyter refuses without it
    log = open(LAB_LOG, "w")  # noqa: SIM115 (lives as long as the server)
    # Own session and no stdin: Ctrl+C reaches only us (Jupyter would otherwise ask on the
    # terminal whether to shut down), and we stop it cleanly in `main`.
    return subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_until_ready(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StartError("JupyterLab이 시작하자마자 멈췄습니다. workspace/.jupyterlab.log 의 마지막 줄을 확인하십시오.")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise StartError(f"JupyterLab이 {timeout:.0f}초 안에 응답하지 않았습니다. workspace/.jupyterlab.log 를 확인하십시오.")


def _stop_on_signal(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM/SIGHUP (kill, a closed terminal) take the Ctrl+C path


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    try:
        site_port = port_from_env("SITE_PORT", 8000)
        lab_port = port_from_env("LAB_PORT", 8888)
        require_free(site_port, "SITE_PORT")
        require_free(lab_port, "LAB_PORT")
        seconds = build_site()
        print(f"• 사이트를 빌드했습니다 ({seconds:.1f}초).")
        copied = seed_workspace()
        if copied:
            print(f"• 실습 노트북을 workspace/ 에 복사했습니다: {', '.join(copied)}")
        server = serve_site(site_port)
        token = secrets.token_hex(16)
        lab = start_jupyterlab(lab_port, token)
        wait_until_ready(f"http://{HOST}:{lab_port}/api/status?token={token}", lab)
    except StartError as exc:
        print(f"\n[오류] {exc}", file=sys.stderr)
        return 1

    print()
    print("과정이 준비되었습니다. 브라우저에서 여십시오.")
    print(f"  사이트      http://{HOST}:{site_port}/")
    print(f"  JupyterLab  http://{HOST}:{lab_port}/lab?token={token}")
    print()
    print("실습 노트북은 workspace/ 에 있습니다. 끝내려면 Ctrl+C를 누르십시오.")
    sys.stdout.flush()
    try:
        while lab.poll() is None:
            time.sleep(0.5)
        print("\n[오류] JupyterLab이 멈췄습니다. workspace/.jupyterlab.log 를 확인하십시오.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n사이트와 JupyterLab을 끕니다.")
        return 0
    finally:
        server.shutdown()
        if lab.poll() is None:
            lab.terminate()
            try:
                lab.wait(timeout=10)
            except subprocess.TimeoutExpired:
                lab.kill()


if __name__ == "__main__":
    sys.exit(main())
