"""The sandbox backends themselves: what a kernel can and cannot do in each."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from grader.config import ROOT, Limits
from grader.sandbox.kernel import SandboxedKernelManager
from grader.sandbox.policy import Sandbox, SandboxUnavailable, backend_works, describe, detect_backend

from .conftest import require_bwrap

PROBE = [
    "import os, socket\nprint('uid', os.getuid())",
    "try:\n    socket.create_connection(('127.0.0.1', PORT), timeout=2)\n    print('NET OK')\n"
    "except OSError as exc:\n    print('NET BLOCKED', exc)",
    "for p in SECRETS:\n    try:\n        open(p, 'rb').read(1)\n        print('READ', p)\n"
    "    except OSError as exc:\n        print('HIDDEN', p)",
    "import sys\nprint(sys.version_info[:2], __import__('labkit.checks').checks.__name__)",
    # A lab writes its handler files next to the notebook (lab01's %%writefile lab01_functions/...).
    "os.makedirs('lab_functions/api', exist_ok=True)\nopen('lab_functions/api/app.py', 'w').write('x')\nprint('WROTE CWD')",
]


def run_probe(backend: str, tmp_path: Path, hide: list[Path]) -> str:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    secret = tmp_path / "secret" / "gradebook.db"
    secret.parent.mkdir()
    secret.write_text("hidden tests")
    cells = [c.replace("PORT", str(server.getsockname()[1])).replace("SECRETS", repr([str(secret)])) for c in PROBE]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    box = Sandbox(backend, Limits(cell_timeout=20), uid=2_000_099 if os.geteuid() == 0 else None,
                  hide=hide + [secret.parent])
    workdir = tmp_path / "run"
    workdir.mkdir()

    class Client(NotebookClient):
        def create_kernel_manager(self):
            self.km = SandboxedKernelManager(kernel_name="python3", config=self.config, sandbox=box)
            return self.km

    try:
        Client(nb, timeout=30, resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        server.close()
    return "".join(o.get("text", "") for c in nb.cells for o in c.outputs)


def test_bwrap_sees_only_what_it_needs(tmp_path):
    require_bwrap()
    out = run_probe("bwrap", tmp_path, [])
    assert "NET BLOCKED" in out and "READ" not in out and "HIDDEN" in out and "labkit.checks" in out
    assert "WROTE CWD" in out
    if os.geteuid() == 0:
        assert "uid 2000099" in out  # never root inside


@pytest.mark.skipif(not backend_works("unshare"), reason="unshare를 쓸 수 없는 컴퓨터입니다")
def test_unshare_fallback_blocks_network_and_hides_secrets(tmp_path):
    out = run_probe("unshare", tmp_path, [ROOT / "solutions"])
    assert "NET BLOCKED" in out and "HIDDEN" in out and "READ" not in out
    assert "WROTE CWD" in out  # the kernel starts in its writable folder, not the read-only one below


def test_detect_backend_honours_the_environment_and_explains_itself(monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", "none")
    assert detect_backend() == "none"
    assert "격리 없음" in describe("none") and "채점 전용 계정" in describe("none")
    monkeypatch.setenv("GRADER_SANDBOX", "docker")
    with pytest.raises(SandboxUnavailable, match="bwrap, unshare, none"):
        detect_backend()


def test_limits_are_applied_inside(tmp_path):
    box = Sandbox("none", Limits(memory_mb=512, max_file_mb=8))
    limits = box.rlimits()
    assert limits["RLIMIT_AS"] == 512 * 2**20 and limits["RLIMIT_FSIZE"] == 8 * 2**20 and limits["RLIMIT_CORE"] == 0
    cmd = box.wrap(["true"], tmp_path, tmp_path)
    assert cmd[-1] == "true" and "setrlimit" in cmd[2]
