"""Claims a learner would carry away wrongly, pinned where a reviewer found them."""

from __future__ import annotations

import re

from site_testkit import DOCS

from workshop.glossary import load_glossary


def _section(page: str, heading: str) -> str:
    text = (DOCS / page).read_text(encoding="utf-8")
    start = text.index(f"\n### {heading}\n")
    end = re.search(r"\n#{2,3} ", text[start + 1:])
    return text[start:start + 1 + end.start()] if end else text[start:]


def test_kinesis_aggregation_is_taught_idempotent_not_trusted_to_ordering() -> None:
    kinesis = _section(FAAS_EVENT_SOURCES, "Amazon Kinesis")
    assert "순서를\n믿고 할 수 있습니다" not in kinesis and "순서를 믿고 할 수" not in kinesis
    assert "최소 한 번" in kinesis, "이벤트 소스 매핑이 레코드를 다시 보낼 수 있다는 점을 말해야 합니다."
    assert "ConditionExpression" in kinesis, "예제가 다시 온 레코드를 조건식으로 건너뛰어야 합니다."


def test_provisioned_concurrency_tooltip_limits_the_claim_to_the_provisioned_count() -> None:
    term = next(t for t in load_glossary(DOCS / "glossary.yml") if t.en == "provisioned concurrency")
    assert "넘친 요청" in term.note and "콜드 스타트를 없애는" not in term.note, term.note


FAAS_EVENT_SOURCES = "faas/index.md"
