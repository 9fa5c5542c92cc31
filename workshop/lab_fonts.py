"""Install the course's Korean fonts into JupyterLab as a prebuilt extension in the venv.

`./course` runs `python -m workshop.lab_fonts` after `npm ci`. The extension goes to
`<venv>/share/jupyter/labextensions/serverless-workshop-fonts/`, where every JupyterLab or
Notebook 7 started from this venv finds it (`./course start`, a JupyterHub single-user server),
with no per-user file and no external request. Source: `workshop/jupyterlab_fonts/`; the font
files come from node_modules (versions pinned in package-lock.json).
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


def extension_dir(prefix: Path = Path(sys.prefix)) -> Path:
    return prefix / "share" / "jupyter" / "labextensions" / NAME


def install(prefix: Path = Path(sys.prefix), node_modules: Path = ROOT / "node_modules") -> Path:
    """(Re)install the extension under `prefix`; FileNotFoundError (Korean) if npm files are missing."""
    nanum = node_modules / NANUM
    needed = [node_modules / src for src in FONT_FILES.values()] + [nanum / css for css in NANUM_CSS]
    missing = [str(path.relative_to(node_modules)) for path in needed if not path.is_file()]
    if missing:
        raise FileNotFoundError(
            "JupyterLab 한글 글꼴을 설치할 수 없습니다. node_modules에 없는 파일: " + ", ".join(missing)
            + ". 저장소 맨 위 폴더에서 ./course start 를 다시 실행하면 npm ci 가 설치합니다.")
    target = extension_dir(prefix)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build next to the target and swap it in, so a running JupyterLab never sees half a copy.
    staging = Path(tempfile.mkdtemp(prefix=f".{NAME}-", dir=target.parent))
    try:
        shutil.copytree(SOURCE, staging, dirs_exist_ok=True)
        static = staging / "static"
        for dest, src in FONT_FILES.items():
            (static / dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(node_modules / src, static / dest)
        (static / "nanum-gothic-coding" / "files").mkdir()
        for css in NANUM_CSS:
            text = (nanum / css).read_text(encoding="utf-8")
            (static / "nanum-gothic-coding" / css).write_text(WOFF_FALLBACK.sub("", text), encoding="utf-8")
        for woff2 in (nanum / "files").glob("*.woff2"):
            shutil.copyfile(woff2, static / "nanum-gothic-coding" / "files" / woff2.name)
        old = target.with_name(f".{NAME}-old")
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
