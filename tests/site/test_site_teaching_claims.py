"""Claims a learner would carry away wrongly, pinned where a reviewer found them."""

from __future__ import annotations

import re

from site_testkit import DOCS

from workshop.glossary import load_glossary


def _section(heading: str) -> str:
    """The text under `heading` (#, ## or ###) on whichever 2장 page holds it, up to the next heading
    of the same or a higher level. Lines inside fenced code (Python comments start with #) are no headings."""
    for page in sorted((DOCS / "faas").glob("*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        headings, fence = [], False
        for number, line in enumerate(lines):
            if line.lstrip().startswith("```"):
                fence = not fence
            elif not fence and (found := re.match(r"(#{1,3}) (.+?)( \{.*\})?$", line)):
                headings.append((number, len(found.group(1)), found.group(2)))
        for i, (number, level, title) in enumerate(headings):
            if title == heading:
                stop = next((n for n, lv, _ in headings[i + 1:] if lv <= level), len(lines))
                return "\n".join(lines[number:stop])
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
    "2.1 실행 모델": ["Lambda Managed Instances는 실행 환경 하나가 요청 여러 개를 동시에"],
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


CHAPTER_PAGES = ["overview/index.md", "faas/execution-model.md", "faas/event-sources.md", "faas/providers.md"]
COLDSTART_PAGES = [f"coldstart/{name}.md" for name in ("lifecycle", "factors", "provisioning", "init-code", "research")]
APPLIED = re.compile(r'^\?\?\? example "적용 문제: [^"]+"\n\n(    \S.*\n)+', re.M)


def test_every_chapter_page_ends_with_an_applied_question_and_a_folded_answer() -> None:
    missing = [page for page in CHAPTER_PAGES + COLDSTART_PAGES
               if not APPLIED.search(_section_of(page, "스스로 점검하기") + "\n")]
    assert not missing, f"적용 문제(??? example \"적용 문제: ...\"와 접힌 답)가 없는 페이지: {missing}"


def _section_of(page: str, heading: str) -> str:
    text = (DOCS / page).read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def test_gb_second_example_states_its_price_source_and_date_and_adds_up() -> None:
    example = _flat(_section("요금 계산해 보기: GB-초"))
    price, memory_gb, seconds, calls = 0.0000166667, 0.5, 0.2, 1_000_000
    gb_seconds = memory_gb * seconds * calls
    for fact in ("0.0000166667달러", "aws.amazon.com/lambda/pricing", "2026년 12월", "서울 리전",
                 f"{gb_seconds:,.0f} GB-초", f"약 {gb_seconds * price:.2f}달러", "2025년 8월 1일"):
        assert fact in example, fact


def test_seed_gaps_are_filled() -> None:
    overview = _flat((DOCS / "overview" / "index.md").read_text(encoding="utf-8"))
    assert "IaaS → PaaS → 서버리스" in overview
    providers = (DOCS / "faas" / "providers.md").read_text(encoding="utf-8")
    assert "\n| 언어 지원 |" in providers and "\n| 컨테이너 이미지로 배포 |" in providers
    assert "CloudWatch Events" in _section("EventBridge 스케줄")


def _reading_minutes(page: str) -> int:
    text = _flat((DOCS / page).read_text(encoding="utf-8"))
    return int(re.search(r"읽는 데 (\d+)분쯤", text).group(1))


def test_instructor_lecture_plan_fits_its_slot_and_assigns_the_rest_as_reading() -> None:
    guide = (DOCS / "instructor" / "index.md").read_text(encoding="utf-8")
    row = next(line for line in guide.splitlines() if line.startswith("| 2 | 1장 개요"))
    lecture = int(re.search(r"강의 (\d+)분", row).group(1))
    plan = _section_of("instructor/index.md", "1장과 2장 강의")
    rows = [line.split("|")[1:-1] for line in plan.splitlines() if line.startswith("| [")]
    pages = {re.search(r"\(\.\./(.+?)\)", cells[0]).group(1): cells for cells in rows}
    assert set(pages) == set(CHAPTER_PAGES), "강의 계획에 1장과 2장의 절이 모두 있어야 합니다."
    minutes = 0
    for page, (_, reading, covered, taught) in pages.items():
        assert int(reading.strip().removesuffix("분")) == _reading_minutes(page), f"{page}의 읽는 시간이 다릅니다."
        taught_min = int(taught.strip().removesuffix("분"))
        minutes += taught_min
        if taught_min < _reading_minutes(page):
            assert "읽기 과제" in covered, f"{page}: 강의에서 줄인 부분을 어떻게 할지 적어야 합니다."
    assert minutes == lecture, f"강의 계획의 합({minutes}분)이 일정표의 강의 시간({lecture}분)과 다릅니다."
