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
    violations = check_notebooks(DOCS.parent / "solutions", terms, style=True)
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


PLANTED = {  # review K1-K4: each variant once, in a sentence a page could really contain
    "요청 시(on-demand)": "함수를 요청 시(on-demand) 호출하면 실행 환경을 새로 만듭니다.",
    "순서 번호": "레코드는 순서 번호 순서대로 옵니다.",
    "인수": "핸들러의 두 번째 인수는 context입니다.",
    "로컬 클라우드": "로컬 클라우드에서 함수를 실행합니다.",
    "시퀀스번호": "시퀀스번호를 돌려줍니다.",
}


def test_repository_glossary_catches_each_planted_variant_in_a_real_page() -> None:
    terms = load_glossary(DOCS / "glossary.yml")
    page = (DOCS / "faas" / "index.md").read_text(encoding="utf-8")
    assert check_terminology(page, terms, "faas") == []
    for variant, sentence in PLANTED.items():
        found = check_terminology(page + "\n" + sentence + "\n", terms, "faas")
        assert [v.variant for v in found] == [variant], (variant, [str(v) for v in found])


STYLE_PAGE = """\
이 과정은 진짜 AWS 대신 오프라인 클라우드를 씁니다.
**동기 호출(synchronous invocation)** 합니다. **배치(batch)** 로 묶습니다.
**동기 호출**(synchronous invocation)합니다. **실제 AWS와 같은 경로로** 이벤트를 보냅니다.
`포트 8000을(를) 이미 다른 프로그램이 쓰고 있습니다.` 같은 오류가 납니다.

```python
raise ValueError(f"{name}이(가) 없습니다")  # 코드 블록은 검사하지 않습니다.
```
"""


def test_prose_rules_catch_colloquial_word_spaced_particle_and_placeholders_in_quoted_messages() -> None:
    found = check_terminology(STYLE_PAGE, [], "docs/style.md")
    assert [(v.line, v.variant) for v in found] == [
        (1, "진짜"),
        (2, "**동기 호출(synchronous invocation)** 합니다"),
        (2, "**배치(batch)** 로"),
        (4, "을(를)"),
    ]
    assert check_terminology(STYLE_PAGE, [], "docs/style.md", style=False) == []
