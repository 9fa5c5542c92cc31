"""Warm kernels (grader.sandbox.warm): forked from one server per worker, each as isolated as a cold one."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import nbformat
import pytest
from nbclient import NotebookClient

from grader.config import Limits
from grader.sandbox import warm as warm_servers
from grader.sandbox.kernel import SandboxedKernelManager
from grader.sandbox.policy import Sandbox
from grader.sandbox.warm import server_for

from .conftest import require_bwrap

UID = 2_000_098 if os.geteuid() == 0 else None
MARK = "4242.4242"  # `sleep 4242.4242` left running by a submission: findable from outside

PROBE = """import json, os, resource, sys
status = dict(l.split(':\\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\\t' in l)
print(json.dumps({
    'uid': os.getuid(), 'pid': os.getpid(),
    'procs': sorted(int(p) for p in os.listdir('/proc') if p.isdigit()),
    'tmp': sorted(os.listdir('/tmp')), 'shm': sorted(os.listdir('/dev/shm')),
    'cwd_files': sorted(os.listdir('.')), 'boxes': sorted(os.listdir('../..')), 'own_box': os.path.basename(os.path.dirname(os.getcwd())),
    'caps': [status[k].strip() for k in ('CapPrm', 'CapEff', 'CapBnd', 'CapAmb')], 'nnp': status['NoNewPrivs'].strip(),
    'as': resource.getrlimit(resource.RLIMIT_AS)[0], 'env': os.environ.get('AWS_ACCESS_KEY_ID'),
    'warm': 'moto' in sys.modules}))"""
LEAVE_BEHIND = f"""import os, subprocess
open('/tmp/left-by-first', 'w').write('x')
open('/dev/shm/left-by-first', 'w').write('x')
open('secret-of-first.txt', 'w').write('x')
subprocess.Popen(['sleep', '{MARK}'], start_new_session=True)"""


def run(box: Sandbox, server, cells: list[str], workdir) -> list[str]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])

    class Client(NotebookClient):
        def create_kernel_manager(self):
            self.km = SandboxedKernelManager(kernel_name="python3", config=self.config, sandbox=box, warm=server)
            return self.km

    # Killed at the end, as grading does (SafeExecute.shutdown_kernel = "immediate").
    Client(nb, timeout=30, shutdown_kernel="immediate", resources={"metadata": {"path": str(workdir)}}).execute()
    return ["".join(o.get("text", "") for o in c.outputs) for c in nb.cells]


@pytest.fixture
def box_and_server(monkeypatch):
    require_bwrap()
    monkeypatch.delenv("GRADER_WARM_KERNELS", raising=False)
    warm_servers._servers.clear()
    box = Sandbox("bwrap", Limits(cell_timeout=20, memory_mb=1536), uid=UID)
    server = server_for(box)
    assert server is not None and server.usable
    yield box, server
    server.close()
    warm_servers._servers.clear()
    shutil.rmtree(server.slot, ignore_errors=True)
    server.slot.with_suffix(".log").unlink(missing_ok=True)


def test_a_warm_kernel_is_sandboxed_like_a_cold_one(box_and_server, tmp_path):
    box, server = box_and_server
    (tmp_path / "cold").mkdir()
    (tmp_path / "warm").mkdir()
    cold = json.loads(run(box, None, [PROBE], tmp_path / "cold")[0])
    warm = json.loads(run(box, server, [PROBE], tmp_path / "warm")[0])
    assert warm["warm"] and not cold["warm"]  # the imports were done by the server
    for key in ("uid", "caps", "nnp", "as", "env", "pid"):
        assert warm[key] == cold[key], key
    assert warm["caps"] == ["0000000000000000"] * 4 and warm["nnp"] == "1"
    assert warm["as"] == 1536 * 2**20
    # Its own PID namespace and /proc: itself and its reaper, nothing of the server.
    assert warm["pid"] == 2 and warm["procs"] == [1, 2]


def test_nothing_of_one_submission_reaches_the_next(box_and_server, tmp_path):
    box, server = box_and_server
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    run(box, server, [LEAVE_BEHIND], tmp_path / "a")
    # The first kernel's background process died with its PID namespace.
    for _ in range(50):
        if subprocess.run(["pgrep", "-f", f"sleep {MARK}"], capture_output=True).returncode == 1:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("a process of the first submission outlived its kernel")
    second = json.loads(run(box, server, [PROBE], tmp_path / "b")[0])
    assert "left-by-first" not in second["tmp"] and "left-by-first" not in second["shm"]
    assert "secret-of-first.txt" not in second["cwd_files"]
    assert second["boxes"] == [second["own_box"]]  # no other kernel's folder, even while it exists
    assert second["procs"] == [1, 2]


def test_a_dead_server_means_cold_kernels_not_a_failed_grade(box_and_server, tmp_path, capsys):
    box, server = box_and_server
    server.ready()  # serving, then gone (as if killed mid-batch)
    server.proc.kill()
    server.proc.wait()
    (tmp_path / "run").mkdir()
    out = json.loads(run(box, server, [PROBE], tmp_path / "run")[0])
    assert not out["warm"] and not server.usable
    assert "보통 커널을 씁니다" in capsys.readouterr().err


def test_warm_kernels_can_be_turned_off(monkeypatch):
    require_bwrap()
    monkeypatch.setenv("GRADER_WARM_KERNELS", "0")
    assert server_for(Sandbox("bwrap", Limits(), uid=UID)) is None
