"""`./course solution <lab>`: copy one lab's solution into the learner's workspace.

JupyterLab's root is `workspace/`, so `solutions/` cannot be opened from its file browser. The
copy goes to `workspace/solutions/<lab>/`, beside the learner's own `workspace/<lab>/`, which is
never touched. A file already in the copy is kept (the learner may have written notes in it), so
running the command twice loses nothing. The handler folders (`lab01_functions/`) are not in
`solutions/`: the solution notebook writes them next to itself when it runs, inside
`workspace/solutions/<lab>/`, away from the learner's.
"""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat

from workshop.start import ROOT, WORKSPACE

SOLUTIONS = ROOT / "solutions"
SKIPPED = {".ipynb_checkpoints", "__pycache__"}


_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


def write_handler_files(notebook: Path, dest: Path) -> dict[str, Path]:
    """Write every `%%writefile` cell of a solution notebook (markers removed) under `dest`, in order,
    as running the notebook would (a later cell replaces an earlier file); folder name -> folder."""
    folders = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "code" and cell.source.startswith("%%writefile "):
            first, _, body = _MARKER.sub("", cell.source).partition("\n")
            path = dest / first.split(maxsplit=1)[1]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body + "\n", encoding="utf-8")
            folders[path.parent.name] = path.parent
    return folders


class SolutionError(Exception):
    """The lab cannot be copied; the message says why and what to do, in Korean."""


def available_labs(solutions: Path = SOLUTIONS) -> list[str]:
    """The labs that have a solution notebook, in course order."""
    return sorted(p.name for p in solutions.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def copy_solution(lab: str, solutions: Path = SOLUTIONS, workspace: Path = WORKSPACE) -> tuple[list[Path], list[Path]]:
    """Copy `solutions/<lab>/` into `workspace/solutions/<lab>/`; return (copied, kept) destination files."""
    labs = available_labs(solutions)
    if lab not in labs:
        raise SolutionError(f"실습 {lab!r}의 풀이가 없습니다. 있는 실습: {', '.join(labs)}\n"
                            f"       예: ./course solution {labs[-1]}")
    source, target = solutions / lab, workspace / "solutions" / lab
    copied, kept = [], []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or SKIPPED & set(relative.parts):
            continue
        dest = target / relative
        if dest.exists():
            kept.append(dest)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
        copied.append(dest)
    return copied, kept


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    labs = available_labs()
    if len(args) != 1 or args[0].startswith("-"):
        print("사용법: ./course solution <실습>   예: ./course solution lab01", file=sys.stderr)
        print(f"       있는 실습: {', '.join(labs)}", file=sys.stderr)
        return 2
    lab = args[0]
    try:
        copied, kept = copy_solution(lab)
    except SolutionError as exc:
        print(f"\n[오류] {exc}", file=sys.stderr)
        return 1
    target = WORKSPACE / "solutions" / lab
    shown = lambda paths: ", ".join(str(p.relative_to(target)) for p in paths)  # noqa: E731
    if copied:
        print(f"• {lab} 풀이를 workspace/solutions/{lab}/ 에 복사했습니다: {shown(copied)}")
    if kept:
        print(f"• 이미 있어서 그대로 둔 파일: {shown(kept)}")
        print("  새로 받으려면 그 파일을 지우거나 이름을 바꾼 뒤 다시 실행하십시오.")
    print(f"JupyterLab의 파일 브라우저에서 solutions/{lab}/ 를 여십시오. 내 풀이({lab}/)는 그대로입니다.")
    print("채점 과제로 듣고 있다면 제출이 끝난 뒤에 여십시오.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
