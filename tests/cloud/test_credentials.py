"""One fake AWS environment: the `course` script and the grading sandbox use labkit's definition."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from grader.config import Limits
from grader.sandbox.policy import Sandbox
from labkit.cloud.credentials import DEFAULT_REGION, fake_aws_environment

ROOT = Path(__file__).resolve().parents[2]


def _course_exports() -> dict[str, str]:
    """The AWS_* variables `course`'s ensure_env leaves set, as bash itself evaluates them."""
    script = (ROOT / "course").read_text(encoding="utf-8")
    body = re.search(r"^ensure_env\(\) \{\n(.*?)^\}", script, re.S | re.M)
    assert body, "course has no ensure_env()"
    lines = [line for line in body.group(1).splitlines() if re.match(r"\s*(export|unset) AWS_", line)]
    out = subprocess.run(["bash", "-c", "\n".join([*lines, "env -0"])], env={}, capture_output=True, text=True,
                         check=True).stdout
    pairs = (item.split("=", 1) for item in out.split("\0") if item)
    return {key: value for key, value in pairs if key.startswith("AWS_")}


def test_course_script_exports_the_python_definition() -> None:
    assert _course_exports() == fake_aws_environment(DEFAULT_REGION)


def test_grading_sandbox_uses_the_python_definition(tmp_path: Path) -> None:
    env = Sandbox("none", Limits()).env(tmp_path)
    assert {key: value for key, value in env.items() if key.startswith("AWS_")} == fake_aws_environment()
