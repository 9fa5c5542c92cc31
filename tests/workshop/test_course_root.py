"""The course root is defined once (grader.config.ROOT) and imported everywhere else."""
from __future__ import annotations

import ast

import bench.grading  # noqa: F401  (a script, imported only to see which ROOT it uses)
import bench.labs  # noqa: F401
import workshop.browser_checks
import workshop.lab_fonts
import workshop.preflight
import workshop.start
from grader.config import ROOT


def root_definitions() -> list[str]:
    """Every top-level `ROOT = ...` in the project's Python code."""
    found = []
    for folder in ("grader", "workshop", "bench", "labkit"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
                if any(isinstance(t, ast.Name) and t.id == "ROOT" for t in targets):
                    found.append(str(path.relative_to(ROOT)))
    return found


def test_root_is_assigned_only_in_grader_config() -> None:
    assert root_definitions() == ["grader/config.py"]


def test_every_tool_uses_that_root() -> None:
    for module in (workshop.start, workshop.preflight, workshop.lab_fonts, workshop.browser_checks, bench.grading, bench.labs):
        assert module.ROOT is ROOT, module.__name__
