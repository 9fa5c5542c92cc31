"""Facts the pages state about the project itself match the project (preflight, curriculum)."""

from __future__ import annotations

import re

from site_testkit import DOCS

from workshop.preflight import CHECKS


def _preflight_section() -> str:
    setup = (DOCS / "start" / "setup.md").read_text(encoding="utf-8")
    start = setup.index("./course preflight\n```")
    return setup[start:setup.index("\n## ", start)]


def test_setup_page_lists_one_bullet_per_preflight_check_and_counts_them() -> None:
    section = _preflight_section()
    bullets = [line for line in section.splitlines() if line.startswith("- ")]
    assert len(bullets) == len(CHECKS), (
        f"설치 페이지의 점검 목록은 {len(bullets)}개인데 ./course preflight의 점검은 {len(CHECKS)}개입니다."
    )
    assert f"점검 {len(CHECKS)}개 모두 통과" in section


def test_setup_page_says_preflight_grades_every_lab() -> None:
    labs = sorted(p.name for p in (DOCS.parent / "solutions").iterdir() if p.is_dir())
    grading = next(line for line in _preflight_section().splitlines() if "nbgrader" in line)
    for lab in labs:
        assert lab in grading, f"preflight는 {lab}도 채점하는데 설치 페이지는 말하지 않습니다: {grading}"


def test_every_page_puts_serverless_framework_in_the_curriculum_chapter() -> None:
    home = (DOCS / "index.md").read_text(encoding="utf-8")
    row = next(line for line in home.splitlines() if line.startswith("| ") and "Serverless Framework" in line)
    chapter = row.split("|")[1].strip()
    wrong = []
    for page in sorted(DOCS.rglob("*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        cells = [cell for line in lines if line.startswith("|") for cell in line.split("|")]
        prose = " ".join(" ".join(line for line in lines if not line.startswith("|")).split())
        for sentence in cells + re.split(r"(?<=[.다])\s", prose):
            if "Serverless Framework" in sentence or "serverless package" in sentence:
                wrong += [f"{page.relative_to(DOCS)}: {n}장" for n in re.findall(r"(\d+)장", sentence)
                          if n != chapter]
    assert not wrong, f"Serverless Framework는 {chapter}장입니다: {wrong}"
