"""`./course solution <lab>`: the solution opens from JupyterLab (root workspace/), the learner's work stays."""
from __future__ import annotations

import os
import subprocess

import nbformat

from workshop.start import ROOT
from workshop.solution import available_labs


def course(workspace, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COURSE_WORKSPACE": str(workspace)}
    return subprocess.run([str(ROOT / "course"), "solution", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_solution_lands_under_the_workspace_and_the_learners_notebook_is_untouched(tmp_path):
    mine = tmp_path / "lab01" / "lab01.ipynb"
    mine.parent.mkdir()
    mine.write_text("내 풀이", encoding="utf-8")
    proc = course(tmp_path, "lab01")
    assert proc.returncode == 0, proc.stderr
    copy = tmp_path / "solutions" / "lab01" / "lab01.ipynb"
    assert copy.read_bytes() == (ROOT / "solutions" / "lab01" / "lab01.ipynb").read_bytes()
    assert mine.read_text(encoding="utf-8") == "내 풀이"
    assert "solutions/lab01/" in proc.stdout and "Traceback" not in proc.stderr
    # The copy is the instructor's source: the answers and hidden tests are in it.
    assert "### BEGIN HIDDEN TESTS" in "".join(c.source for c in nbformat.read(copy, as_version=4).cells)


def test_running_it_again_keeps_the_copy_the_learner_wrote_in(tmp_path):
    assert course(tmp_path, "lab00").returncode == 0
    copy = tmp_path / "solutions" / "lab00" / "lab00.ipynb"
    copy.write_text("메모를 적은 풀이", encoding="utf-8")
    proc = course(tmp_path, "lab00")
    assert proc.returncode == 0, proc.stderr
    assert copy.read_text(encoding="utf-8") == "메모를 적은 풀이"
    assert "그대로 둔 파일: lab00.ipynb" in proc.stdout and "지우거나 이름을 바꾼 뒤" in proc.stdout


def test_an_unknown_lab_is_refused_in_korean_with_the_list_of_labs(tmp_path):
    proc = course(tmp_path, "lab99")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "실습 'lab99'의 풀이가 없습니다" in proc.stderr
    assert f"있는 실습: {', '.join(available_labs())}" in proc.stderr
    assert not (tmp_path / "solutions").exists()
    missing = course(tmp_path)
    assert missing.returncode == 2 and "사용법: ./course solution <실습>" in missing.stderr


def test_course_usage_lists_the_command():
    proc = subprocess.run([str(ROOT / "course"), "help"], capture_output=True, text=True, timeout=30)
    assert "solution <실습>" in proc.stdout
