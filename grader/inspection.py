"""Spot answer code that looks at its caller's frames or source: the way to read a hidden test.

A function a hidden test calls runs inside that test: with `sys._getframe(1)`, `inspect`,
`linecache`, `traceback.extract_stack`, `frame.f_back`, `gc.get_referrers`, IPython's input
history (`In`, `_ih`) or the notebook file it can read the test's code and data. The feedback
never shows what such code produces (`grader.check_messages`); this flags the submission
("강사 확인 필요") so the instructor sees the attempt. The answers of this course need none of it.
"""
from __future__ import annotations

import ast
import re

# Modules whose only use in an answer here would be to look at frames or source.
MODULES = {"inspect", "linecache", "traceback", "gc", "dis", "tokenize", "pdb", "bdb", "faulthandler", "importlib"}
# Ways to hide the names above from a reader: a computed attribute or module name, or code run from text.
DYNAMIC = {"getattr", "eval", "exec", "compile", "__import__"}
# Attributes that walk from a frame, a traceback, a generator or a function to code and callers.
ATTRIBUTES = {"_getframe", "_current_frames", "f_back", "f_code", "f_globals", "f_locals", "f_lineno", "tb_frame",
              "tb_next", "gi_frame", "cr_frame", "ag_frame", "co_consts", "co_filename", "__traceback__",
              "get_referrers", "get_referents", "get_objects", "exc_info", "settrace", "setprofile",
              "extract_stack", "walk_stack", "print_stack", "format_stack", "currentframe", "getsource",
              "getsourcelines", "getlines", "getline", "user_ns", "history_manager", "last_traceback"}
# IPython keeps every cell's input (hidden tests included once they ran) under these names.
NAMES = {"In", "_ih", "_oh", "Out", "_i", "_ii", "_iii", "__file__", "_getframe"}
NAME_PATTERN = re.compile(r"^_i\d+$")
# Text that names the notebook or IPython's cell files.
STRINGS = re.compile(r"\.ipynb|ipykernel_|<ipython-input|_getframe|f_back|tb_frame|linecache|co_consts")


def findings(source: str) -> list[str]:
    """What in `source` (one answer cell) reads frames or source, as short descriptions."""
    found: list[str] = []
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return [m.group(0) for m in STRINGS.finditer(code)][:3]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in MODULES]
        elif isinstance(node, ast.ImportFrom):
            module = (node.module or "").split(".")[0]
            if module in MODULES:
                found.append(f"from {node.module} import")
            elif module == "sys":
                found += [f"from sys import {a.name}" for a in node.names if a.name in ATTRIBUTES]
        elif isinstance(node, ast.Attribute) and node.attr in ATTRIBUTES:
            found.append(f".{node.attr}")
        elif isinstance(node, ast.Name) and (node.id in NAMES or NAME_PATTERN.match(node.id)):
            found.append(node.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in DYNAMIC:
            if node.func.id != "getattr" or (len(node.args) >= 2 and not isinstance(node.args[1], ast.Constant)):
                found.append(f"{node.func.id}(…)")
            elif len(node.args) >= 2 and node.args[1].value in ATTRIBUTES:
                found.append(f"getattr(…, {node.args[1].value!r})")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [m.group(0) for m in STRINGS.finditer(node.value)]
            if node.value in ATTRIBUTES | MODULES | NAMES:
                found.append(repr(node.value))  # getattr(sys, "_getframe"), globals()["In"]
    return sorted(set(found))


def inspects_frames(cells: list[str]) -> list[str]:
    """Findings over the submission's own code cells (the caller leaves the course's locked cells out)."""
    found: set[str] = set()
    for source in cells:
        found.update(findings(source))
    return sorted(found)
