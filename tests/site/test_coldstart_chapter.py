"""Chapter 3 (콜드 스타트): its figures agree with their sources and with each other, and every
lab02 task is named the same way wherever the chapter points a learner to it."""

from __future__ import annotations

import math
import re

from site_testkit import DOCS

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
    8: "유지 시간 정책",
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


def test_provisioned_concurrency_cost_examples_add_up_at_the_stated_price() -> None:
    page = _flat(_page("provisioning.md"))
    price = 0.0000041667
    assert f"GB-초당 {price:.10f}달러" in page
    assert f"12,960,000 GB-초 × {price:.10f}달러 ≈ {12_960_000 * price:.2f}달러" in page
    breakeven = price / (0.0000166667 - 0.0000097222)
    assert round(breakeven, 2) == 0.6 and "60%" in page


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


def test_each_page_points_to_the_tasks_its_row_on_the_landing_page_lists() -> None:
    for row in _table_rows(_page("index.md"), "절"):
        page = re.search(r"\]\((.+?\.md)\)", row[0]).group(1)
        listed = {int(n) for n in re.findall(r"\d", row[3])}
        found = {int(n) for n in re.findall(r"\*\*lab02 과제 (\d) ", _page(page))}
        assert listed == found, f"{page}: 표는 과제 {sorted(listed)}, 본문은 {sorted(found)}"


def test_lab_pointer_links_to_the_labs_page_not_to_a_notebook_path() -> None:
    for name in ["index.md", *PAGES]:
        assert "labs/lab02" not in _page(name) and "lab02.ipynb" not in _page(name), name
    assert "(../start/labs-and-grading.md)" in _page("index.md")
