"""The registry of moto's private names, built from the `PATCHES` each module declares.

moto has no hook for running Lambda code or for a lab's clock, so labkit.cloud replaces and
reads private names. Each module that does declares them beside its `install`, as a tuple of
`MotoName(owner, name, signature)`:

- `owner`: `"moto.sqs.models"` for a module attribute, `"moto.sqs.models:Queue"` for a class
  attribute (the class's own module, as `Class.__module__` names it);
- `signature`: for a callable, `signature_of()` of moto's original: parameter names, order,
  kinds and defaults. A wrapper that re-declares moto's parameter list is wrong after a
  reorder upstream without any AttributeError; `check()` sees it. `None` for data;
- `instance=True` for an instance attribute (no class attribute to resolve; the self-test
  probes them on live objects).

`check()` is what tests/cloud/test_moto_integration.py asserts empty: a moto upgrade that
renames, removes or re-signs one of these names fails there, not in a lab.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, NamedTuple

__all__ = ["MOTO_VERSION", "MotoName", "DECLARING_MODULES", "registry", "declarations", "check", "signature_of", "resolve"]

MOTO_VERSION = "5.2.5"

# Every module that declares `PATCHES` (the registry is their union).
DECLARING_MODULES = (
    "labkit.cloud.awslambda.patches",
    "labkit.cloud.eventsources.mapping_rules",
    "labkit.cloud.eventsources.sqs",
    "labkit.cloud.eventsources.sqs_queues",
    "labkit.cloud.eventsources.streams",
    "labkit.cloud.dynamodb",
    "labkit.cloud.s3",
    "labkit.cloud.sns",
    "labkit.cloud.events.rules",
    "labkit.cloud.events.schedules",
    "labkit.cloud.apigateway.patches",
    "labkit.cloud.stepfunctions",
    "labkit.cloud.cloudformation.patches",
    "labkit.cloud.endpoint",
    "labkit.cloud.autoscaling",
)


class MotoName(NamedTuple):
    """One private moto name that labkit.cloud patches or reads."""

    owner: str
    name: str
    signature: str | None = None
    instance: bool = False
    added: bool = False  # a name labkit adds (moto lacks it): check() reports when moto grows its own

    def __str__(self) -> str:
        return f"{self.owner.replace(':', '.')}.{self.name}"


def registry() -> dict[tuple[str, str], MotoName]:
    """(owner, name) -> declaration, over every declaring module (one entry per name)."""
    names: dict[tuple[str, str], MotoName] = {}
    for module_name in DECLARING_MODULES:
        for declared in importlib.import_module(module_name).PATCHES:
            names.setdefault((declared.owner, declared.name), declared)
    return names


def declarations() -> list[tuple[str, MotoName]]:
    """(declaring module, declaration) for every declaration, duplicates included."""
    return [(m, d) for m in DECLARING_MODULES for d in importlib.import_module(m).PATCHES]


def resolve(owner: str) -> Any:
    """The module or class an `owner` string names."""
    module_name, _, qualname = owner.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in filter(None, qualname.split(".")):
        obj = getattr(obj, part)
    return obj


def signature_of(obj: Any) -> str | None:
    """`str(inspect.signature(obj))` without annotations (None when `obj` is not callable).

    Annotations are left out: they are moto's typing, not its calling convention, and some are
    long and change with the list of services (the werkzeug app's `Literal` of service names).
    """
    if not callable(obj):
        return None
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))


def check() -> list[str]:
    """Problems with the installed moto (empty when the integration matches it)."""
    import moto

    from . import patching

    problems = []
    if moto.__version__ != MOTO_VERSION:
        problems.append(f"moto {moto.__version__} is installed; labkit.cloud was written for {MOTO_VERSION}")
    for module_name, declared in declarations():
        if declared.instance:
            continue
        try:
            owner = resolve(declared.owner)
        except (ImportError, AttributeError):
            problems.append(f"{declared.owner.replace(':', '.')} is missing (declared in {module_name})")
            continue
        if declared.added:
            if patching.original(owner, declared.name, None) is not None:
                problems.append(
                    f"{declared} now exists in moto; {module_name} adds its own "
                    f"(moto가 이 이름을 직접 구현합니다: 덧붙인 패치가 아직 필요한지 확인하십시오)"
                )
            continue
        if not hasattr(owner, declared.name):
            problems.append(f"{declared} is missing (declared in {module_name})")
            continue
        actual = signature_of(patching.original(owner, declared.name))  # moto's, even while patched
        if actual != declared.signature:
            problems.append(
                f"{declared} has the signature {actual}; {module_name} was written for {declared.signature} "
                f"(시그니처가 바뀌었습니다: 이 이름을 감싸는 패치의 매개변수를 moto에 맞추고 저장된 시그니처를 고치십시오)"
            )
    return problems
