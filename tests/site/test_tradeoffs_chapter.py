"""Chapter 5 (장단점과 사용 사례): in the nav between chapters 4 and the reference, links only to pages
that exist, each page ends with a summary and a self-test, every price quoted is the price file's,
the corrected seed table and its break-evens are what labkit.pricing computes from that file, and
the page's measuring code runs on the offline cloud and prints what the page says."""
from __future__ import annotations

import contextlib
import io
import re

import pytest
import yaml
from site_testkit import DOCS, REPO
from test_patterns_chapter import ending_problems, missing_link_targets

from labkit import pricing
from labkit.pricing import PriceBook, load_prices

CHAPTER = DOCS / "tradeoffs"
PAGES = ["index.md", "fit.md", "cost.md"]
TITLE = "5장 장단점과 사용 사례"


def _page(name: str) -> str:
    return (CHAPTER / name).read_text(encoding="utf-8")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_chapter_is_in_the_nav_between_chapter_4_and_chapter_6_with_every_page() -> None:
    nav = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8").split("\ntheme:", 1)[0])["nav"]
    titles = [next(iter(entry)) if isinstance(entry, dict) else entry for entry in nav]
    assert titles.index(TITLE) == titles.index("4장 서버리스 패턴") + 1 == titles.index("6장 Serverless Framework") - 1
    chapter = next(entry[TITLE] for entry in nav if isinstance(entry, dict) and TITLE in entry)
    listed = [item if isinstance(item, str) else next(iter(item.values())) for item in chapter]
    assert listed == [f"tradeoffs/{name}" for name in PAGES]
    assert sorted(p.name for p in CHAPTER.glob("*.md")) == sorted(PAGES)


def test_chapter_links_only_to_pages_that_exist() -> None:
    for name in PAGES:
        assert missing_link_targets(_page(name), CHAPTER) == [], name
    assert missing_link_targets(_page("index.md") + "\n[6장](../frameworks/index.md)\n", CHAPTER) == ["../frameworks/index.md"]


@pytest.mark.parametrize("name", PAGES)
def test_each_page_ends_with_a_summary_and_a_self_test_and_has_a_diagram(name: str) -> None:
    assert ending_problems(_page(name)) == []
    assert "```mermaid" in _page(name), name


# --- prices: every one quoted is the price file's ----------------------------------------------

PRICE_ROWS = {
    "Lambda 요청": "lambda.request",
    "Lambda 실행 시간(x86_64)": "lambda.duration_x86_64",
    "Lambda 실행 시간(arm64)": "lambda.duration_arm64",
    "프로비저닝된 동시성(x86_64)": "lambda.provisioned_concurrency_x86_64",
    "프로비저닝된 동시성에서 실행한 시간(x86_64)": "lambda.provisioned_duration_x86_64",
    "HTTP API 요청": "api_gateway.http_request",
    "REST API 요청": "api_gateway.rest_request",
    "DynamoDB 온디맨드 쓰기 요청 단위": "dynamodb.write_request_unit",
    "DynamoDB 온디맨드 읽기 요청 단위": "dynamodb.read_request_unit",
    "SQS 표준 큐 요청": "sqs.standard_request",
    "CloudWatch Logs 수집": "cloudwatch.logs_ingest",
    "CloudWatch Logs 보관": "cloudwatch.logs_storage",
    "인터넷으로 나가는 데이터 전송": "data_transfer.out_to_internet",
    "EC2 t3.medium(온디맨드, Linux)": "ec2.t3_medium",
    "Fargate vCPU(x86_64)": "fargate.vcpu_hour_x86_64",
    "Fargate 메모리(x86_64)": "fargate.gb_hour_x86_64",
    "Application Load Balancer": "ec2.load_balancer_hour",
}
REGION_WORDS = {"ap-northeast-2": "서울", "us-east-1": "미국 동부"}
QUOTED = re.compile(r"(?:100만 (?:건|단위)당|GB-초당|GB-월당|GB당|vCPU-시간당|GB-시간당|시간당) ([\d.]+)달러")


def price_problems(page: str, book: PriceBook) -> list[str]:
    rows = {}
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 3:
            rows[cells[0]] = cells
    problems = []
    for label, key in PRICE_ROWS.items():
        if label not in rows:
            problems.append(f"가격 표에 '{label}' 줄이 없습니다.")
            continue
        _, quoted, region = rows[label]
        price = book[key]
        found = QUOTED.search(quoted)
        if not found or float(found.group(1)) != price.price:
            problems.append(f"{label}: 본문 {quoted!r}, 가격 파일 {price.price} ({key})")
        if not region.startswith(REGION_WORDS[price.region]):
            problems.append(f"{label}: 본문의 리전 {region!r}, 가격 파일 {price.region}")
    read = f"{book.read.year}년 {book.read.month}월 {book.read.day}일"
    if f"읽은 날짜는 {read}" not in _flat(page) or f"({book.review_every_days}일)" not in _flat(page):
        problems.append(f"가격 파일을 읽은 날짜({read})와 확인 주기를 밝혀야 합니다.")
    return problems


def test_every_price_on_the_cost_page_is_the_price_files() -> None:
    page = _page("cost.md")
    assert price_problems(page, load_prices()) == []
    assert "labkit/data/prices-ap-northeast-2.toml" in page and "labkit.pricing" in page


def test_price_check_catches_a_wrong_price_a_wrong_region_and_a_stale_date() -> None:
    book, page = load_prices(), _page("cost.md")
    wrong = page.replace("| 100만 건당 1.23달러 |", "| 100만 건당 1.00달러 |", 1)
    assert [p.split(":")[0] for p in price_problems(wrong, book)] == ["HTTP API 요청"]
    region = page.replace("| 100만 건당 3.50달러 | 미국 동부", "| 100만 건당 3.50달러 | 서울", 1)
    assert any("REST API 요청: 본문의 리전" in p for p in price_problems(region, book))
    stale = page.replace("2026년 12월 2일이고", "2026년 9월 1일이고")
    assert any("읽은 날짜" in p for p in price_problems(stale, book))


# --- the corrected seed table and the break-evens ----------------------------------------------

SEED_MS, SEED_MB, SERVER_CPU_MS = 108, 1024, 10
ROWS = {"10만": 100_000, "100만": 1_000_000, "1,000만": 10_000_000, "1억": 100_000_000, "10억": 1_000_000_000}


def _usd(value: float) -> str:
    return f"{value:,.2f}달러"


def seed_rows(book: PriceBook) -> dict[str, list[str]]:
    """The corrected table, computed: the seed's Lambda column holds at 1,024 MB and 108 ms without the free tier."""
    rows = {}
    for label, requests in ROWS.items():
        def lam(free: bool) -> float:
            return pricing.lambda_cost(pricing.Workload(requests, SEED_MS, SEED_MB), book, free_tier=free).total
        ec2 = pricing.ec2_baseline(requests, SERVER_CPU_MS, prices=book)
        fargate = pricing.fargate_baseline(requests, SERVER_CPU_MS, prices=book)
        rows[label] = [_usd(lam(False)), _usd(lam(True)), _usd(lam(True) + pricing.api_gateway_cost(requests, "http", book)),
                       _usd(lam(True) + pricing.api_gateway_cost(requests, "rest", book)),
                       f"{ec2.servers}대 {_usd(ec2.total)}", f"{fargate.servers}개 {_usd(fargate.total)}"]
    return rows


def _break_even(cost, baseline) -> int:
    low, high = 0, 1
    while cost(high) < baseline(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if cost(middle) < baseline(middle) else (low, middle)
    return high


def break_evens(book: PriceBook) -> dict[str, int]:
    def lam(r: int, free: bool = True) -> float:
        return pricing.lambda_cost(pricing.Workload(r, SEED_MS, SEED_MB), book, free_tier=free).total

    def api(r: int, kind: str) -> float:
        return pricing.api_gateway_cost(r, kind, book)

    def ec2(r: int) -> float:
        return pricing.ec2_baseline(r, SERVER_CPU_MS, prices=book).total

    def fargate(r: int) -> float:
        return pricing.fargate_baseline(r, SERVER_CPU_MS, prices=book).total

    one = pricing.ec2_baseline(0, SERVER_CPU_MS, prices=book).total
    return {
        "Lambda(프리 티어 없음) 대 t3.medium 1대": _break_even(lambda r: lam(r, False), lambda r: one),
        "Lambda(프리 티어) 대 t3.medium": _break_even(lam, ec2),
        "Lambda + HTTP API 대 t3.medium": _break_even(lambda r: lam(r) + api(r, "http"), ec2),
        "Lambda + HTTP API 대 Fargate(ALB 포함)": _break_even(lambda r: lam(r) + api(r, "http"), fargate),
        "Lambda + REST API 대 Fargate(ALB 포함)": _break_even(lambda r: lam(r) + api(r, "rest"), fargate),
    }


def _table(page: str, first: list[str], header: str = "") -> dict[str, list[str]]:
    """Rows of the table whose header line starts with `header`, by their first cell (only those in `first`)."""
    if header:
        start = page.index(header)
        page = page[start:page.find("\n\n", start)]
    return {cells[0]: cells[1:] for line in page.splitlines() if line.startswith("| ")
            for cells in [[c.strip() for c in line.strip("|").split("|")]] if cells[0] in first}


def seed_problems(page: str, book: PriceBook) -> list[str]:
    problems = []
    per_gb_s = (2.0 - 1_000_000 * book.rate("lambda.request")) / book.rate("lambda.duration_x86_64") / 1_000_000
    if round(per_gb_s / (SEED_MB / 1024) * 1000) != SEED_MS or f"1,024MB에 {SEED_MS}ms" not in page:
        problems.append(f"원본 표가 성립하는 실행 시간은 {per_gb_s * 1000:.1f}ms(1,024MB)입니다.")
    lambdas = _table(page, list(ROWS), "| 월 요청 수 | 원본 |")
    servers = _table(page, list(ROWS), "| 월 요청 수 | 원본의 EC2 |")
    for label, expected in seed_rows(book).items():
        got = lambdas.get(label, [])[1:] + servers.get(label, [])[1:]
        if got != expected:
            problems.append(f"{label}: 표 {got}, 계산 {expected}")
    evens = _table(page, list(break_evens(book)))
    for label, requests in break_evens(book).items():
        said = f"약 {round(requests / 10_000):,}만 건"
        if evens.get(label) != [said]:
            problems.append(f"{label}: 표 {evens.get(label)}, 계산 {said}")
    return problems


def test_the_corrected_seed_table_and_its_break_evens_are_what_the_price_file_gives() -> None:
    assert seed_problems(_page("cost.md"), load_prices()) == []


def test_seed_check_catches_a_figure_that_does_not_add_up() -> None:
    page, book = _page("cost.md"), load_prices()
    wrong = page.replace("| 1억 | ~$200.00 | 200.00달러 | 193.13달러 |", "| 1억 | ~$200.00 | 200.00달러 | 200.00달러 |")
    assert [p.split(":")[0] for p in seed_problems(wrong, book)] == ["1억"]
    servers = page.replace("| 10억 | ~$60+ | 10대 379.60달러 |", "| 10억 | ~$60+ | 2대 75.92달러 |")
    assert [p.split(":")[0] for p in seed_problems(servers, book)] == ["10억"]
    moved = page.replace("| 약 1,898만 건 |", "| 약 1억 건 |")
    assert [p.split(":")[0] for p in seed_problems(moved, book)] == ["Lambda(프리 티어 없음) 대 t3.medium 1대"]


def test_the_chapter_says_what_the_seed_got_wrong_and_what_changed() -> None:
    cost, index, fit = _flat(_page("cost.md")), _flat(_page("index.md")), _flat(_page("fit.md"))
    for claim in ("재현할 수 없습니다", "스스로 모순입니다", "같은 부하를 비교하지 않습니다", "2025년 8월 1일부터"):
        assert claim in cost, claim
    assert "10초에 실행 환경 1,000개" in index and "15분" in index and "Serverless Framework" in index
    assert "2025년 11월 30일" in fit and "Fargate" in fit and "Cloud Run" in fit and "GPU" in fit


# --- the page's code, run on the offline cloud ---------------------------------------------------

def test_the_measuring_code_runs_on_the_offline_cloud_and_bills_init() -> None:
    page = _page("cost.md")
    code = re.findall(r"```python\n(.*?)```", page, re.S)
    assert len(code) == 1
    printed = io.StringIO()
    scope: dict = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(code[0], "cost.md", "exec"), scope)  # noqa: S102 - the page's own code
    out = printed.getvalue()
    assert "콜드 스타트 2번" in out and "월 20,000,000건의 Lambda 요금: $" in out, out
    assert "40번 가운데 2번" in page
    reports = scope["reports"]
    billed = sum(r.billed_duration_ms for r in reports)
    counted = sum(-(-(r.duration_ms + (r.init_duration_ms or 0)) // 1) for r in reports)
    assert abs(billed - counted) <= len(reports)  # the page bills INIT as the REPORT lines do (±1 ms each)
    assert all(r.init_duration_ms for r in reports if r.cold_start)


def worked_figures(book: PriceBook) -> dict[str, str]:
    """Every other figure the cost page works out, as the page writes it."""
    import math

    from labkit.cloud import parse_report

    r = book.rate
    reports = [parse_report(line) for line in pricing.REPORT_SAMPLE.read_text(encoding="utf-8").splitlines()]

    def sample_bill(with_init: bool) -> float:
        per_call = sum(math.ceil(x.duration_ms + ((x.init_duration_ms or 0) if with_init else 0)) / 1000 * 0.5
                       for x in reports) / len(reports)
        return (19_000_000 * r("lambda.request")
                + (per_call * 20_000_000 - 400_000) * r("lambda.duration_x86_64"))

    logs_gb = 20_000_000 * 0.5 / 1024 / 1024
    return {
        "provisioned": f"호출이 없어도 {pricing.provisioned_concurrency_cost(1, 1024, 730 * 3600, prices=book).allocation_usd:.2f}달러",
        "per million": f"Lambda는 약 {r('lambda.request') * 1e6 + 1e6 * 0.1 * 0.5 * r('lambda.duration_x86_64'):.2f}달러",
        "logs": f"한 달 {(logs_gb - 5) * r('cloudwatch.logs_ingest'):.2f}달러",
        "transfer": f"약 {20_000_000 * 2 / 1024 / 1024:.0f}GB, {20_000_000 * 2 / 1024 / 1024 * r('data_transfer.out_to_internet'):.2f}달러",
        "sample": f"Lambda가 약 {sample_bill(True):.0f}달러(그중 INIT 청구가 {sample_bill(True) - sample_bill(False):.2f}달러)",
        "http": f"HTTP API가 {pricing.api_gateway_cost(20_000_000, 'http', book):.2f}달러",
        "t3": f"t3.medium 한 대는 한 달 {pricing.ec2_baseline(0, 10, prices=book).total:.2f}달러",
        "fargate": f"로드 밸런서는 {pricing.fargate_baseline(0, 10, prices=book).total:.2f}달러",
    }


def test_the_worked_figures_on_the_cost_page_are_computed_from_the_price_file_and_the_sample() -> None:
    text = _flat(_page("cost.md"))
    figures = worked_figures(load_prices())
    assert [name for name, said in figures.items() if said not in text] == []
    assert "13.47달러" in figures["provisioned"]  # the check itself reads the number
