"""Two real local users on one machine: neither can read the instructor's files or change another's.

The review found the exchange inside the course folder, so every student could read
`solutions/` (the hidden tests), the gradebook and others' feedback, and replace another
student's collected notebook (`submitted/<id>/<lab>` was 0777), which the next autograde graded
without a word. Here two throw-away accounts fetch and submit through nbgrader's exchange as
themselves, then one tries to read and replace the other's files. Needs root (to add users).
"""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from grader.batch import autograde_all
from grader.collect import collect_exchange
from grader.config import COURSE_ID, course_config, nbgrader_api

from .conftest import TEST_LIMITS
from .helpers import answered

SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def _python_for_students() -> str | None:
    """An interpreter other users can run, of the venv's version (see docs/instructor/grading.md)."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        try:
            out = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                                 text=True, timeout=20).stdout.strip()
        except OSError:
            continue
        if out == str(tuple(sys.version_info[:2])):
            return candidate
    return None


@pytest.fixture
def users():
    if os.geteuid() != 0:
        pytest.skip("다른 사용자를 만들려면 root 권한이 필요해 이 시험을 건너뜁니다 (sudo 로 실행하면 합니다).")
    if not shutil.which("useradd"):
        pytest.skip("useradd 가 없어 다른 사용자로 시험할 수 없습니다.")
    python = _python_for_students()
    if python is None:
        pytest.skip(f"다른 사용자가 실행할 수 있는 Python {sys.version_info.major}.{sys.version_info.minor}이 없어 건너뜁니다.")
    tag = uuid.uuid4().hex[:6]
    names = [f"gs{tag}k", f"gs{tag}l"]
    for name in names:
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True, capture_output=True)
    try:
        # Students run nbgrader from the course's site-packages: a course cloned under a private
        # folder (`mktemp -d` makes it 0700) is out of their reach, as it would be on a server.
        probe = as_user(names[0], python, "import nbgrader")
        if probe.returncode != 0:
            pytest.skip(f"다른 사용자가 과정의 패키지({SITE})에 들어갈 수 없어 건너뜁니다: 과정 폴더의 "
                        "상위 폴더 가운데 다른 사용자가 지나갈 수 없는(o+x가 없는) 폴더가 있습니다.")
        yield python, names
    finally:
        for name in names:
            subprocess.run(["userdel", "-r", "-f", name], capture_output=True)


def as_user(user: str, python: str, code: str) -> subprocess.CompletedProcess:
    home = f"/home/{user}"
    env = {"HOME": home, "USER": user, "LOGNAME": user, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
           "PYTHONPATH": str(SITE)}
    return subprocess.run(["runuser", "-u", user, "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()],
                           python, "-c", code], capture_output=True, text=True, timeout=120, cwd=home)


NBGRADER = "import sys\nfrom nbgrader.apps import NbGraderApp\nsys.argv = ['nbgrader', *{args!r}]\nNbGraderApp.launch_instance()"


def test_a_student_can_neither_read_the_instructors_files_nor_replace_anothers(users, released_lab00, monkeypatch):
    python, (kim, lee) = users
    top = Path(tempfile.mkdtemp(prefix="gs-h2-", dir="/tmp"))
    try:
        os.chmod(top, 0o755)  # a place every user can pass through, like /home or /srv
        course = top / "course"
        shutil.copytree(released_lab00, course)
        for path in [course, *course.rglob("*")]:  # as a `git clone` with umask 022 leaves it
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        monkeypatch.setenv("COURSE_EXCHANGE", str(top / "exchange"))
        config = course_config(course)
        exchange = Path(config.Exchange.root)
        assert not Path(config.Exchange.root).is_relative_to(course)
        assert nbgrader_api(course, config).release_assignment("lab00")["success"]
        answers = {kim: answered(course), lee: answered(course, {})}
        for user, nb in answers.items():
            args = ["--CourseDirectory.course_id=" + COURSE_ID, f"--Exchange.root={config.Exchange.root}"]
            got = as_user(user, python, NBGRADER.format(args=["fetch_assignment", "lab00", *args]))
            assert got.returncode == 0, got.stderr[-2000:]
            mine = Path(f"/home/{user}/lab00/lab00.ipynb")
            import nbformat

            nbformat.write(nb, mine)
            os.chown(mine, *(lambda s: (s.st_uid, s.st_gid))(mine.parent.stat()))
            got = as_user(user, python, NBGRADER.format(args=["submit", "lab00", *args]))
            assert got.returncode == 0, got.stderr[-2000:]
        assert collect_exchange("lab00", course) == sorted([kim, lee])

        kims = course / "grader/work/submitted" / kim / "lab00" / "lab00.ipynb"
        secrets = [course / "solutions/lab00/lab00.ipynb", course / "grader/work/gradebook.db", kims]
        probe = ("import json, os, sys\nout = {}\nfor p in sys.argv[1:]:\n"
                 "    try:\n        open(p, 'rb').read(10); out[p] = 'read'\n"
                 "    except OSError as exc:\n        out[p] = type(exc).__name__\n"
                 "try:\n    open(sys.argv[-1] + '.new', 'w').write('{}'); os.replace(sys.argv[-1] + '.new', sys.argv[-1]); "
                 "out['replace'] = 'replaced'\nexcept OSError as exc:\n    out['replace'] = type(exc).__name__\n"
                 f"try:\n    os.listdir({str(exchange / COURSE_ID / 'inbound')!r}); out['inbound'] = 'listed'\n"
                 "except OSError as exc:\n    out['inbound'] = type(exc).__name__\n"
                 f"try:\n    os.rename({str(exchange / COURSE_ID)!r}, {str(exchange / 'moved')!r}); out['rename'] = 'renamed'\n"
                 "except OSError as exc:\n    out['rename'] = type(exc).__name__\n"
                 "print(json.dumps(out))")
        got = as_user(lee, python, "import sys; sys.argv[1:] = " + repr([str(p) for p in secrets]) + "\n" + probe)
        import json

        seen = json.loads(got.stdout)
        assert seen == {**{str(p): "PermissionError" for p in secrets}, "replace": "PermissionError",
                        "inbound": "PermissionError", "rename": "PermissionError"}, seen
        for folder in (course / "grader/work", course / "solutions", kims.parent):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder

        # A file that changes after collect (here by root) is graded only with a flag and a note.
        report = autograde_all("lab00", course, jobs=2, limits=TEST_LIMITS, progress=False)
        assert {o.student: o.flagged for o in report.graded} == {kim: False, lee: False}
        shutil.copyfile(course / "grader/work/submitted" / lee / "lab00/lab00.ipynb", kims)
        again = autograde_all("lab00", course, jobs=2, limits=TEST_LIMITS, progress=False)
        assert kim in again.changed and "모은(collect) 뒤에 바뀌었습니다" in again.changed[kim]
        (outcome,) = again.graded
        assert outcome.student == kim and outcome.flagged
        assert "changed_after_collect" in {n.code for n in outcome.notes}
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_a_venv_python_behind_a_private_home_is_reported():
    from grader.exchange import student_config, unrunnable_by_others

    tmp_path = Path(tempfile.mkdtemp(prefix="gs-py-", dir="/tmp"))
    home = tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    python = home / "bin" / "python3"
    python.write_text("#!/bin/sh\n")
    os.chmod(python, 0o755)
    os.chmod(tmp_path, 0o755)
    os.chmod(home, 0o700)  # like /root or a home made with umask 077
    assert "권한이 700입니다" in unrunnable_by_others(python) and "COURSE_PYTHON=" in unrunnable_by_others(python)
    os.chmod(home, 0o755)
    try:
        assert unrunnable_by_others(python) is None
        assert f"c.Exchange.root = '{tmp_path}'" in student_config(COURSE_ID, tmp_path)
    finally:
        shutil.rmtree(tmp_path)


def test_a_submission_made_in_another_students_name_is_not_collected(users, released_lab00, monkeypatch, capsys):
    """`inbound/` is writable by every student and nbgrader takes the student from the folder name:
    lee made `kim+lab00+<later time>+x` and collect took it as kim's latest submission, so kim was
    graded on lee's notebook (nbgrader only logs a warning). It is set aside and reported."""
    import nbformat

    _, (kim, lee) = users
    top = Path(tempfile.mkdtemp(prefix="gs-imp-", dir="/tmp"))
    try:
        course = top / "course"
        shutil.copytree(released_lab00, course)
        monkeypatch.setenv("COURSE_EXCHANGE", str(top / "exchange"))
        config = course_config(course)
        assert nbgrader_api(course, config).release_assignment("lab00")["success"]
        inbound = Path(config.Exchange.root) / COURSE_ID / "inbound"

        def submit(owner: str, name: str, stamp: str, nb) -> None:
            folder = inbound / f"{name}+lab00+{stamp} UTC+{uuid.uuid4().hex[:12]}"
            folder.mkdir()
            nbformat.write(nb, folder / "lab00.ipynb")
            (folder / "timestamp.txt").write_text(f"{stamp} UTC")
            for path in (folder, *folder.iterdir()):
                shutil.chown(path, owner)

        submit(kim, kim, "2026-12-01 10:00:00.000000", answered(course))
        submit(lee, lee, "2026-12-01 10:05:00.000000", answered(course, {}))
        submit(lee, kim, "2026-12-01 11:00:00.000000", answered(course, {}))  # lee, in kim's name, later

        assert collect_exchange("lab00", course) == sorted([kim, lee])
        kims = course / "grader/work/submitted" / kim / "lab00"
        assert (kims / "timestamp.txt").read_text().startswith("2026-12-01 10:00:00")
        err = capsys.readouterr().err
        assert f"{kim}의 이름으로 냈지만 {lee}" in err and "모으지 않았습니다" in err
        assert not list(inbound.glob(f"{kim}+lab00+2026-12-01 11:00:00*"))
    finally:
        shutil.rmtree(top, ignore_errors=True)
