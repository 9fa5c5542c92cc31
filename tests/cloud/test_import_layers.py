"""Import-layer contract of labkit.cloud: services never import the `LocalCloud` facade.

`session.py` wires the services together; a service that imports it can reach every other
service through it (issue 12). Only the package `__init__` imports the facade. The exceptions
below are listed with their reason and must shrink: an entry that is no longer needed fails too.
"""
from __future__ import annotations

import ast
from pathlib import Path

import labkit.cloud

PACKAGE = Path(labkit.cloud.__file__).parent
FACADE = "labkit.cloud.session"

# Type-only imports (`if TYPE_CHECKING:`) for the annotation of `self.cloud`: each of these
# services is still handed the whole LocalCloud. Issue 12's narrow context object removes them.
TYPE_ONLY_EXCEPTIONS = {
    name: "annotates the LocalCloud it is handed; to go with issue 12's context object"
    for name in ("apigateway", "cloudformation", "eventbridge", "invocations", "s3",
                 "schedules", "sns", "sqs", "stepfunctions", "streams")
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The absolute module names an import statement imports."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    base = node.module or ""
    if node.level:
        anchor = module.split(".")
        anchor = anchor if is_package else anchor[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return inside


def facade_imports() -> dict[str, set[str]]:
    """Module (short name) -> {"runtime", "type"}: how it imports the facade."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typed = _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and FACADE in _targets(node, module, path.name == "__init__.py"):
                kind = "type" if id(node) in typed else "runtime"
                found.setdefault(module.removeprefix("labkit.cloud.") if module != "labkit.cloud" else "__init__", set()).add(kind)
    return found


def test_no_module_imports_the_facade_at_run_time() -> None:
    runtime = sorted(name for name, kinds in facade_imports().items() if "runtime" in kinds and name != "__init__")
    assert runtime == [], f"these modules import {FACADE} at run time; talk to the services they need instead"


def test_type_only_imports_of_the_facade_are_the_listed_exceptions() -> None:
    typed = {name for name, kinds in facade_imports().items() if kinds == {"type"} and name != "__init__"}
    assert typed == set(TYPE_ONLY_EXCEPTIONS), "update TYPE_ONLY_EXCEPTIONS: remove entries no longer needed, never add silently"


def test_the_scan_sees_each_import_form(tmp_path: Path) -> None:
    forms = {
        "from .session import LocalCloud": "labkit.cloud.x",
        "from . import session": "labkit.cloud.x",
        "import labkit.cloud.session": "labkit.cloud.x",
        "from labkit.cloud.session import LocalCloud": "labkit.cloud.x",
        "from ..session import LocalCloud": "labkit.cloud.bootstrap.x",
    }
    for source, module in forms.items():
        (node,) = ast.parse(source).body
        assert FACADE in _targets(node, module, False), source
    (node,) = ast.parse("from .sessions import LocalCloud").body
    assert FACADE not in _targets(node, "labkit.cloud.x", False)


def test_the_patch_mechanism_imports_nothing_above_it() -> None:
    """labkit/cloud/moto is the ledger, hook and registry: every service imports it, it imports no
    labkit module (the registry names the declaring modules as strings and imports them in check())."""
    found = {}
    for path in sorted((PACKAGE / "moto").rglob("*.py")):
        module = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = _targets(node, module, path.name == "__init__.py")
                above = [t for t in targets if t.startswith("labkit") and not t.startswith("labkit.cloud.moto")]
                if above:
                    found[module] = above
    assert found == {}
    assert (PACKAGE / "moto" / "patching.py").exists()  # the scan looked at the package
