"""Import-layer contract of labkit.cloud (issue 12).

- `core/` is the leaf layer: it imports nothing of labkit.cloud outside `core/`, at run time, lazily
  or for types;
- a service never imports the `LocalCloud` facade nor another service: it is handed a
  `CloudContext` and reaches other services through `ctx.send` / `ctx.async_invoke`;
- only the package `__init__` imports the facade;
- Lambda (`awslambda/`) sits below the services, event sources (`eventsources/`) and EventBridge
  (`events/`) included: it imports nothing from them; the runtime chooses an execution environment from
  its `ENVIRONMENTS` registry, so the process environments (`awslambda/processes/`) never import
  the runtime back except for types; the worker's bootstrap imports only the standard library (its
  imports are part of every measured cold start).
The exceptions below are listed with their reason and must shrink: an entry that is no longer
needed fails too.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import labkit.cloud

PACKAGE = Path(labkit.cloud.__file__).parent
FACADE = "labkit.cloud.localcloud"

# Type-only imports (`if TYPE_CHECKING:`) of the facade.
TYPE_ONLY_EXCEPTIONS = {
}

# The services: each is built with a CloudContext and imports no other one (nor the facade).
SERVICES = ("apigateway", "autoscaling", "cloudformation", "events.rules", "awslambda.async_invoke", "s3", "events.schedules", "sns",
            "eventsources.sqs", "stepfunctions", "eventsources.streams")

# Imports of core/ modules that leave core/ (any kind), with the reason.
CORE_EXCEPTIONS = {
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
# The services above Lambda (they call it; it never calls them). A package stands for every module in it:
# awslambda imports nothing from eventsources/ (the pollers, filtering, mapping rules) nor events/.
ABOVE_LAMBDA = ("eventsources", "sns", "s3", "events", "stepfunctions", "apigateway", "cloudformation")


def _imports_a_service(target: str) -> bool:
    return target in {FACADE, *(f"labkit.cloud.{name}" for name in ABOVE_LAMBDA)} or target.startswith(
        tuple(f"labkit.cloud.{name}." for name in (*ABOVE_LAMBDA, "localcloud"))
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
    for source in ("from ..eventsources.sqs import SqsPoller", "from .. import localcloud", "from ..apigateway.routing import x",
                   "from ..eventsources import filtering, mapping_rules", "from ..events.input import json_path",
                   "import labkit.cloud.events"):
        (node,) = ast.parse(source).body
        assert any(_imports_a_service(t) for t in _targets(node, "labkit.cloud.awslambda.runtime", False)), source
    (node,) = ast.parse("from ..core.patterns import pattern_matches").body  # the matcher both packages use is core's
    assert not any(_imports_a_service(t) for t in _targets(node, "labkit.cloud.awslambda.patches", False))
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
        "from .localcloud import LocalCloud": "labkit.cloud.x",
        "from . import localcloud": "labkit.cloud.x",
        "import labkit.cloud.localcloud": "labkit.cloud.x",
        "from labkit.cloud.localcloud import LocalCloud": "labkit.cloud.x",
        "from ..localcloud import LocalCloud": "labkit.cloud.bootstrap.x",
    }
    for source, module in forms.items():
        (node,) = ast.parse(source).body
        assert FACADE in _targets(node, module, False), source
    (node,) = ast.parse("from .localclouds import LocalCloud").body
    assert FACADE not in _targets(node, "labkit.cloud.x", False)


def imports_in(short: str) -> list[tuple[str, str]]:
    """(imported module, "runtime" | "lazy" | "type") for every import in labkit.cloud.<short>."""
    path = PACKAGE / (short.replace(".", "/") + ".py")
    if not path.exists():
        path = PACKAGE / short.replace(".", "/") / "__init__.py"
    module = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typed = _type_checking_nodes(tree)
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            kind = "type" if id(node) in typed else "runtime" if id(node) in top else "lazy"
            for target in _targets(node, module, path.name == "__init__.py"):
                found.append((target, kind))
    return found


def _cloud_modules(targets: list[tuple[str, str]]) -> set[str]:
    """The labkit.cloud modules among import targets (a `from .core import arns` names both)."""
    names = set()
    for target, _ in targets:
        if target.startswith("labkit.cloud.") and _exists(target):
            names.add(target)
    return names


def _exists(module: str) -> bool:
    rel = module.removeprefix("labkit.cloud.").replace(".", "/")
    return (PACKAGE / f"{rel}.py").exists() or (PACKAGE / rel / "__init__.py").exists()


def test_core_imports_nothing_above_it() -> None:
    core = sorted(_module_name(p).removeprefix("labkit.cloud.") for p in (PACKAGE / "core").glob("*.py"))
    assert "core.context" in core and "core.targets" in core
    outside = {
        (name, target)
        for name in core
        for target in _cloud_modules(imports_in(name))
        if not target.startswith("labkit.cloud.core")
    }
    assert outside == set(CORE_EXCEPTIONS), "core/ is the leaf layer: move what it needs into core/, or update CORE_EXCEPTIONS"


def service_modules(name: str) -> list[str]:
    """The modules (short names) of a service: itself, or every module of its package."""
    folder = PACKAGE / name.replace(".", "/")
    if not (folder / "__init__.py").exists():
        return [name]
    return sorted(_short(_module_name(path)) for path in folder.rglob("*.py"))


def _service_file(short: str) -> Path:
    path = PACKAGE / (short.replace(".", "/") + ".py")
    return path if path.exists() else PACKAGE / short.replace(".", "/") / "__init__.py"


def _is_module_of(target: str, name: str) -> bool:
    module = f"labkit.cloud.{name}"
    return target == module or target.startswith(module + ".")


def test_no_service_imports_another_service_or_the_facade() -> None:
    crossing = {}
    for name in SERVICES:
        others = [other for other in SERVICES if other != name and not _is_module_of(f"labkit.cloud.{name}", other)]
        for module in service_modules(name):
            hits = sorted(
                t for t, kind in imports_in(module)
                if kind != "type" and (t == FACADE or any(_is_module_of(t, other) for other in others))
            )
            if hits:
                crossing[module] = hits
    assert crossing == {}, "a service reaches other services through ctx.send / ctx.async_invoke, never by importing them"


def test_a_service_package_is_scanned_whole() -> None:
    """A service split into a package is held to the rules in every module, not only its __init__."""
    assert "apigateway.routing" in service_modules("apigateway") and "apigateway" in service_modules("apigateway")
    assert service_modules("sns") == ["sns"]
    assert _is_module_of("labkit.cloud.cloudformation.resources", "cloudformation")
    assert not _is_module_of("labkit.cloud.cloudformationx", "cloudformation")


def test_every_service_is_built_with_a_cloud_context() -> None:
    for name in SERVICES:
        tree = ast.Module(body=[
            statement for module in service_modules(name)
            for statement in ast.parse(_service_file(module).read_text(encoding="utf-8")).body
        ], type_ignores=[])
        inits = [
            node for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name == "__init__" and len(node.args.args) == 2
            and node.args.args[1].arg in ("ctx", "cloud")
        ]
        assert inits, name
        for init in inits:
            arg = init.args.args[1]
            assert arg.arg == "ctx" and "CloudContext" in ast.unparse(arg.annotation), f"{name}: {ast.unparse(init.args)}"


def test_the_layer_scan_sees_a_crossing(tmp_path: Path) -> None:
    (node,) = ast.parse("from ..events.rules import pattern_matches").body
    assert "labkit.cloud.events.rules" in _targets(node, "labkit.cloud.core.patterns", False)
    (node,) = ast.parse("from ..core import arns").body
    assert _cloud_modules([(t, "runtime") for t in _targets(node, "labkit.cloud.eventsources.sqs", False)]) == {
        "labkit.cloud.core", "labkit.cloud.core.arns"
    }


def test_no_submodule_shadows_a_public_name() -> None:
    """Importing labkit.cloud.<x> sets the package attribute <x> to the module: a submodule named
    like a public name (`local_cloud.py` beside `local_cloud()`) would replace that name."""
    import importlib

    import labkit.cloud as package

    modules = {p.stem for p in PACKAGE.glob("*.py")} | {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert modules & set(package.__all__) == set()
    importlib.import_module("labkit.cloud.localcloud")
    assert callable(package.local_cloud) and not isinstance(package.local_cloud, type(package))


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
