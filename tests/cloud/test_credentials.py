"""One fake AWS environment: the `course` script and the grading sandbox use labkit's definition."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from grader.config import Limits
from grader.sandbox.policy import Sandbox
from labkit.cloud.core.credentials import DEFAULT_REGION, fake_aws_environment

ROOT = Path(__file__).resolve().parents[2]


def _course_exports() -> dict[str, str]:
    """The AWS_* variables `course`'s fake_aws_env leaves set, run by bash over a real profile setting."""
    script = (ROOT / "course").read_text(encoding="utf-8")
    body = re.search(r"^fake_aws_env\(\) \{\n.*?^\}\n", script, re.S | re.M)
    assert body, "course has no fake_aws_env()"
    run = 'fail() { echo "$1" >&2; exit 1; }\n' + body.group(0) + "fake_aws_env\nenv -0"
    env = {"PY": sys.executable, "ROOT": str(ROOT), "AWS_PROFILE": "real-account", "AWS_ACCESS_KEY_ID": "AKIAREAL"}
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", run], env=env, capture_output=True, text=True,
                         check=True).stdout
    pairs = (item.split("=", 1) for item in out.split("\0") if item)
    return {key: value for key, value in pairs if key.startswith("AWS_")}


def test_course_script_exports_the_python_definition() -> None:
    assert _course_exports() == fake_aws_environment(DEFAULT_REGION)


def test_course_script_reads_the_definition_instead_of_copying_it() -> None:
    script = (ROOT / "course").read_text(encoding="utf-8")
    assert re.search(r"^ensure_env\(\) \{\n(?:.*\n)*?\s*fake_aws_env\n(?:.*\n)*?^\}", script, re.M)
    assert not re.findall(r"\bAWS_[A-Z_]+=", script)  # no value of its own to drift from labkit's


def test_grading_sandbox_uses_the_python_definition(tmp_path: Path) -> None:
    env = Sandbox("none", Limits()).env(tmp_path)
    assert {key: value for key, value in env.items() if key.startswith("AWS_")} == fake_aws_environment()
