"""Deployment packages: a handler function, a module or a folder, zipped the way Lambda takes it.

`package()` only builds the ZIP; `LocalCloud.deploy()` hands it to Lambda (moto) with plain
`create_function` / `update_function_code`, so what a lab deploys is a real deployment package.

A function defined in a notebook has no file of its own, so `package(handler)` writes
`lambda_function.py` from its source, plus what it uses from its module: imports, plain
constants, and other functions or classes defined beside it. Anything else (a client object, a
decorated handler's logger) cannot be carried over reliably: deploy a module or a folder then.
"""

from __future__ import annotations

import ast
import inspect
import io
import os
import textwrap
import types
import zipfile
from pathlib import Path
from typing import Any, Callable

from ...korean import josa
from ..core.errors import DeployError

__all__ = ["folder_files", "function_source", "package", "zip_files"]

_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".git", ".pytest_cache"}
_HANDLER_NAMES = ("handler", "lambda_handler")
# A fixed date keeps the ZIP (and so CodeSha256) identical for identical code.
_ZIP_DATE = (2025, 1, 1, 0, 0, 0)


def zip_files(files: dict[str, bytes]) -> bytes:
    """A deployment package of `files` (archive name -> content), byte-identical for identical files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, _ZIP_DATE)
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def folder_files(folder: Path, prefix: str = "") -> dict[str, bytes]:
    """The files of a folder for a deployment package (caches and VCS folders left out)."""
    files: dict[str, bytes] = {}
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in names:
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(root) / name
            files[prefix + path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def _default_handler(files: dict[str, bytes]) -> str:
    """`module.function` when exactly one top-level module defines handler/lambda_handler."""
    found = []
    for name, data in files.items():
        if "/" in name or not name.endswith(".py"):
            continue
        try:
            tree = ast.parse(data)
        except SyntaxError:
            continue
        defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for candidate in _HANDLER_NAMES:
            if candidate in defined:
                found.append(f"{name[:-3]}.{candidate}")
                break
    if len(found) == 1:
        return found[0]
    listed = ", ".join(found) if found else "없음"
    raise DeployError(
        f"핸들러를 정할 수 없습니다(후보: {listed}). handler='모듈.함수' 형태로 지정하십시오. "
        "예: handler='app.handler'"
    )


def package(source: Any, handler: str | None = None) -> tuple[bytes, str]:
    """Build a deployment package; returns (ZIP bytes, handler string such as "app.handler").

    `source` is a handler function, an imported module, a path to a folder or a .py file, or
    ZIP bytes (then `handler` is required).
    """
    if isinstance(source, (bytes, bytearray)):
        if not handler:
            raise DeployError("ZIP 바이트로 배포할 때는 handler='모듈.함수'를 함께 지정하십시오.")
        return bytes(source), handler
    if isinstance(source, types.ModuleType):
        return _package_module(source, handler)
    if callable(source) and not isinstance(source, type):
        text = function_source(source)
        name = inspect.unwrap(source).__name__
        return zip_files({"lambda_function.py": text.encode()}), handler or f"lambda_function.{name}"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            files = folder_files(path)
            if not files:
                raise DeployError(f"폴더 {path}가 비어 있습니다. 핸들러 코드가 든 폴더를 지정하십시오.")
            return zip_files(files), handler or _default_handler(files)
        if path.is_file() and path.suffix == ".py":
            files = {path.name: path.read_bytes()}
            return zip_files(files), handler or _default_handler(files)
        raise DeployError(
            f"{source!r}에서 코드를 찾지 못했습니다. 핸들러 함수, 모듈, 폴더 경로 또는 .py 파일 경로를 넘기십시오."
        )
    raise DeployError(
        f"{type(source).__name__} 객체는 배포할 수 없습니다. 핸들러 함수, 모듈, 폴더 경로 또는 .py 파일 경로를 넘기십시오."
    )


def _package_module(module: types.ModuleType, handler: str | None) -> tuple[bytes, str]:
    file = getattr(module, "__file__", None)
    if not file:
        raise DeployError(f"모듈 {module.__name__}에는 파일이 없어 배포할 수 없습니다. 파일로 된 모듈이나 폴더를 넘기십시오.")
    top = module.__name__.rpartition(".")[2]
    if hasattr(module, "__path__"):  # a package: ship the folder under its own name
        files = folder_files(Path(file).parent, prefix=f"{top}/")
        default = next((f"{top}.{n}" for n in _HANDLER_NAMES if hasattr(module, n)), None)
    else:
        files = {f"{top}.py": Path(file).read_bytes()}
        default = next((f"{top}.{n}" for n in _HANDLER_NAMES if hasattr(module, n)), None)
    chosen = handler or default
    if not chosen:
        raise DeployError(
            f"모듈 {module.__name__}에 handler나 lambda_handler 함수가 없습니다. handler='{top}.함수이름'을 지정하십시오."
        )
    return zip_files(files), chosen


# --------------------------------------------------------------------------- function source


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _is_literal(value: Any) -> bool:
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False


def function_source(func: Callable[..., Any]) -> str:
    """Source of a module that defines `func` and what it uses from its own module."""
    func = inspect.unwrap(func)
    if not isinstance(func, types.FunctionType):
        raise DeployError(f"{josa(repr(func), '은')} 파이썬 함수가 아니라 소스를 꺼낼 수 없습니다. 모듈이나 폴더로 배포하십시오.")
    if func.__closure__:
        free = ", ".join(func.__code__.co_freevars)
        raise DeployError(
            f"핸들러 {josa(func.__name__, '이')} 바깥 함수의 변수({free})를 씁니다. 배포되는 코드에는 그 변수가 없으니 "
            "핸들러를 모듈 최상위에 정의하십시오."
        )
    home = func.__globals__
    imports: list[str] = []
    constants: list[str] = []
    bodies: list[str] = []
    seen: set[str] = set()

    def source_of(obj: Any) -> str:
        try:
            return textwrap.dedent(inspect.getsource(obj))
        except (OSError, TypeError) as exc:
            raise DeployError(
                f"{getattr(obj, '__name__', obj)!r}의 소스를 읽지 못했습니다({exc}). 코드를 .py 파일이나 폴더에 두고 배포하십시오."
            ) from exc

    def visit(obj: Any) -> None:
        code_objects = []
        if isinstance(obj, types.FunctionType):
            code_objects.append(obj.__code__)
        else:  # a class: what its methods use
            for member in vars(obj).values():
                member = getattr(member, "__func__", member)
                if isinstance(member, types.FunctionType):
                    code_objects.append(member.__code__)
        names = set().union(*(_code_names(c) for c in code_objects)) if code_objects else set()
        for name in sorted(names):
            if name in seen or name not in home:
                continue
            seen.add(name)
            value = home[name]
            if isinstance(value, types.ModuleType):
                real = value.__name__
                imports.append(f"import {real}" if real == name else f"import {real} as {name}")
            elif isinstance(value, (types.FunctionType, type)) and getattr(value, "__module__", None) == func.__module__:
                bodies.append(source_of(value))
                visit(value)
            elif (
                hasattr(value, "__module__")
                and hasattr(value, "__qualname__")
                and value.__module__ not in (None, "__main__", func.__module__)
                and "<" not in value.__qualname__
            ):
                alias = "" if value.__qualname__ == name else f" as {name}"
                imports.append(f"from {value.__module__} import {value.__qualname__}{alias}")
            elif _is_literal(value):
                constants.append(f"{name} = {value!r}")
            else:
                raise DeployError(
                    f"핸들러가 쓰는 전역 이름 {name!r}의 값({type(value).__name__} 객체)은 함수 소스와 함께 옮길 수 없습니다. "
                    "그 값을 핸들러 모듈 안에서 만들도록 코드를 .py 파일이나 폴더에 두고 배포하십시오."
                )

    seen.add(func.__name__)
    visit(func)
    parts = ["# Generated by labkit.cloud from a notebook function."]
    parts += sorted(set(imports)) + [""] + constants + [""] + bodies + [source_of(func)]
    return "\n".join(parts).strip() + "\n"
