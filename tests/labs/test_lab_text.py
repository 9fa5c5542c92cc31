"""What every lab notebook tells the learner: points and minutes per task, and messages with one particle."""
from __future__ import annotations

import re

import nbformat
import pytest

from grader.config import ROOT, lab_ids

HEADING = re.compile(r"^## 과제 (\d+)\. .+ \((\d+)점, (\d+)분\)$")
PLACEHOLDER = re.compile(r"을\(를\)|를\(을\)|이\(가\)|가\(이\)|은\(는\)|는\(은\)|와\(과\)|과\(와\)|\(으\)로")


# A lab may hold several notebooks (lab02-1, lab02-2): each is read by itself, as a learner opens it.
NOTEBOOKS = [(lab, path.stem) for lab in lab_ids() for path in sorted((ROOT / "solutions" / lab).glob("*.ipynb"))]


def notebook(lab: str, name: str | None = None) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / lab / f"{name or lab}.ipynb", as_version=4)


@pytest.mark.parametrize("lab,name", NOTEBOOKS)
def test_every_task_heading_gives_its_points_and_minutes(lab, name):
    nb = notebook(lab, name)
    tasks = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## 과제")]
    assert tasks, lab
    points: dict[str, float] = {}
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id", "")
        if c.metadata.get("nbgrader", {}).get("grade") and gid.startswith("check_"):
            points[gid.split("_")[1]] = points.get(gid.split("_")[1], 0) + c.metadata["nbgrader"]["points"]
    minutes = 0
    for heading in tasks:
        match = HEADING.match(heading)
        assert match, f"{lab}: 과제 제목에 (N점, M분)이 없습니다: {heading}"
        number, score, spent = match.groups()
        assert points.get(number) == int(score), (heading, points)
        minutes += int(spent)
    assert minutes <= nb.metadata["course"]["minutes"], (lab, minutes)
    assert f"{int(sum(points.values()))}점 (과제 {len(tasks)}개)" in nb.cells[0].source


@pytest.mark.parametrize("lab,name", NOTEBOOKS)
def test_no_particle_placeholder_in_any_cell_a_learner_reads(lab, name):
    # Markdown and code alike: the check messages are f-strings in code cells.
    found = [(i, m.group()) for i, c in enumerate(notebook(lab, name).cells) for m in PLACEHOLDER.finditer(c.source)]
    assert not found, f"{lab}: 을(를) 같은 조사 자리표시가 남았습니다 (셀 번호, 표기): {found}"


@pytest.mark.parametrize("lab,name", NOTEBOOKS)
def test_no_notebook_runs_past_two_hours(lab, name):
    # The course's two-hour rule: a longer lab is split into notebooks of the same lab (lab02-1, lab02-2).
    minutes = notebook(lab, name).metadata["course"]["minutes"]
    assert minutes <= 120, f"{name}.ipynb는 {minutes}분입니다. 두 시간이 넘는 실습은 같은 실습의 노트북 여러 개로 나누십시오."
