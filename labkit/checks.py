"""Checks for lab test cells: Korean messages, honest summaries, no stray stderr.

Conventions (see docs/start/labs-and-grading.md): one graded cell per check so partial credit
works; a failing condition raises `CheckFailed` (an AssertionError, so nbgrader scores the cell
0) with a message that says what was expected without giving the answer away. A check is often
several `check(name, ...)` calls under one name: in IPython (a notebook, and nbgrader's grading
kernel) the cell then prints one line per name when it ends, `✔ 1-1 메모 API: 통과 (조건 5개)`;
elsewhere each call prints at once. nbgrader zeroes a test cell that writes anything to stderr,
so `quiet()` keeps library warnings out of graded cells.
"""
from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

# Visible checks run in this kernel, by name: True passed, False failed.
_results: dict[str, bool] = {}
# Conditions that held in the running cell, by check name, in the order first seen.
_passed_in_cell: dict[str, int] = {}
_failed_in_cell: set[str] = set()


class CheckFailed(AssertionError):
    """A check that did not pass; its message is meant for the learner."""


def _ipython():
    """The running IPython shell, if any (without importing IPython where it is not loaded)."""
    module = sys.modules.get("IPython")
    return module.get_ipython() if module is not None and hasattr(module, "get_ipython") else None


def _pass_line(name: str, count: int) -> str:
    return f"✔ {name}: 통과" + (f" (조건 {count}개)" if count > 1 else "")


def _end_of_cell(*_args) -> None:
    """After each IPython cell: one line per check name whose conditions all held."""
    module = sys.modules.get(__name__)  # the current module, also after a reload
    if module is None:
        return
    passed, failed = dict(module._passed_in_cell), set(module._failed_in_cell)
    module._passed_in_cell.clear()
    module._failed_in_cell.clear()
    for name, count in passed.items():
        if name not in failed:
            print(_pass_line(name, count))


def _collecting() -> bool:
    """Whether pass lines wait for the end of the cell (IPython, hook registered once per shell)."""
    shell = _ipython()
    if shell is None:
        return False
    if not getattr(shell, "_labkit_checks_hook", False):
        shell.events.register("post_run_cell", _end_of_cell)
        shell._labkit_checks_hook = True
    return True


def _failed(name: str) -> None:
    _results[name] = False
    if _collecting():
        _failed_in_cell.add(name)


def check(name: str, passed: bool, message: str) -> None:
    """Record one condition of check `name`; raise `CheckFailed` with `message` if it does not hold.

    In IPython the pass line for `name` is printed once, when the cell ends, with how many
    conditions held; elsewhere it is printed at once.
    """
    __tracebackhide__ = True  # IPython shows the learner the message, not labkit's frames
    if not passed:
        _failed(name)
        raise CheckFailed(f"[{name}] {message}")
    if name not in _failed_in_cell:  # one failed condition fails the check for this cell
        _results[name] = True
    if _collecting():
        _passed_in_cell[name] = _passed_in_cell.get(name, 0) + 1
    else:
        print(_pass_line(name, 1))


def attempt(name: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the learner's `func`; turn an exception into a failed check with a Korean hint.

    The learner then sees which check failed and why, instead of a bare traceback.
    """
    __tracebackhide__ = True
    try:
        with quiet():
            return func(*args, **kwargs)
    except NotImplementedError:
        _failed(name)
        raise CheckFailed(f"[{name}] 아직 풀지 않았습니다: 위의 코드 셀에서 raise NotImplementedError 줄을 지우고 코드를 작성하십시오.") from None
    except Exception as exc:  # the learner's code may raise anything; report it, do not crash the check
        _failed(name)
        raise CheckFailed(f"[{name}] 코드를 실행하다가 {type(exc).__name__} 예외가 났습니다: {exc}") from None


class Summary(str):
    """summary()'s text: already printed, so IPython shows nothing more when it ends a cell."""

    def _ipython_display_(self) -> None:
        pass


def summary(visible: Sequence[str], hidden: int) -> str:
    """Report which visible checks passed, and say plainly that hidden ones run only at grading."""
    passed = [n for n in visible if _results.get(n) is True]
    failed = [n for n in visible if _results.get(n) is False]
    not_run = [n for n in visible if n not in _results]
    lines = [f"공개 테스트 {len(passed)}/{len(visible)} 통과"]
    if failed:
        lines.append(f"  실패: {', '.join(failed)}")
    if not_run:
        lines.append(f"  아직 실행하지 않음: {', '.join(not_run)}")
    if hidden:
        lines.append(f"숨겨진 테스트 {hidden}개는 채점 때 실행됩니다. 공개 테스트를 모두 통과해도 만점이 보장되지는 않습니다.")
    text = Summary("\n".join(lines))
    print(text)
    return text


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence warnings and library log output for the duration of a check."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)
        try:
            yield
        finally:
            logging.disable(previous)


def reset() -> None:
    """Forget recorded results (a fresh kernel starts empty; tests use this)."""
    _results.clear()
    _passed_in_cell.clear()
    _failed_in_cell.clear()
