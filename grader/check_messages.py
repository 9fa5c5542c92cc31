"""What the feedback says about a graded cell: course-authored text only.

Everything in an executed cell's outputs is the submission's to shape: the exception's name and
value, and any value a check message interpolates. A function a hidden test calls can read the
test's own source (`sys._getframe(1)`, `inspect`, `linecache`, IPython's `In` history) and raise
it, or return it so that an f-string message quotes it; an ordinary `FileNotFoundError` quotes a
hidden test's input. So the feedback never copies output text. It shows one of:

- a message written in the cell's source (a `check(...)` message or an `assert`'s), chosen
  because the error value matches it; the parts an f-string fills in at run time become "…"
  (in a visible check, a type name or a small number is kept: the learner sees those in the
  notebook anyway, and they carry a few bits at most);
- labkit's own fixed sentences (`attempt`: not solved yet, or which exception, by a standard
  exception name only);
- the grader's own sentences for what it did (timeout, dead kernel, not run);
- a fixed reason when nothing matches.

The error value only selects among texts the course wrote, so no text the submission produced
reaches the learner (nor a lab's own hidden inputs interpolated into its messages).
"""
from __future__ import annotations

import ast
import builtins
import functools
import re

from .config import Limits

ELLIPSIS = "…"
CHECK_ERRORS = {"CheckFailed", "AssertionError"}
PREFIX = re.compile(r"^\[[^\]\n]{1,60}\] ", re.S)  # labkit.checks puts "[<check name>] " first
# Exception names that may be shown: Python's own and the few libraries' a lab calls. A
# submission can name a class anything, so any other name is left out.
KNOWN_ERRORS = frozenset(
    {n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)}
    | {"ClientError", "ParamValidationError", "NoCredentialsError", "EndpointConnectionError", "JSONDecodeError",
       "ConnectionError", "HTTPError", "Timeout", "ReadTimeout"})
# Values a visible check's message may keep when it fills them in.
TYPE_NAMES = frozenset({"str", "bytes", "int", "float", "bool", "list", "dict", "tuple", "set", "frozenset",
                        "NoneType", "None", "True", "False", "bytearray", "Decimal"})
MAX_MATCHED = 4000  # characters of an error value worth comparing with the cell's messages

NOT_SOLVED = "아직 풀지 않았습니다: 위의 코드 셀에서 raise NotImplementedError 줄을 지우고 코드를 작성하십시오."
# The labs' why() ends a check's message with the function's last logged error (labkit.eventsources.last_error).
# That text is the submission's; only which of a few course sentences it calls for is shown.
LAST_ERROR = re.compile(r" ?\(함수의 마지막 오류: (.*)\)", re.S)
TIMED_OUT = re.compile(r"Task timed out after \d{1,4}(\.\d{1,3})? seconds")
ERROR_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,60})(: .*)?", re.S)
RAISED = re.compile(r"^코드를 실행하다가 (.{1,200}?) 예외가 났습니다", re.S)


def _parts(node: ast.AST) -> list[str | None] | None:
    """A message expression as literal text and holes (None); None when it is not text at all."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        out: list[str | None] = []
        for value in node.values:
            out.append(value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None)
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _parts(node.left), _parts(node.right)
        return None if left is None or right is None else left + right
    return None


def _func_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


@functools.lru_cache(maxsize=256)
def templates(source: str) -> tuple[tuple[str | None, ...], ...]:
    """The messages written in a test cell: `check(name, passed, message)` and `assert x, message`."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    found: list[tuple[str | None, ...]] = []
    for node in ast.walk(tree):
        message = None
        if isinstance(node, ast.Call) and _func_name(node.func) == "check":
            message = node.args[2] if len(node.args) >= 3 else next(
                (k.value for k in node.keywords if k.arg == "message"), None)
        elif isinstance(node, ast.Assert):
            message = node.msg
        parts = _parts(message) if message is not None else None
        if parts and any(p for p in parts if p):  # at least some written text
            merged: list[str | None] = []
            for p in parts:
                if p is None and merged and merged[-1] is None:
                    continue
                if isinstance(p, str) and merged and isinstance(merged[-1], str):
                    merged[-1] += p
                else:
                    merged.append(p)
            found.append(tuple(merged))
    return tuple(found)


def _fill(value: str, hidden: bool) -> str | None:
    """What stands in a hole: nothing of a hidden check; only a type name of a visible one.

    Numbers are not kept either: a visible check runs after hidden ones in the same kernel, so a
    student's function can carry a hidden input out as a number (`ord(c) - 0xAC00` is one syllable).
    The learner saw the real value in their own notebook; the feedback says only what was expected.
    """
    value = value.strip().strip("'\"")
    if not hidden and value in TYPE_NAMES:
        return value
    return None


def authored(text: str, source: str, hidden: bool) -> str | None:
    """The cell's own message that `text` (an error value) is an instance of, holes filled safely."""
    if len(text) > MAX_MATCHED:
        return None  # no message of ours is that long; and matching stays cheap
    for parts in templates(source):
        pattern = "".join("(.*?)" if p is None else re.escape(p) for p in parts)
        match = re.fullmatch(pattern, text, re.S)
        if not match:
            continue
        holes = iter(match.groups())
        shown = []
        for i, p in enumerate(parts):
            if p is not None:
                shown.append(p)
                continue
            value = next(holes)
            filled = _fill(value, hidden)
            if filled is not None:
                shown.append(filled)
            elif i != len(parts) - 1:  # a hole at the end (an appended detail) is just left out
                shown.append(ELLIPSIS)
            else:  # ...unless it is why()'s function error, told in the course's words
                shown.append(_last_error(value))
        return "".join(shown).strip()
    return None


def _last_error(value: str) -> str:
    """A course sentence for why()'s " (함수의 마지막 오류: ...)" tail, or "" for anything else."""
    match = LAST_ERROR.fullmatch(value)
    if not match:
        return ""
    error = match.group(1).strip()
    if TIMED_OUT.fullmatch(error):
        return " (함수가 시간 제한을 넘겨 끝났습니다.)"
    if error == "NotImplementedError: 아직 풀지 않았습니다":
        return " (함수의 핸들러를 아직 풀지 않았습니다: raise NotImplementedError 줄을 지우고 코드를 작성하십시오.)"
    name = ERROR_NAME.fullmatch(error)
    kind = exception_name(name.group(1)) if name else None
    return f" (함수가 {kind} 오류로 끝났습니다.)" if kind else ""


def exception_name(name: str) -> str | None:
    return name if name in KNOWN_ERRORS else None


# What `grader.execute.SafeExecute` itself writes into a cell, by error name: its own sentence
# is shown only when the value is one it can write (a submission can raise a class of that name).
SPECIAL = {
    "KernelDied": ("kernel_died", "이 셀을 실행하다가 커널이 멈췄습니다."),
    "NotRun": ("not_run", "앞의 셀 때문에 이 셀은 실행하지 않았습니다."),
    "CellTimeoutError": ("timeout", "셀이 시간 제한을 넘겨 실행을 멈췄습니다."),
}


def special_text(ename: str, evalue: str, limits: Limits) -> tuple[str, str] | None:
    """(status, message) for an error the grader wrote itself, or None for any other error."""
    if ename not in SPECIAL:
        return None
    from .execute import own_messages

    status, fallback = SPECIAL[ename]
    return status, evalue if evalue in own_messages(limits).get(ename, set()) else fallback


def failure_text(ename: str, evalue: str, source: str, hidden: bool) -> str:
    """The learner's message for one error output of a graded cell, from course-written text only."""
    evalue = (evalue or "").strip()
    if ename in CHECK_ERRORS:
        body = PREFIX.sub("", evalue, count=1)
        if body == NOT_SOLVED:
            return NOT_SOLVED
        raised = RAISED.match(body)
        if raised:
            kind = exception_name(raised.group(1))
            what = f"{kind} 예외가 났습니다" if kind else "예외가 났습니다"
            return f"코드를 실행하다가 {what}." + _where(hidden)
        mine = authored(body, source, hidden)
        if mine:
            return mine
        return "숨겨진 테스트를 통과하지 못했습니다 (결과가 틀림)." if hidden else "점검을 통과하지 못했습니다 (결과가 틀림)."
    kind = exception_name(ename)
    what = f"{kind} 오류로" if kind else "오류로"
    if hidden:
        return f"숨겨진 테스트가 {what} 끝났습니다. 과제 설명의 조건을 다시 확인하십시오."
    return f"점검 셀이 {what} 끝났습니다." + _where(hidden)


def _where(hidden: bool) -> str:
    if hidden:
        return " 과제 설명의 조건을 다시 확인하십시오."
    return " 노트북에서 이 점검 셀을 실행하면 자세한 내용을 볼 수 있습니다."
