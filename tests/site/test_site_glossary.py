"""docs/glossary.yml is validated with Korean errors, and drives tooltips that survive Korean particles."""

from __future__ import annotations

import markdown
import pytest
from site_testkit import DOCS

from workshop.glossary import (
    GlossaryError,
    GlossaryTooltips,
    Term,
    load_glossary,
    parse_glossary,
    render_glossary_markdown,
)

COLD = Term("콜드 스타트", "cold start", "첫 호출이 느려지는 현상입니다.", ("콜드스타트",))
WARM = Term("웜 스타트", "warm start", "초기화 없이 바로 실행하는 호출입니다.")
LAMBDA = Term("AWS Lambda", "AWS Lambda", "AWS의 FaaS 서비스입니다.")


def render(text: str, terms: list[Term] = [COLD, WARM, LAMBDA]) -> str:
    return markdown.markdown(text, extensions=["md_in_html", GlossaryTooltips(terms)])


def test_repository_glossary_is_valid() -> None:
    assert load_glossary(DOCS / "glossary.yml"), "docs/glossary.yml에 용어가 하나도 없습니다."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- ko: 콜드 스타트\n  en: cold start\n", ["1번째 항목(1번째 줄, ko: 콜드 스타트)", "'note'"]),
        ("- ko: 콜드 스타트\n  en: cold start\n  note: ''\n", ["'note' 값이 비어"]),
        ("- ko: 콜드 스타트\n  en: cold start\n  note: 설명\n  avoids: [x]\n", ["'avoids'", "avoid"]),
        ("- ko: 콜드 스타트\n  en: cold start\n  note: 설명\n  avoid: 콜드스타트\n", ["'avoid'", "목록"]),
        ("- ko: 콜드 스타트\n  en: cold start\n  note: 설명\n  avoid: [스타트]\n", ["'스타트'", "avoid에서 빼십시오"]),
        ("- ko: 콜드 스타트\n  en: cold start\n  note: a\n- ko: 콜드 스타트\n  en: cold\n  note: b\n", ["겹칩니다"]),
        ("ko: 콜드 스타트\n", ["목록이어야"]),
        ("- ko: 콜드 스타트\n  en: cold start\n  note: 설명: 자세히\n", ["3번째 줄", "YAML 문법 오류"]),
        ("- ko: 큐\n  en: queue\n  note: 설명\n  aws_ko: ''\n", ["'aws_ko'", "대기열"]),
        ("- ko: 큐\n  en: queue\n  note: 설명\n  aws_ko: [대기열]\n", ["'aws_ko'", "필드를 빼십시오"]),
    ],
    ids=["missing-field", "empty-field", "unknown-field", "avoid-not-list",
         "avoid-inside-preferred", "duplicate", "not-a-list", "yaml-syntax", "aws-ko-empty", "aws-ko-list"],
)
def test_invalid_glossary_is_reported_in_korean_with_entry_and_field(text: str, expected: list[str]) -> None:
    with pytest.raises(GlossaryError) as error:
        parse_glossary(text)
    for fragment in expected:
        assert fragment in str(error.value)


def test_glossary_body_uses_ko_en_form_with_stable_anchors() -> None:
    body = render_glossary_markdown([COLD, WARM])
    assert "## 콜드 스타트(cold start) { #cold-start }" in body
    assert body.index("웜 스타트") < body.index("콜드 스타트"), "항목은 가나다순입니다."


def test_tooltip_wraps_first_use_only_even_with_korean_particles() -> None:
    out = render("콜드 스타트(cold start)는 느립니다. 콜드 스타트가 또 나와도 한 번만 답니다.")
    assert out.count("<abbr") == 1
    assert '<abbr title="콜드 스타트(cold start): 첫 호출이 느려지는 현상입니다.">콜드 스타트(cold start)</abbr>는' in out


def test_tooltip_matches_korean_form_with_particle_and_english_form_alone() -> None:
    assert ">콜드 스타트</abbr>를" in render("콜드 스타트를 줄입니다.")
    assert ">Cold start</abbr>" in render("Cold start is slow.")
    assert ">AWS Lambda</abbr>는" in render("AWS Lambda는 함수를 실행합니다.")
    assert "<abbr" not in render("AWS Lambdas")


def test_tooltip_skips_code_headings_links_and_glossary_blocks() -> None:
    out = render(
        "# 콜드 스타트\n\n`콜드 스타트` 와 [콜드 스타트](x.md)\n\n"
        '<div class="glossary" markdown>\n\n웜 스타트\n\n</div>\n\n'
        "```\n웜 스타트\n```\n\n본문의 콜드 스타트와 웜 스타트"
    )
    assert out.count("<abbr") == 2
    assert out.index("<abbr") > out.index("본문의")


QUEUE = Term("큐", "queue", "메시지를 보관합니다.", ("대기열",), aws_ko="대기열")


def test_aws_korean_console_word_is_in_the_tooltip_and_the_glossary_page() -> None:
    out = render("큐에 메시지를 넣습니다.", [QUEUE])
    assert '<abbr title="큐(queue): 메시지를 보관합니다. (AWS 한국어 콘솔 표기: ‘대기열’)">큐</abbr>에' in out
    body = render_glossary_markdown([QUEUE, COLD])
    entry = body[body.index("## 큐(queue)"):]
    assert "AWS 한국어 콘솔 표기: ‘대기열’" in entry
    assert "AWS 한국어 콘솔 표기" not in body[body.index("## 콜드 스타트"):body.index("## 큐(queue)")]


def test_avoided_word_is_allowed_only_inside_the_console_mention() -> None:
    from workshop.glossary import check_terminology

    ok = "SQS 큐(AWS 한국어 콘솔 표기: ‘대기열’)를 만듭니다.\n"
    assert check_terminology(ok, [QUEUE], "p.md") == []
    assert check_terminology(render_glossary_markdown([QUEUE]), [QUEUE], "g") == []
    bad = ok + "대기열에 메시지를 넣습니다.\n"
    assert [(v.line, v.variant) for v in check_terminology(bad, [QUEUE], "p.md")] == [(2, "대기열")]
