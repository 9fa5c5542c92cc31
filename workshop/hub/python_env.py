"""The interpreter learners' servers run: the course's `.venv`, in a form their accounts can run.

A venv's `bin/python` links to the Python it was made from. Made from a pyenv in root's home
(`/root`, 0700), as on this kind of machine, no other account can run it ("bad interpreter:
Permission denied"; `grader.exchange.unrunnable_by_others` says why). Rebuilding the course's
environment for the room is not needed: the hub makes a small venv in its own folder on a
system Python of the same major.minor version (CPython keeps the ABI within a minor version,
so the compiled wheels are the same), whose one `.pth` line adds the course's site-packages
with `site.addsitedir` (so the course's editable install of labkit and grader works too).
Jupyter finds the course's extensions, language pack settings and page config through
`jupyter_paths()` (JUPYTER_PATH and friends), not through `sys.prefix`.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from grader.exchange import unrunnable_by_others

CANDIDATES = ("/usr/bin/python{v}", "/usr/local/bin/python{v}", "/usr/bin/python3", "/usr/local/bin/python3")


class PythonEnvError(Exception):
    """No interpreter learners can run; the message is Korean."""


def course_prefix() -> Path:
    return Path(sys.prefix)


def site_packages(prefix: Path | None = None) -> Path:
    v = sys.version_info
    return Path(prefix or course_prefix()) / "lib" / f"python{v.major}.{v.minor}" / "site-packages"


def jupyter_paths(prefix: Path | None = None) -> dict[str, str]:
    """Environment that makes any interpreter's Jupyter see the course venv's data and config."""
    prefix = Path(prefix or course_prefix())
    return {
        "JUPYTER_PATH": str(prefix / "share" / "jupyter"),          # labextensions (nbgrader, fonts)
        "JUPYTER_CONFIG_PATH": str(prefix / "etc" / "jupyter"),     # server extensions, page_config.json
        "JUPYTERLAB_DIR": str(prefix / "share" / "jupyter" / "lab"),  # settings/overrides.json (ko_KR)
    }


def _same_minor(python: str) -> bool:
    try:
        out = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                             text=True, timeout=20).stdout.strip()
    except OSError:
        return False
    return out == str(tuple(sys.version_info[:2]))


def learner_python(folder: Path) -> tuple[str, str | None]:
    """(interpreter for learners' servers, Korean note or None) for the hub in `folder`.

    The course's own `.venv/bin/python` when other accounts can run it; else an overlay venv
    in `folder/python` (made once, kept).
    """
    own = Path(sys.prefix) / "bin" / "python"
    why = unrunnable_by_others(own)
    if why is None:
        return str(own), None
    v = f"{sys.version_info.major}.{sys.version_info.minor}"
    for pattern in CANDIDATES:
        base = pattern.format(v=v)
        if Path(base).is_file() and unrunnable_by_others(base) is None and _same_minor(base):
            return str(make_overlay(Path(folder) / "python", base)), (
                f"과정의 .venv Python은 다른 계정이 실행할 수 없어({Path(own).resolve()}), 학습자 서버는 "
                f"{base}에 과정의 패키지를 잇대어 실행합니다 ({Path(folder) / 'python'}).")
    raise PythonEnvError(
        f"학습자 계정이 실행할 수 있는 Python {v}이 없습니다. {why}\n"
        f"       Debian/Ubuntu라면 sudo apt-get install python{v} 으로 설치한 뒤 다시 실행하십시오.")


def make_overlay(target: Path, base: str) -> Path:
    """A venv at `target` on `base` that imports from the course's site-packages; its python."""
    python = target / "bin" / "python"
    pth = site_packages(target) / "course-venv.pth"
    line = f"import site; site.addsitedir({str(site_packages())!r})\n"
    if not (python.exists() and pth.is_file() and pth.read_text() == line):
        subprocess.run([base, "-m", "venv", "--clear", "--without-pip", str(target)], check=True,
                       capture_output=True, timeout=120)
        pth.write_text(line)
    for path in [target, *target.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or path.stat().st_mode & 0o100 else 0o644)
    return python
