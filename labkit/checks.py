"""Checks for lab test cells: Korean messages, honest summaries, no stray stderr.

Conventions (see docs/start/labs-and-grading.md): one graded cell per check so partial credit
works; a failing check raises `CheckFailed` (an AssertionError, so nbgrader scores the cell 0)
with a message that says what was expected without giving the answer away; a passing check
prints one line. nbgrader zeroes a test cell that writes anything to stderr, so `quiet()`
keeps library warnings out of graded cells.
"""
from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

# Visible checks run in this kernel, by name: True passed, False failed.
_results: dict[str, bool] = {}


class CheckFailed(AssertionError):
    """A check that did not pass; its message is meant for the learner."""


def check(name: str, passed: bool, message: str) -> None:
    """Record check `name`; print a pass line, or raise `CheckFailed` with `message`."""
    __tracebackhide__ = True  # IPython shows the learner the message, not labkit's frames
    _results[name] = bool(passed)
    if not passed:
        raise CheckFailed(f"[{name}] {message}")
    print(f"✔ {name}: 통과")


def attempt(name: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the learner's `func`; turn an exception into a failed check with a Korean hint.

    The learner then sees which check failed and why, instead of a bare traceback.
    """
    __tracebackhide__ = True
    try:
        with quiet():
            return func(*args, **kwargs)
    except NotImplementedError:
        _results[name] = False
        raise CheckFailed(f"[{name}] 아직 풀지 않았습니다: 위의 코드 셀에서 raise NotImplementedError 줄을 지우고 코드를 작성하십시오.") from None
    except Exception as exc:  # the learner's code may raise anything; report it, do not crash the check
        _results[name] = False
        raise CheckFailed(f"[{name}] 코드를 실행하다가 {type(exc).__name__} 예외가 났습니다: {exc}") from None


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
    text = "\n".join(lines)
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
