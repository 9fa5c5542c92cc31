"""Import-layer contract of labkit.cloud: services never import the `LocalCloud` facade, and
Lambda (`awslambda/`) sits below the services.

`session.py` wires the services together; a service that imports it can reach every other
service through it (issue 12). Only the package `__init__` imports the facade. The exceptions
below are listed with their reason and must shrink: an entry that is no longer needed fails too.

Inside `awslambda/`, the runtime chooses an execution environment from its `ENVIRONMENTS`
registry, so the process environments (`awslambda/processes/`) never import the runtime back
except for types; the worker's bootstrap imports only the standard library (its imports are part
of every measured cold start).
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import labkit.cloud

PACKAGE = Path(labkit.cloud.__file__).parent
FACADE = "labkit.cloud.session"

# Type-only imports (`if TYPE_CHECKING:`) for the annotation of `self.cloud`: each of these
# services is still handed the whole LocalCloud. Issue 12's narrow context object removes them.
TYPE_ONLY_EXCEPTIONS = {
    name: "annotates the LocalCloud it is handed; to go with issue 12's context object"
    for name in ("apigateway", "cloudformation", "eventbridge", "awslambda.async_invoke", "moto_integration", "s3",
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


def imports_of(path: Path) -> list[tuple[str, str]]:
    """(absolute target, "runtime" or "type") for every import statement of a module, at any
    depth (inside functions too); "type": inside `if TYPE_CHECKING:`."""
    module = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typed = _type_checking_nodes(tree)
    return [
        (target, "type" if id(node) in typed else "runtime")
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for target in _targets(node, module, path.name == "__init__.py")
    ]


def _short(module: str) -> str:
    return module.removeprefix("labkit.cloud.") if module != "labkit.cloud" else "__init__"


def facade_imports() -> dict[str, set[str]]:
    """Module (short name) -> {"runtime", "type"}: how it imports the facade."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for target, kind in imports_of(path):
            if target == FACADE:
                found.setdefault(_short(_module_name(path)), set()).add(kind)
    return found


LAMBDA = PACKAGE / "awslambda"
RUNTIME = "labkit.cloud.awslambda.runtime"
SERVICES = ("sqs", "sns", "s3", "eventbridge", "schedules", "streams", "stepfunctions", "apigateway", "cloudformation")


def _imports_a_service(target: str) -> bool:
    return target in {FACADE, *(f"labkit.cloud.{name}" for name in SERVICES)} or target.startswith(
        tuple(f"labkit.cloud.{name}." for name in (*SERVICES, "session"))
    )


def test_process_environments_import_the_runtime_only_for_types() -> None:
    found = sorted(
        f"{_short(_module_name(path))} imports {target}"
        for path in sorted((LAMBDA / "processes").rglob("*.py"))
        for target, kind in imports_of(path)
        if kind == "runtime" and (target == RUNTIME or target.startswith(RUNTIME + "."))
    )
    assert found == [], "the runtime picks environments from its ENVIRONMENTS registry: import it under TYPE_CHECKING only"


def test_lambda_imports_no_service_and_not_the_facade() -> None:
    found = sorted(
        f"{_short(_module_name(path))} imports {target} ({kind})"
        for path in sorted(LAMBDA.rglob("*.py"))
        for target, kind in imports_of(path)
        if _imports_a_service(target) and not (kind == "type" and _short(_module_name(path)) in TYPE_ONLY_EXCEPTIONS)
    )
    assert found == [], "awslambda is below the services: they call it, it never calls them"


def test_the_bootstrap_imports_only_the_standard_library() -> None:
    found = sorted(
        target
        for path in sorted((LAMBDA / "bootstrap").rglob("*.py"))
        for target, _ in imports_of(path)
        if target.partition(".")[0] not in sys.stdlib_module_names and target != "__future__"
        and not target.startswith("__future__.")
    )
    assert found == [], "the worker's bootstrap must stay stdlib-only: its imports are timed in every cold start"


def test_the_layer_rules_see_a_violation(tmp_path: Path) -> None:
    (node,) = ast.parse("from ..runtime import LambdaRuntime").body
    assert RUNTIME in _targets(node, "labkit.cloud.awslambda.processes.snapshot", False)
    for source in ("from ..sqs import SqsPoller", "from .. import session", "from ..apigateway.routing import x"):
        (node,) = ast.parse(source).body
        assert any(_imports_a_service(t) for t in _targets(node, "labkit.cloud.awslambda.runtime", False)), source
    (node,) = ast.parse("from .models import FunctionSpec").body
    assert not any(_imports_a_service(t) for t in _targets(node, "labkit.cloud.awslambda.runtime", False))


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
