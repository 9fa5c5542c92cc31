"""The patch ledger: every replaced moto name goes through `set_`, and `uninstall` puts it back.

Patches are installed when a `LocalCloud` starts and removed when it stops. Modules that are
slow to import (API Gateway ~2.5 s through openapi-spec-validator, the Step Functions
interpreter ~1 s, CloudFormation's parser ~2 s) are patched by `when_imported` the moment moto
first imports them, so that `LocalCloud()` does not pay for what a lab never uses.
"""

from __future__ import annotations

import sys
import threading
import types
from typing import Any, Callable, Iterable

__all__ = ["Installer", "install", "uninstall", "set_", "when_imported", "ledger", "key"]

Installer = Callable[[Callable[[Any, str, Any], None]], None]  # an install(set_) of one service

_INHERITED = object()  # a class patched with a name it only inherits: uninstall deletes it again
_saved: list[tuple[Any, str, Any]] = []  # (owner, name, original), in the order of patching
_pending: dict[str, list[Callable[[], None]]] = {}  # module -> patches waiting for its import
_hooked: set[str] = set()  # modules with a wrapt post-import hook registered and not yet fired
_lock = threading.Lock()


def set_(owner: Any, name: str, value: Any) -> None:
    """Replace `owner.name` with `value`, keeping the original for `uninstall`."""
    if isinstance(owner, type):
        _saved.append((owner, name, owner.__dict__.get(name, _INHERITED)))
    else:
        _saved.append((owner, name, getattr(owner, name)))
    setattr(owner, name, value)


def install(installers: Iterable[Installer]) -> None:
    """Install every service's patches, in order (a second install replaces the first)."""
    if _saved or _pending:
        uninstall()
    for install_patches in installers:
        install_patches(set_)


def uninstall() -> None:
    """Put every patched name back, newest first, and forget patches still waiting for a module."""
    with _lock:
        _pending.clear()
    while _saved:
        owner, name, value = _saved.pop()
        if value is _INHERITED:
            delattr(owner, name)
        else:
            setattr(owner, name, value)


def when_imported(module_name: str, patch: Callable[[], None]) -> None:
    """Run `patch` now if `module_name` is imported, else right after moto first imports it.

    wrapt's post-import hooks find the import; they cannot be unregistered, so each module gets
    one hook for the life of the process, and that hook runs only the patches pending when it
    fires: `uninstall` empties them, so a stopped cloud's patches never run.
    """
    if module_name in sys.modules:
        patch()
        return
    import wrapt

    with _lock:
        _pending.setdefault(module_name, []).append(patch)
        register = module_name not in _hooked
        _hooked.add(module_name)
    if register:
        wrapt.register_post_import_hook(_run_pending, module_name)


def _run_pending(module: Any) -> None:
    with _lock:
        _hooked.discard(module.__name__)  # wrapt forgets a hook once it has fired
        patches = _pending.pop(module.__name__, [])
    for patch in patches:
        patch()


def key(owner: Any) -> str | None:
    """The registry's name of a patched object: `module` or `module:Class` (None: not moto's)."""
    if isinstance(owner, type):
        return f"{owner.__module__}:{owner.__qualname__}"
    return owner.__name__ if isinstance(owner, types.ModuleType) else None


def ledger() -> list[tuple[Any, str, Any]]:
    """(owner, name, original) of every patch installed now, oldest first (a copy)."""
    return list(_saved)


def original(owner: Any, name: str, default: Any = _INHERITED) -> Any:
    """What `owner.name` was before the first patch of it (the live value when unpatched).

    With `default`, that is returned when moto has no such name (one labkit adds); without it,
    AttributeError is raised as by getattr.
    """
    for saved_owner, saved_name, value in _saved:
        if saved_owner is owner and saved_name == name:
            if value is not _INHERITED:
                return value.__get__(None, owner) if isinstance(owner, type) and hasattr(value, "__get__") else value
            for base in owner.__mro__[1:]:
                if name in base.__dict__:
                    return getattr(base, name)
            if default is _INHERITED:
                raise AttributeError(name)
            return default
    return getattr(owner, name) if default is _INHERITED else getattr(owner, name, default)
