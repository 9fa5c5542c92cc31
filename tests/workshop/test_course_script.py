"""The `./course` entry script: clear Korean errors, not tracebacks, when a prerequisite is missing."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from workshop.start import ROOT

TOOLS = ("bash", "cat", "cut", "dirname", "head", "mkdir", "sha256sum", "sort", "tail", "env", "rm")


def sandbox(tmp_path: Path, fakes: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """A copy of the entry script and its inputs, with a PATH holding only basic tools and `fakes`."""
    for name in ("course", "pyproject.toml", "requirements.lock", "package-lock.json"):
        shutil.copy2(ROOT / name, tmp_path / name)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in TOOLS:
        (bindir / tool).symlink_to(shutil.which(tool))
    for name, script in fakes.items():
        (bindir / name).write_text("#!/bin/sh\n" + script + "\n")
        (bindir / name).chmod(0o755)
    env = {"PATH": str(bindir), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    return tmp_path, env


def fake_venv(root: Path) -> None:
    """A .venv whose stamp matches, so the script skips installing and reaches the Node checks.

    It borrows the project's interpreter but never the project's venv folder itself, so the
    script can never install into the real environment from this test.
    """
    import hashlib

    venv_bin = root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "python").symlink_to(ROOT / ".venv" / "bin" / "python")
    digest = hashlib.sha256((root / "pyproject.toml").read_bytes() + (root / "requirements.lock").read_bytes())
    (root / ".venv" / ".course-stamp").write_text(digest.hexdigest())


def run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(tmp_path / "course"), *args], env=env, capture_output=True, text=True, timeout=60)


def test_old_python_is_refused_with_a_korean_hint(tmp_path):
    root, env = sandbox(tmp_path, {"python3": "echo 3.8.10"})
    proc = run(root, env, "start")
    assert proc.returncode == 1
    assert "Python 3.11 이상을 찾지 못했습니다" in proc.stderr
    assert "COURSE_PYTHON=" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_old_node_is_refused_with_a_korean_hint(tmp_path):
    root, env = sandbox(tmp_path, {"node": "echo 18.19.0"})
    fake_venv(root)
    proc = run(root, env, "test")
    assert proc.returncode == 1
    assert "Node.js 18.19.0 버전은 너무 오래되었습니다. 20.19 이상이 필요합니다." in proc.stderr
    assert "(는)" not in proc.stderr


def test_missing_node_is_named(tmp_path):
    root, env = sandbox(tmp_path, {})
    fake_venv(root)
    proc = run(root, env, "test")
    assert proc.returncode == 1
    assert "Node.js를 찾지 못했습니다" in proc.stderr


def test_unknown_command_shows_usage(tmp_path):
    proc = subprocess.run([str(ROOT / "course"), "lunch"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert "사용법: ./course <명령>" in proc.stderr and "알 수 없는 명령입니다: lunch" in proc.stderr
