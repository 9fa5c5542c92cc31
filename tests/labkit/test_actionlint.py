"""labkit.actionlint runs the real actionlint (wasm build, Node.js) on workflow files, offline."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from labkit import actionlint

GOOD = """\
name: deploy
on:
  push:
    branches: [main]
permissions:
  id-token: write
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.13"
      - run: ./course test
  deploy:
    needs: test
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          aws-region: ap-northeast-2
      - run: npx serverless deploy --stage ${{ github.ref_name }}
"""


def write(tmp_path: Path, text: str, name: str = "deploy.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_current_workflow_with_oidc_and_an_environment_has_no_findings(tmp_path):
    assert actionlint.lint(write(tmp_path, GOOD)) == []
    actionlint.check(tmp_path)  # a folder of workflows


def test_mistakes_are_found_with_their_line_and_rule(tmp_path):
    bad = (GOOD.replace("    needs: test", "    needs: tests")                     # a job that does not exist
               .replace('python-version: "3.13"', 'python-versoin: "3.13"')        # a typo in an action input
               .replace("${{ github.ref_name }}", "${{ github.ref_nam }}"))         # an unknown context property
    findings = actionlint.lint(write(tmp_path, bad))
    kinds = {(f.line, f.kind) for f in findings}
    assert (17, "job-needs") in kinds  # reported at the job that needs it
    assert any(f.kind == "action" and "python-versoin" in f.message and f.line == 15 for f in findings)
    assert any(f.kind == "expression" and "ref_nam" in f.message for f in findings)
    with pytest.raises(actionlint.WorkflowError) as error:
        actionlint.check(tmp_path)
    assert "문제 " in str(error.value) and "deploy.yml:17:" in str(error.value)


def test_a_missing_file_gets_a_korean_error(tmp_path):
    with pytest.raises(actionlint.WorkflowError, match="파일이나 폴더가 없습니다"):
        actionlint.lint(tmp_path / "nope.yml")
