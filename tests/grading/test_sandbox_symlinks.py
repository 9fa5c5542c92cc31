"""A course (and its .venv) reached through a symbolic link into /tmp still grades in the sandbox.

The sandbox's /tmp is a fresh empty folder, so a link such as `/var/tmp/course -> /tmp/ci-clone`
led nowhere inside it: the kernel, started as `/var/tmp/course/.venv/bin/python`, died with
"Kernel died before replying to kernel_info". Here the project is bind-mounted at a real folder
under /tmp (in a mount namespace of this test's own) and reached through a real link outside
/tmp, exactly that layout. Needs root (for the mount namespace) and bubblewrap.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from grader.config import ROOT

from .conftest import require_bwrap

KERNEL = '''
import nbformat, sys
from nbclient import NotebookClient
import grader.sandbox.policy as policy
from grader.sandbox.kernel import SandboxedKernelManager
from grader.config import Limits
if "--no-links" in sys.argv:
    policy._links = lambda: []  # what the sandbox did before: no link recreated inside
km = SandboxedKernelManager(sandbox=policy.Sandbox("bwrap", Limits()), kernel_name="python3")
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import labkit.checks, sys; print('KERNEL', sys.executable)")])
try:
    NotebookClient(nb, km=km, timeout=60, startup_timeout=60).execute()
except RuntimeError as exc:
    print("FAILED", exc)
else:
    print(nb.cells[0].outputs[0]["text"])
'''


@pytest.fixture
def linked_course():
    require_bwrap()
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("마운트 네임스페이스를 만들려면 root 권한과 unshare가 필요해 건너뜁니다.")
    real = Path(tempfile.mkdtemp(prefix="gs-real-", dir="/tmp"))
    link = Path("/var/tmp") / f"gs-link-{uuid.uuid4().hex[:8]}"
    link.symlink_to(real)
    try:
        yield real, link
    finally:
        link.unlink()
        real.rmdir()


def run_through_link(real: Path, link: Path, *args: str) -> str:
    script = f'mount --bind "$1" "$2" && shift 2 && exec "$@"'
    cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(ROOT), str(real),
           str(link / ".venv/bin/python"), "-c", KERNEL, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd="/")
    return proc.stdout + proc.stderr


def test_a_kernel_starts_when_the_venv_is_reached_through_a_link_into_tmp(linked_course):
    real, link = linked_course
    out = run_through_link(real, link)
    assert f"KERNEL {link}/.venv/bin/python" in out, out[-3000:]


def test_when_the_sandbox_cannot_see_the_interpreter_it_says_so_in_korean(linked_course):
    real, link = linked_course
    out = run_through_link(real, link, "--no-links")
    assert "FAILED Kernel died before replying to kernel_info" in out, out[-3000:]
    assert f"격리 환경 안에서 실행 파일 {link}/.venv/bin/python" in out and "보이지 않습니다" in out, out[-3000:]


def test_start_failure_names_a_missing_module(tmp_path):
    from grader.sandbox.kernel import start_failure

    log = tmp_path / "kernel.log"
    log.write_text("Traceback (most recent call last):\nModuleNotFoundError: No module named 'ipykernel'\n")
    assert "Python 모듈 ipykernel이 보이지 않습니다" in start_failure(log)
