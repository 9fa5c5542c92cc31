"""Public names of a package loaded on first use (PEP 562), so that importing the package, or one
of its light modules, loads none of the heavy ones (tests/cloud/test_import_cost.py pins it)."""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable

__all__ = ["exports"]


def exports(package: str, table: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package`, for `table` (public name -> the submodule,
    relative to the package, that defines it)."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *table})

    return __getattr__, __dir__
