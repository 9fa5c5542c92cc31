"""The committed release in labs/ is exactly what nbgrader makes from solutions/ and leaks nothing."""
from __future__ import annotations


import nbformat
import pytest

from grader.config import ROOT, lab_ids
from grader.release import check_release, release_in_copy

LABS = lab_ids()


@pytest.mark.parametrize("lab", LABS)
def test_committed_release_matches_solutions(lab, tmp_path):
    fresh = release_in_copy(lab, tmp_path / "course")
    for generated in sorted((fresh / "labs" / lab).rglob("*")):
        if generated.is_dir():
            continue
        committed = ROOT / "labs" / lab / generated.relative_to(fresh / "labs" / lab)
        assert committed.exists(), f"배포본 파일이 없습니다: {committed}. ./course release 로 labs/를 다시 만드십시오."
        assert committed.read_bytes() == generated.read_bytes(), (
            f"배포본이 solutions/와 어긋났습니다: {committed.relative_to(ROOT)}. ./course release 를 실행하고 커밋하십시오."
        )


@pytest.mark.parametrize("lab", LABS)
def test_committed_release_has_no_solution_no_hidden_test_no_output(lab):
    assert check_release(lab) == []


@pytest.mark.parametrize("lab", LABS)
def test_sources_are_committed_without_outputs(lab):
    for path in (ROOT / "solutions" / lab).glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        dirty = [c.get("id") for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert not dirty, f"{path.relative_to(ROOT)}: 출력이 남은 셀 {dirty}. 출력을 지우고 커밋하십시오."


def test_release_check_catches_a_leaked_solution_and_a_pointless_grade_cell(tmp_path):
    course = release_in_copy("lab00", tmp_path / "course")
    path = course / "labs" / "lab00" / "lab00.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "task3_solution":
            cell.source = 'def list_keys(bucket, prefix=""):\n    return sorted(keys)'
        if meta.get("grade_id") == "check_2_2":
            cell.source += '\nhidden_text = attempt("2-2 다른 객체 읽기", read_text, "lab00-hidden-2", "메모/첫 번째 글.txt")'
        if meta.get("grade_id") == "check_3_1":
            meta["points"] = 0
    nbformat.write(nb, path)
    problems = {(p.cell, p.what.split(":")[0]) for p in check_release("lab00", course)}
    assert ("task3_solution", "정답/숨겨진 테스트 줄이 남았습니다") in problems
    assert ("check_2_2", "정답/숨겨진 테스트 줄이 남았습니다") in problems
    assert ("check_3_1", "채점 셀에 배점이 없습니다") in problems


def test_release_refuses_a_solution_that_loses_points(tmp_path):
    from grader.release import ReleaseError, release

    course = release_in_copy("lab00", tmp_path / "course")
    source = course / "solutions" / "lab00" / "lab00.ipynb"
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "task3_solution":
            # No pagination: the hidden 1,000+ keys check fails.
            cell.source = cell.source.replace(
                'for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):\n'
                '        keys.extend(item["Key"] for item in page.get("Contents", []))',
                'keys.extend(item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))')
    nbformat.write(nb, source)
    with pytest.raises(ReleaseError, match="만점을 받지 못했습니다") as err:
        release("lab00", course)
    assert "check_3_3" in str(err.value) and "check_3_1" not in str(err.value)


def test_release_refuses_a_solution_the_grader_flags_for_the_instructor(tmp_path):
    """Given code in an answer cell that trips the grader's flags marks every submission
    "강사 확인 필요" (lab04's `import importlib` did): the release says so before anyone submits."""
    from grader.release import ReleaseError, release

    course = release_in_copy("lab00", tmp_path / "course")
    source = course / "solutions" / "lab00" / "lab00.ipynb"
    nb = nbformat.read(source, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "task3_solution")
    cell.source = "import importlib\n" + cell.source
    nbformat.write(nb, source)
    with pytest.raises(ReleaseError, match="강사 확인 표시를 받습니다") as err:
        release("lab00", course)
    assert "importlib" in str(err.value) and "만점을 받지 못했습니다" not in str(err.value)
