"""Claims a learner would carry away wrongly, pinned where a reviewer found them."""

from __future__ import annotations

import re

from site_testkit import DOCS

from workshop.glossary import load_glossary


def _section(heading: str) -> str:
    """The text under `heading` (## or ###) on whichever 2장 page holds it, up to the next heading."""
    for page in sorted((DOCS / "faas").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        found = re.search(rf"\n(#{{2,3}}) {re.escape(heading)}( {{.*}})?\n", text)
        if found:
            end = re.search(rf"\n#{{2,{len(found.group(1))}}} ", text[found.end():])
            return text[found.start():found.end() + end.start()] if end else text[found.start():]
    raise AssertionError(f"2장 페이지에 '{heading}' 절이 없습니다.")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_kinesis_aggregation_is_taught_idempotent_not_trusted_to_ordering() -> None:
    kinesis = _section("Amazon Kinesis")
    assert "순서를\n믿고 할 수 있습니다" not in kinesis and "순서를 믿고 할 수" not in kinesis
    assert "최소 한 번" in kinesis, "이벤트 소스 매핑이 레코드를 다시 보낼 수 있다는 점을 말해야 합니다."
    assert "ConditionExpression" in kinesis, "예제가 다시 온 레코드를 조건식으로 건너뛰어야 합니다."


def test_provisioned_concurrency_tooltip_limits_the_claim_to_the_provisioned_count() -> None:
    term = next(t for t in load_glossary(DOCS / "glossary.yml") if t.en == "provisioned concurrency")
    assert "넘친 요청" in term.note and "콜드 스타트를 없애는" not in term.note, term.note



# Review F5-F12: each nuance, where a learner reads it (heading -> phrases that must be there).
COMPLETED_FACTS = {
    "실행 모델": ["Lambda Managed Instances는 실행 환경 하나가 요청 여러 개를 동시에"],
    "한도 비교표": ["이벤트 함수 9분(540초)", "기본 60초", "Amazon MQ와 Amazon DocumentDB"],
    "Azure: Consumption에서 Flex Consumption으로": ["Windows의 Consumption 앱은 지금은 영향을 받지 않습니다"],
    "API Gateway": ["HTTP API의 통합 제한 시간은 최대 30초이고 늘릴 수 없습니다"],
    "Amazon SQS": ["부분 배치 응답(partial batch response)", "그 뒤의 메시지를 모두", "배치 전체를 실패로",
                   "1초 이상"],
    "세 가지 호출 방식": ["SQS 큐나 SNS 토픽에 이벤트만 보냅니다"],
}


def test_chapter_2_states_the_nuances_the_review_found_missing() -> None:
    missing = [f"{heading}: {phrase}" for heading, phrases in COMPLETED_FACTS.items()
               for phrase in phrases if phrase not in _flat(_section(heading))]
    assert not missing, "2장에 빠진 내용:\n" + "\n".join(missing)
