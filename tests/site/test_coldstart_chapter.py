"""Chapter 3 (콜드 스타트): its figures agree with their sources and with each other, and every
lab02 task is named the same way wherever the chapter points a learner to it."""

from __future__ import annotations

import math
import re

from site_testkit import DOCS

from labkit import pricing
from labkit.cloud import parse_report

CHAPTER = DOCS / "coldstart"
PAGES = ["lifecycle.md", "factors.md", "provisioning.md", "init-code.md", "research.md"]

# lab02's tasks, in order, as the notebook names them (issue 13).
LAB02_TASKS = {
    1: "콜드/웜 비교",
    2: "임포트 비용과 지연 초기화",
    3: "동시 요청 폭주",
    4: "프로비저닝된 동시성 자동 조정",
    5: "메모리와 CPU",
    6: "SnapStart",
    7: "워밍 대 프로비저닝된 동시성",
    8: "킵얼라이브 정책",
}


def _page(name: str) -> str:
    return (CHAPTER / name).read_text(encoding="utf-8")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _code_block(text: str, title: str) -> str:
    found = re.search(rf'^```\w* title="{re.escape(title)}"\n(.*?)\n```', text, re.M | re.S)
    assert found, f"'{title}' 코드 블록이 없습니다."
    return found.group(1)


def _table_rows(text: str, header: str) -> list[list[str]]:
    """Cells of the Markdown table whose header row starts with `header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


# --- 3.1: the REPORT line is real, parses, and the table explains the same numbers ----------

def report_table_problems(page: str) -> list[str]:
    """What the field table on 3.1 says that the REPORT line above it does not."""
    report = parse_report(_code_block(page, "AWS 문서의 REPORT 줄(콜드 스타트)"))
    shown = {row[0].strip("`"): row[1] for row in _table_rows(page, "필드")}
    expected = {
        "Duration": f"{report.duration_ms} ms",
        "Init Duration": f"{report.init_duration_ms} ms",
        "Billed Duration": f"{report.billed_duration_ms} ms",
        "Memory Size": f"{report.memory_size_mb} MB",
        "Max Memory Used": f"{report.max_memory_used_mb} MB",
    }
    problems = [f"{field}: 표 {shown.get(field)!r}, REPORT 줄 {value!r}"
                for field, value in expected.items() if shown.get(field) != value]
    # Since 1 August 2025 a cold start bills INIT too: Billed = ceil(Duration + Init Duration).
    billed = math.ceil(report.duration_ms + report.init_duration_ms)
    if report.billed_duration_ms != billed:
        problems.append(f"Billed Duration {report.billed_duration_ms} ms ≠ ⌈Duration + Init Duration⌉ = {billed} ms")
    return problems


def test_phases_page_explains_the_numbers_of_the_real_report_line_it_quotes() -> None:
    assert report_table_problems(_page("lifecycle.md")) == []


def test_report_check_catches_a_table_or_a_bill_that_disagrees_with_the_line() -> None:
    page = _page("lifecycle.md")
    old_bill = page.replace("Billed Duration: 147 ms", "Billed Duration: 16 ms", 1)
    assert any("Billed Duration" in p for p in report_table_problems(old_bill))
    wrong_row = page.replace("| `Max Memory Used` | 56 MB |", "| `Max Memory Used` | 65 MB |")
    assert report_table_problems(wrong_row) == ["Max Memory Used: 표 '65 MB', REPORT 줄 '56 MB'"]


def test_snapstart_report_format_parses_as_a_restore() -> None:
    line = _code_block(_page("lifecycle.md"), "SnapStart 함수의 REPORT 줄 형식(숫자 자리는 비워 둠)")
    filled = re.sub(r"<ms>", "12.5", re.sub(r"<MB>", "512", line.replace("<요청 ID>", "a1b2")))
    filled = re.sub(r"Billed (Restore )?Duration: 12\.5", r"Billed \1Duration: 13", filled)
    report = parse_report(filled)
    assert report.init_duration_ms is None and report.restore_duration_ms == 12.5
    assert report.billed_restore_duration_ms == 13 and report.cold_start


# --- 3.2: the runtime table supports the correction the chapter makes ----------------------

def _runtime_medians() -> dict[str, float]:
    rows = _table_rows(_page("factors.md"), "런타임")
    return {re.sub(r" \(.*", "", name): float(ms.removesuffix(" ms")) for name, ms, _ in rows}


def test_runtime_table_is_sorted_and_contradicts_the_seeds_ordering() -> None:
    ms = _runtime_medians()
    assert list(ms.values()) == sorted(ms.values()), "표는 빠른 순서로 적었다고 읽힙니다."
    assert ms["Go"] < ms["Python 3.12"] < ms["Node.js 22.x"], "Go < Python < Node.js가 이 장의 고친 점입니다."
    assert ms["Node.js 22.x"] / ms["Python 3.12"] > 1.5, "본문은 Node.js가 Python과 비슷하지 않다고 말합니다."
    assert abs(ms[".NET 8"] - ms["Java 21"]) / ms["Java 21"] < 0.15, "본문은 .NET 8과 Java 21이 비슷하다고 말합니다."
    runtime = _flat(_page("factors.md").split("## 런타임", 1)[1].split("\n## ", 1)[0])
    for source in ("maxday/lambda-perf", "data/2026-08-22.json", "2026년 8월 22일"):
        assert source in runtime, source


def test_chapter_landing_quotes_the_same_runtime_figures_as_the_factors_page() -> None:
    ms = _runtime_medians()
    row = next(line for line in _page("index.md").splitlines() if line.startswith("| 런타임 순서"))
    for name, label in (("Go", "Go"), ("Python 3.12", "Python 3.12"), ("Node.js 22.x", "Node.js 22.x"),
                        (".NET 8", ".NET 8"), ("Java 21", "Java 21")):
        assert f"{label}({ms[name]}ms)" in row, f"{label}: 3.2 표의 {ms[name]}ms와 다릅니다."


# --- claims a reviewer would check ----------------------------------------------------------

def test_seventy_nine_percent_is_taught_as_a_best_case_on_openwhisk() -> None:
    research = _flat(_page("research.md"))
    for sentence in re.split(r"(?<=다\.)\s", research):
        if "79%" in sentence and "78.95%" not in sentence:
            assert "최대" in sentence or "가장 좋은 경우" in sentence, sentence
    assert "가장 좋은 경우" in research and "OpenWhisk" in research and "arXiv:2504.11338" in research


PRICE = re.compile(r"0\.0000\d+")  # a per-GB-second price, as the chapter writes it (USD)


def price_problems(pages: dict[str, str], book: pricing.PriceBook) -> list[str]:
    """Prices the chapter states that are not the price file's, or not labelled with their region."""
    rates = {f"{p.rate:.10f}": p for p in book.prices.values()}
    problems = []
    for name, text in pages.items():
        for sentence in re.split(r"(?<=다\.)\s|\n\n", _flat(text)):
            for quoted in PRICE.findall(sentence):
                price = rates.get(quoted)
                if price is None:
                    problems.append(f"{name}: {quoted}달러는 가격 파일에 없습니다: {sentence[:80]}")
                elif price.region != book.region and "미국 동부" not in sentence:
                    problems.append(f"{name}: {quoted}달러({price.key})는 {price.region} 단가인데 그렇게 적지 않았습니다.")
    return problems


def test_every_price_the_chapter_states_is_the_price_files_with_its_region() -> None:
    book = pricing.load_prices()
    pages = {name: _page(name) for name in ["index.md", *PAGES]}
    assert price_problems(pages, book) == []
    cost = _flat(_page("provisioning.md"))
    read = book.read
    assert f"{read.year}년 {read.month}월 {read.day}일 읽음" in cost and "서울" in cost and "prices-ap-northeast-2.toml" in cost


def test_price_check_catches_a_us_east_price_or_an_unlabelled_one() -> None:
    book = pricing.load_prices()
    us_east = {"p.md": "프로비저닝된 동시성이 GB-초당 0.0000041667달러입니다."}
    assert price_problems(us_east, book) == ["p.md: 0.0000041667달러는 가격 파일에 없습니다: "
                                             "프로비저닝된 동시성이 GB-초당 0.0000041667달러입니다."]
    unlabelled = {"p.md": "실행 시간은 GB-초당 0.0000097222달러입니다."}
    assert "us-east-1 단가인데" in price_problems(unlabelled, book)[0]


def _usd(value: float) -> str:
    return f"{value:,.2f}달러"


def test_worked_cost_examples_are_what_labkit_pricing_computes_from_the_price_file() -> None:
    book = pricing.load_prices()
    page = _flat(_page("provisioning.md"))
    month, pc = 30 * 24 * 3600, book.rate("lambda.provisioned_concurrency_x86_64")
    five = pricing.provisioned_concurrency_cost(5, 1024, month, prices=book).allocation_usd
    assert f"12,960,000 GB-초 × {pc:.10f}달러 ≈ {_usd(five)}" in page
    ten = pricing.provisioned_concurrency_cost(10, 512, month, prices=book).allocation_usd
    assert f"10 × 0.5GB × 2,592,000초 × {pc:.10f}달러 ≈ {_usd(ten)}" in page
    workday = 22 * pricing.provisioned_concurrency_cost(4, 256, 8 * 3600, prices=book).allocation_usd
    assert f"× {pc:.10f}달러 ≈ {_usd(workday)}" in page
    # Break-even utilisation: provisioned price / (on-demand − provisioned-duration price).
    on_demand, pc_duration = book.rate("lambda.duration_x86_64"), book.rate("lambda.provisioned_duration_x86_64")
    breakeven = pc / (on_demand - pc_duration)
    assert f"{pc:.10f} / ({on_demand:.10f} - {pc_duration:.10f}) ≈ {breakeven:.2f}" in page
    assert f"사용률이 {breakeven:.0%}를" in page and f"사용률 {breakeven:.0%}쯤이 손익분기점" in page
    # INIT billing: what a month of cold starts adds, billed vs not billed.
    for cold, init_ms, memory in ((10_000, 400, 512), (50_000, 2000, 1024)):
        load = pricing.Workload(1_000_000, 100.0, memory, cold_starts=cold, init_duration_ms=init_ms)
        init = (pricing.lambda_cost(load, book, free_tier=False).total
                - pricing.lambda_cost(load, book, free_tier=False, init_billing=False).total)
        assert f"약 {_usd(init)} |" in page, init
    pings = pricing.lambda_cost(pricing.Workload(86_400, 10.0, 512), book, free_tier=False)
    assert f"요청 요금 약 {pings.requests_usd:.3f}달러와 실행 시간 {pings.gb_seconds:,.0f} GB-초(약 {pings.duration_usd:.3f}달러)" in page


def test_terraform_is_fenced_as_hcl_not_python() -> None:
    for name in PAGES:
        for block in re.findall(r"^```(\w*)\n(.*?)^```", _page(name), re.M | re.S):
            if 'resource "aws_' in block[1]:
                assert block[0] == "hcl", f"{name}: Terraform 코드 블록은 hcl입니다(지금 {block[0]!r})."


# --- lab02 tasks: named one way, all of them, in order ---------------------------------------

def test_every_lab02_task_is_named_as_the_notebook_names_it() -> None:
    named = {}
    for name in PAGES:
        for number, title in re.findall(r"\*\*lab02 과제 (\d) ([^*]+)\*\*", _page(name)):
            title = " ".join(title.split())  # a title may wrap across lines
            assert LAB02_TASKS[int(number)] == title, \
                f"{name}: 과제 {number}의 이름은 '{LAB02_TASKS[int(number)]}'입니다(본문: {title!r})."
            named.setdefault(int(number), []).append(name)
    assert sorted(named) == sorted(LAB02_TASKS), f"본문에서 이끌어 주지 않는 과제: {set(LAB02_TASKS) - set(named)}"
    rows = _table_rows(_page("index.md"), "과제")
    assert [row[0] for row in rows] == [f"{n} {title}" for n, title in LAB02_TASKS.items()]


def test_the_notebook_names_its_tasks_as_the_chapter_does() -> None:
    import nbformat

    # lab02 is two notebooks (lab02-1: tasks 1-4, lab02-2: tasks 5-8); together they hold every task.
    cells = [c for path in sorted((DOCS.parent / "solutions" / "lab02").glob("*.ipynb"))
             for c in nbformat.read(path, as_version=4).cells]
    headings = {int(n): title for c in cells if c.cell_type == "markdown"
                for n, title in re.findall(r"^## 과제 (\d)\. (.+?) \(\d+점", c.source, re.M)}
    assert headings == LAB02_TASKS


def test_each_page_points_to_the_tasks_its_row_on_the_landing_page_lists() -> None:
    for row in _table_rows(_page("index.md"), "절"):
        page = re.search(r"\]\((.+?\.md)\)", row[0]).group(1)
        listed = {int(n) for n in re.findall(r"\d", row[3])}
        found = {int(n) for n in re.findall(r"\*\*lab02 과제 (\d) ", _page(page))}
        assert listed == found, f"{page}: 표는 과제 {sorted(listed)}, 본문은 {sorted(found)}"


def test_lab_pointer_links_to_the_labs_page_not_to_a_notebook_path() -> None:
    for name in ["index.md", *PAGES]:
        assert "labs/lab02" not in _page(name) and not re.search(r"lab02[-\w]*\.ipynb", _page(name)), name
    assert "(../start/labs-and-grading.md)" in _page("index.md")


def unlinked_chapter_mentions(pages: dict[str, str]) -> list[str]:
    """Paragraphs (or table rows) outside chapter 3 that name 3장 without a link into docs/coldstart/."""
    found = []
    for name, text in pages.items():
        for block in re.split(r"\n\s*\n", text):
            parts = block.splitlines() if block.lstrip().startswith("|") else [block]
            found += [f"{name}: {_flat(p)[:60]}" for p in parts if "3장" in p and "coldstart/" not in p]
    return found


def test_pages_that_name_chapter_three_link_to_it() -> None:
    pages = {str(p.relative_to(DOCS)): p.read_text(encoding="utf-8")
             for p in sorted(DOCS.rglob("*.md")) if CHAPTER not in p.parents}
    assert unlinked_chapter_mentions(pages) == []
    assert unlinked_chapter_mentions({"x.md": "머리말\n\n3장에서 잽니다.\n"}) == ["x.md: 3장에서 잽니다."]
