"""Install the course's Korean fonts, and Korean labels for nbgrader, into JupyterLab as prebuilt extensions in the venv.

`./course` runs `python -m workshop.lab_fonts` after `npm ci`. The extensions go to
`<venv>/share/jupyter/labextensions/`, where every JupyterLab or Notebook 7 started from this venv
finds them (`./course start`, a JupyterHub single-user server), with no per-user file and no
external request:
- `serverless-workshop-fonts` (source `workshop/jupyterlab_fonts/`): the font files come from
  node_modules (versions pinned in package-lock.json);
- `serverless-workshop-korean` (source `workshop/jupyterlab_korean/`): nbgrader's assignment list
  in Korean (nbgrader's extension has no translations for the language pack to use).
"""
from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

from grader.config import ROOT  # the course root, defined once

SOURCE = Path(__file__).resolve().parent / "jupyterlab_fonts"
NAME = "serverless-workshop-fonts"
KOREAN_SOURCE = Path(__file__).resolve().parent / "jupyterlab_korean"
KOREAN_NAME = "serverless-workshop-korean"
NANUM = "@fontsource/nanum-gothic-coding"

# Path under static/ -> path under node_modules.
FONT_FILES = {
    "pretendard/pretendardvariable.css": "pretendard/dist/web/variable/pretendardvariable.css",
    "pretendard/woff2/PretendardVariable.woff2": "pretendard/dist/web/variable/woff2/PretendardVariable.woff2",
    "pretendard/LICENSE.txt": "pretendard/dist/LICENSE.txt",
    "nanum-gothic-coding/LICENSE": f"{NANUM}/LICENSE",
}
NANUM_CSS = ("400.css", "700.css")
# fontsource lists a .woff fallback after each .woff2; only the .woff2 files are installed.
WOFF_FALLBACK = re.compile(r",\s*url\(\./files/[^)]+\.woff\) format\('woff'\)")


def extension_dir(prefix: Path = Path(sys.prefix), name: str = NAME) -> Path:
    return prefix / "share" / "jupyter" / "labextensions" / name


def install(prefix: Path = Path(sys.prefix), node_modules: Path = ROOT / "node_modules") -> Path:
    """(Re)install both extensions under `prefix`; the fonts' folder. FileNotFoundError (Korean) if npm files are missing."""
    nanum = node_modules / NANUM
    needed = [node_modules / src for src in FONT_FILES.values()] + [nanum / css for css in NANUM_CSS]
    missing = [str(path.relative_to(node_modules)) for path in needed if not path.is_file()]
    if missing:
        raise FileNotFoundError(
            "JupyterLab 한글 글꼴을 설치할 수 없습니다. node_modules에 없는 파일: " + ", ".join(missing)
            + ". 저장소 맨 위 폴더에서 ./course start 를 다시 실행하면 npm ci 가 설치합니다.")

    def add_fonts(static: Path) -> None:
        for dest, src in FONT_FILES.items():
            (static / dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(node_modules / src, static / dest)
        (static / "nanum-gothic-coding" / "files").mkdir()
        for css in NANUM_CSS:
            text = (nanum / css).read_text(encoding="utf-8")
            (static / "nanum-gothic-coding" / css).write_text(WOFF_FALLBACK.sub("", text), encoding="utf-8")
        for woff2 in (nanum / "files").glob("*.woff2"):
            shutil.copyfile(woff2, static / "nanum-gothic-coding" / "files" / woff2.name)

    _swap_in(KOREAN_SOURCE, extension_dir(prefix, KOREAN_NAME))
    return _swap_in(SOURCE, extension_dir(prefix), add_fonts)


def _swap_in(source: Path, target: Path, fill=None) -> Path:
    """Copy `source` (and what `fill(static)` adds) next to `target`, then swap it in, so a running
    JupyterLab never sees half a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        shutil.copytree(source, staging, dirs_exist_ok=True)
        if fill:
            fill(staging / "static")
        old = target.with_name(f".{target.name}-old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


if __name__ == "__main__":
    try:
        install()
    except FileNotFoundError as exc:
        print(f"[오류] {exc}", file=sys.stderr)
        sys.exit(1)
