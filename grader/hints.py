"""How a message names the command that fixes something: the form the instructor types."""
from __future__ import annotations

import shlex
from pathlib import Path

from .config import ROOT


def command(args: str, root: Path | str = ROOT) -> str:
    """`./course grade <args>`, with `--root` when grading a course other than this project."""
    root = Path(root).resolve()
    prefix = "./course grade"
    if root != ROOT.resolve():
        prefix += f" --root {shlex.quote(str(root))}"
    return f"{prefix} {args}"
