"""deploy/kubernetes/Dockerfile builds from what the repository has, and sets up what ./course sets up.

No image is built here (that needs the internet); what can be checked offline is: every file a
COPY takes from the build context exists and is not excluded by the .dockerignore, the versions
agree with the course and the chart, the JupyterLab settings are the ones ./course writes, and
the start script gives the server the course's fake AWS credentials.
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys

import pytest

from grader.config import ROOT

DEPLOY = ROOT / "deploy" / "kubernetes"
DOCKERFILE = DEPLOY / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def context_copies() -> list[str]:
    """Every source path a COPY takes from the build context (not from another stage)."""
    sources = []
    for word, rest in instructions():
        if word != "COPY" or "--from=" in rest:
            continue
        parts = [p for p in shlex.split(rest) if not p.startswith("--")]
        sources += parts[:-1]
    return sources


def ignored(path: str) -> bool:
    patterns = [line.strip() for line in (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    path = path.rstrip("/")
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.removeprefix("**/")) or path.startswith(p + "/")
               for p in patterns)


def test_every_file_the_dockerfile_copies_exists_in_the_build_context():
    sources = context_copies()
    assert {"requirements.lock", "pyproject.toml", "package-lock.json", "labs/", "labkit/"} <= set(sources)
    missing = [s for s in sources if not (ROOT / s).exists()]
    assert missing == []
    assert [s for s in sources if ignored(s)] == []
    for s in sources:
        if s.endswith("/"):
            assert (ROOT / s).is_dir() and any((ROOT / s).iterdir()), s
    assert ignored("node_modules") and ignored("grader/work") and ignored(".venv")  # the checker can fail


def test_the_checker_notices_a_copy_of_a_missing_file(monkeypatch, tmp_path):
    broken = tmp_path / "Dockerfile"
    broken.write_text(DOCKERFILE.read_text(encoding="utf-8") + "COPY labs/lab99/ labs/lab99/\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "DOCKERFILE", broken)
    assert "labs/lab99/" in [s for s in context_copies() if not (ROOT / s).exists()]


def args() -> dict[str, str]:
    return dict(rest.split("=", 1) for word, rest in instructions() if word == "ARG" and "=" in rest)


def test_versions_agree_with_the_course_and_the_chart():
    a = args()
    chart = json.loads((DEPLOY / "z2jh/VERSION.json").read_text(encoding="utf-8"))
    assert a["JUPYTERHUB_VERSION"] == chart["appVersion"]  # single-user side = the chart's hub
    course = (ROOT / "course").read_text(encoding="utf-8")
    need = re.search(r'version_at_least "\$ver" (\d+)\.(\d+)', course).groups()
    assert tuple(map(int, a["NODE_VERSION"].split(".")[:2])) >= tuple(map(int, need))
    python = re.search(r'requires-python = ">=(\d+)\.(\d+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8")).groups()
    assert tuple(map(int, a["PYTHON_VERSION"].split(".")[:2])) >= tuple(map(int, python))
    assert "-c requirements.lock" in DOCKERFILE.read_text(encoding="utf-8")
    assert "npm ci" in DOCKERFILE.read_text(encoding="utf-8") and "workshop.lab_fonts" in DOCKERFILE.read_text(encoding="utf-8")


def test_the_jupyterlab_settings_are_the_ones_course_writes():
    course = (ROOT / "course").read_text(encoding="utf-8")
    written = dict(re.findall(r'cat > "\$VENV/([^"]+)" <<\'JSON\'\n(.*?)\nJSON\n', course, re.S))
    copies = {dest.removeprefix(".venv/"): src for word, rest in instructions() if word == "COPY"
              for src, dest in [shlex.split(rest)[-2:]] if src.startswith("deploy/kubernetes/jupyter/") and src.endswith(".json")}
    assert set(copies) == set(written) and len(written) == 2
    for dest, src in copies.items():
        assert json.loads((ROOT / src).read_text(encoding="utf-8")) == json.loads(written[dest]), dest


def test_the_start_script_gives_the_server_fake_aws_credentials_only(tmp_path):
    """Run it with a stand-in jupyterhub-singleuser that prints its environment and arguments."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    stub = bindir / "jupyterhub-singleuser"
    stub.write_text("#!/bin/sh\necho \"ARGS=$*\"\nenv\n", encoding="utf-8")
    stub.chmod(0o755)
    venv = ROOT / ".venv"
    if not (venv / "bin/python").exists():
        pytest.skip(".venv가 없습니다")
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "AWS_PROFILE": "prod",
           "AWS_ACCESS_KEY_ID": "AKIAREAL", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/x",
           "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/token"}
    proc = subprocess.run([str(DEPLOY / "start-singleuser.sh"), "--debug"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    seen = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    assert seen["ARGS"] == "--debug"
    assert seen["AWS_ACCESS_KEY_ID"] == "testing" and seen["AWS_EC2_METADATA_DISABLED"] == "true"
    assert not {"AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} & set(seen)
