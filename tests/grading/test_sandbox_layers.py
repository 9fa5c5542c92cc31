"""grader.sandbox's layers: policy <- warm <- kernel, no private names across modules, no lazy cycle."""
from __future__ import annotations

import ast
from pathlib import Path

from grader.config import ROOT

PACKAGE = ROOT / "grader" / "sandbox"
# What each module may import of its siblings (anywhere in the file, lazily or not).
ALLOWED = {"policy": set(), "warm": {"policy"}, "kernel": {"policy", "warm"}, "zygote": set()}


def sibling_imports(source: str) -> dict[str, set[str]]:
    """Sibling module -> names imported from it, for every import in `source` (nested ones too)."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:
                target = module.split(".")[0]
            elif module.startswith("grader.sandbox."):
                target = module.split(".")[2]
            elif node.level == 0 and module == "grader.sandbox":
                target = ""
            else:
                continue
            if target:
                found.setdefault(target, set()).update(a.name for a in node.names)
            else:  # `from grader.sandbox import warm`
                for alias in node.names:
                    found.setdefault(alias.name, set())
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("grader.sandbox."):
                    found.setdefault(alias.name.split(".")[2], set())
    return found


def layer_violations(name: str, source: str) -> list[str]:
    problems = []
    for target, names in sibling_imports(source).items():
        if target not in ALLOWED[name]:
            problems.append(f"{name} imports {target}")
        problems += [f"{name} imports the private {target}.{n}" for n in sorted(names) if n.startswith("_")]
    return problems


def test_each_module_imports_only_the_layers_below_it_and_no_private_names() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(ALLOWED)
    problems = [v for m in sorted(modules) for v in layer_violations(m, (PACKAGE / f"{m}.py").read_text(encoding="utf-8"))]
    assert problems == []


def test_the_check_catches_a_lazy_upward_import_and_a_private_name() -> None:
    lazy = "def f():\n    from .kernel import SandboxedKernelManager\n"
    assert layer_violations("policy", lazy) == ["policy imports kernel"]
    assert layer_violations("warm", "from .policy import _give\n") == ["warm imports the private policy._give"]
    assert layer_violations("warm", "from grader.sandbox.kernel import QuickReadyClient\n") == ["warm imports kernel"]
    assert layer_violations("kernel", "from .warm import ForkServer\nfrom .policy import Sandbox\n") == []


def test_the_package_init_imports_nothing_so_importing_policy_stays_light() -> None:
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
