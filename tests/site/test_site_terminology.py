"""Every page uses the glossary's preferred forms; the check itself catches a bad page."""

from __future__ import annotations

from site_testkit import DOCS

from workshop.glossary import Term, check_docs, check_terminology, load_glossary, render_glossary_markdown


def test_docs_pages_and_glossary_use_preferred_terms() -> None:
    terms = load_glossary(DOCS / "glossary.yml")
    violations = check_docs(DOCS, terms)
    violations += check_terminology(render_glossary_markdown(terms), terms, "용어집 페이지(생성된 본문)")
    assert not violations, "용어 표기 검사 실패:\n" + "\n".join(map(str, violations))


BAD_PAGE = """\
# 시작

콜드스타트를 줄이는 법을 봅니다.

```python
# 코드 안의 콜드스타트는 검사하지 않습니다.
```

인라인 코드 `콜드스타트`도 검사하지 않지만, 냉시작은 검사합니다.
"""


def test_checker_reports_avoided_variant_with_file_line_and_preferred_form() -> None:
    terms = [Term("콜드 스타트", "cold start", "설명", ("콜드스타트", "냉시작"))]
    violations = check_terminology(BAD_PAGE, terms, "docs/bad.md")
    assert [(v.line, v.variant) for v in violations] == [(3, "콜드스타트"), (9, "냉시작")]
    message = str(violations[0])
    for fragment in ("docs/bad.md", "3번째 줄", "'콜드스타트'", "'콜드 스타트'"):
        assert fragment in message


def test_lab_notebooks_use_preferred_terms() -> None:
    from workshop.glossary import check_notebooks

    terms = load_glossary(DOCS / "glossary.yml")
    violations = check_notebooks(DOCS.parent / "solutions", terms)
    assert not violations, "실습 노트북 용어 표기 검사 실패:\n" + "\n".join(map(str, violations))


def test_notebook_checker_reads_markdown_cells_only(tmp_path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from workshop.glossary import check_notebooks

    nb = new_notebook(cells=[new_markdown_cell("냉시작을 줄입니다."), new_code_cell("# 냉시작\nx = 1")])
    nbformat.write(nb, tmp_path / "lab.ipynb")
    terms = [Term("콜드 스타트", "cold start", "설명", ("냉시작",))]
    violations = check_notebooks(tmp_path, terms)
    assert [(v.variant, "1번째 셀" in v.source) for v in violations] == [("냉시작", True)]
