"""Chapter 4 (서버리스 패턴): the landing page lists the seed's patterns and links only to pages that
exist, every price quoted is the price file's, the worked costs add up at those prices, each page ends
with a summary and a self-test, and the code the pages teach behaves as the pages say when it runs on
the offline cloud behind its API Gateway (real HTTP)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml
from site_testkit import DOCS, REPO

from labkit.pricing import PriceBook, load_prices

CHAPTER = DOCS / "patterns"
PAGES = ["index.md", "sync-api.md", "event-sourcing.md", "fan-out.md", "saga.md", "async-api.md"]

# The seed's sections 1-6 as this course numbers them; None: the page is not written yet.
SECTIONS = [
    ("4.1", "동기 API", "sync-api.md"),
    ("4.2", "이벤트 소싱", "event-sourcing.md"),
    ("4.3", "팬아웃", "fan-out.md"),
    ("4.4–4.5", "사가", "saga.md"),
    ("4.6", "비동기 API", "async-api.md"),
]


def _page(name: str) -> str:
    return (CHAPTER / name).read_text(encoding="utf-8")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _h3_sections(text: str) -> dict[str, str]:
    """`### title` -> its text up to the next heading of level 2 or 3."""
    parts = re.split(r"^(#{2,3} .+)$", text, flags=re.M)
    return {parts[i][4:].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2) if parts[i].startswith("### ")}


# --- the landing page: the patterns at a glance, no dead links ---------------------------------

def glance_problems(index: str, written: list[tuple[str, str, str | None]] = SECTIONS) -> list[str]:
    sections = _h3_sections(index)
    problems = []
    for number, name, page in written:
        title = next((t for t in sections if t.startswith(f"{number} {name}")), None)
        if title is None:
            problems.append(f"'{number} {name}' 절이 한눈에 보기에 없습니다.")
            continue
        body = sections[title]
        if "```mermaid" not in body:
            problems.append(f"{number}: mermaid 그림이 없습니다.")
        links = re.findall(r"\]\(([^)#]+\.md)", body)
        if page is None:
            if links or "준비 중" not in body:
                problems.append(f"{number}: 아직 없는 페이지는 링크 없이 '준비 중'이라고 적습니다(링크: {links}).")
        elif page not in links or "글 사용 가능" not in body:
            problems.append(f"{number}: {page}로 가는 링크와 '글 사용 가능'이 있어야 합니다.")
    return problems


def test_landing_page_shows_each_pattern_of_the_seed_with_a_diagram_and_its_status() -> None:
    index = _page("index.md")
    assert glance_problems(index) == []
    assert "패턴은 다섯 가지" in _flat(index) and "절이 여섯 개" in _flat(index)


def test_glance_check_catches_a_missing_diagram_and_a_link_to_an_unwritten_page() -> None:
    index = _page("index.md")
    saga = index.index("### 4.4–4.5")
    no_diagram = index[:saga] + index[saga:].replace("```mermaid", "```text", 1)
    assert glance_problems(no_diagram) == ["4.4–4.5: mermaid 그림이 없습니다."]
    unwritten = [(n, name, None if n == "4.2" else page) for n, name, page in SECTIONS]
    assert [p[:4] for p in glance_problems(index, unwritten)] == ["4.2:"]


def missing_link_targets(text: str, folder: Path = CHAPTER) -> list[str]:
    """Relative .md links in a page of `folder` whose file does not exist."""
    targets = re.findall(r"\]\(((?!https?:)[^)#\s]+\.md)(?:#[^)]*)?\)", text)
    return [t for t in targets if not (folder / t).resolve().is_file()]


def test_chapter_links_only_to_pages_that_exist() -> None:
    for name in PAGES:
        assert missing_link_targets(_page(name)) == [], name
    assert missing_link_targets(_page("index.md") + "\n[4.7 워크플로](workflow.md)\n") == ["workflow.md"]


def test_chapter_is_in_the_nav_after_chapter_3_with_every_page() -> None:
    nav = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8").split("\ntheme:", 1)[0])["nav"]
    titles = [next(iter(entry)) if isinstance(entry, dict) else entry for entry in nav]
    assert titles.index("4장 서버리스 패턴") == titles.index("3장 콜드 스타트") + 1
    chapter = next(entry["4장 서버리스 패턴"] for entry in nav if isinstance(entry, dict) and "4장 서버리스 패턴" in entry)
    listed = [item if isinstance(item, str) else next(iter(item.values())) for item in chapter]
    assert listed == [f"patterns/{name}" for name in PAGES]
    assert sorted(p.name for p in CHAPTER.glob("*.md")) == sorted(PAGES)


# --- every page ends with a summary and a self-test --------------------------------------------

APPLIED = re.compile(r'^\?\?\? example "적용 문제: [^"]+"\n\n(    \S.*\n)+', re.M)


def ending_problems(text: str) -> list[str]:
    h2 = re.findall(r"^## (.+)$", text, re.M)
    problems = []
    if h2[-2:] != ["정리", "스스로 점검하기"]:
        problems.append(f"마지막 두 절이 '정리', '스스로 점검하기'가 아닙니다: {h2[-2:]}")
    selftest = text.split("\n## 스스로 점검하기\n", 1)[-1]
    if not re.search(r'^\?\?\? question "', selftest, re.M):
        problems.append("스스로 점검하기에 접힌 질문(??? question)이 없습니다.")
    if not APPLIED.search(selftest + "\n"):
        problems.append("스스로 점검하기에 적용 문제(??? example \"적용 문제: ...\")와 접힌 답이 없습니다.")
    summary = text.split("\n## 정리\n", 1)[-1].split("\n## ", 1)[0]
    if summary.count("\n- ") < 2:
        problems.append("정리에 요점이 두 개 이상 없습니다.")
    return problems


@pytest.mark.parametrize("name", PAGES)
def test_each_page_ends_with_a_summary_and_a_self_test(name: str) -> None:
    assert ending_problems(_page(name)) == []


def test_ending_check_catches_a_page_without_summary_or_applied_question() -> None:
    text = _page("sync-api.md")
    assert "마지막 두 절" in ending_problems(text.replace("\n## 정리\n", "\n## 요약\n"))[0]
    no_applied = re.sub(r'\?\?\? example "적용 문제:', '??? question "문제:', text)
    assert any("적용 문제" in p for p in ending_problems(no_applied))


def test_pattern_pages_state_their_reading_time() -> None:
    for name in ("sync-api.md", "event-sourcing.md", "fan-out.md", "async-api.md"):
        assert re.search(r"읽는 데 \d+분쯤 걸립니다", _flat(_page(name))), name


# --- prices: every one quoted is the price file's ----------------------------------------------

# Row label on 4.1's price table -> price-file key.
PRICE_ROWS = {
    "HTTP API 요청": "api_gateway.http_request",
    "REST API 요청": "api_gateway.rest_request",
    "Lambda 요청": "lambda.request",
    "Lambda 실행 시간(x86_64)": "lambda.duration_x86_64",
    "DynamoDB 온디맨드 쓰기 요청 단위": "dynamodb.write_request_unit",
    "DynamoDB 온디맨드 읽기 요청 단위": "dynamodb.read_request_unit",
}
REGION_WORDS = {"ap-northeast-2": "서울", "us-east-1": "미국 동부"}


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def price_table_problems(page: str, book: PriceBook) -> list[str]:
    rows = {}
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 3:
            label = re.sub(r"\(월 .*?\)", "", cells[0]).strip()
            rows[label] = cells
    problems = []
    for label, key in PRICE_ROWS.items():
        if label not in rows:
            problems.append(f"가격 표에 '{label}' 줄이 없습니다.")
            continue
        _, quoted, region = rows[label]
        price = book[key]
        found = re.search(r"(?:100만 (?:건|단위)당|GB-초당) ([\d.]+)달러", quoted)
        if not found or _number(found.group(1)) != price.price:
            problems.append(f"{label}: 본문 {quoted!r}, 가격 파일 {price.price} ({key})")
        if not region.startswith(REGION_WORDS[price.region]):
            problems.append(f"{label}: 본문의 리전 {region!r}, 가격 파일 {price.region}")
    return problems


def test_every_price_on_the_pattern_pages_is_the_price_files() -> None:
    book = load_prices()
    assert price_table_problems(_page("sync-api.md"), book) == []
    sqs = book["sqs.standard_request"]
    assert sqs.region == "ap-northeast-2" and f"100만 건당 {sqs.price:.2f}달러" in _flat(_page("async-api.md"))
    read = f"{book.read.year}년 {book.read.month}월 {book.read.day}일"
    for name in ("sync-api.md", "async-api.md"):
        text = _flat(_page(name))
        assert "labkit/data/prices-ap-northeast-2.toml" in text and "labkit.pricing" in text, name
        assert f"읽은 날짜는 {read}" in text, f"{name}: 가격 파일을 읽은 날짜({read})를 밝혀야 합니다."


def test_price_check_catches_a_wrong_price_and_a_wrong_region() -> None:
    book = load_prices()
    page = _page("sync-api.md")
    wrong = page.replace("100만 건당 1.23달러", "100만 건당 1.00달러", 1)
    assert [p.split(":")[0] for p in price_table_problems(wrong, book)] == ["HTTP API 요청"]
    region = page.replace("| 100만 건당 3.50달러 | 미국 동부", "| 100만 건당 3.50달러 | 서울", 1)
    assert any("리전" in p for p in price_table_problems(region, book))


# --- the worked costs add up at the file's prices ----------------------------------------------

def sync_cost_figures(book: PriceBook) -> dict[str, float]:
    """`GET /users/{id}` 100만 건: 256MB, 50ms, 0.5 RRU each; create user: 4 WRU each."""
    compute = 1_000_000 * 0.05 * 0.25 * book.rate("lambda.duration_x86_64")
    reads = 1_000_000 * 0.5 * book.rate("dynamodb.read_request_unit")
    base = 1_000_000 * book.rate("lambda.request") + compute + reads
    return {
        "HTTP API 합계": 1_000_000 * book.rate("api_gateway.http_request") + base,
        "REST API 합계": 1_000_000 * book.rate("api_gateway.rest_request") + base,
        "실행 시간": compute, "읽기": reads,
        "사용자 만들기": 4_000_000 * book.rate("dynamodb.write_request_unit"),
    }


def async_cost_figures(book: PriceBook) -> dict[str, float]:
    """10만 작업, 작업마다 폴링 10번 (가정은 4.6 비용 절)."""
    r, jobs, polls = book.rate, 100_000, 1_000_000
    rows = {
        "접수: API Gateway와 Lambda 요청": jobs * (r("api_gateway.http_request") + r("lambda.request")),
        "접수: 실행 시간": jobs * 0.1 * 0.25 * r("lambda.duration_x86_64"),
        "작업 기록: DynamoDB 쓰기": jobs * 3 * r("dynamodb.write_request_unit"),
        "멱등성 기록: DynamoDB 쓰기": jobs * 2 * r("dynamodb.write_request_unit"),
        "SQS": jobs * 3 * r("sqs.standard_request"),
        "작업자: Lambda 요청과 실행 시간": jobs * r("lambda.request") + jobs * 20 * 1 * r("lambda.duration_x86_64"),
        "폴링: API Gateway, Lambda, DynamoDB 읽기": polls * (r("api_gateway.http_request") + r("lambda.request"))
        + polls * 0.05 * 0.25 * r("lambda.duration_x86_64") + polls * r("dynamodb.read_request_unit"),
    }
    rows["합계"] = sum(rows.values())
    return rows


def cost_problems(sync_page: str, async_page: str, book: PriceBook) -> list[str]:
    problems = []
    sync = sync_cost_figures(book)
    total_row = next((line for line in sync_page.splitlines() if line.startswith("| 합계 |")), "")
    for label in ("HTTP API 합계", "REST API 합계"):
        if f"{sync[label]:.2f}달러" not in total_row:
            problems.append(f"4.1 {label}: 계산은 {sync[label]:.2f}달러, 표는 {total_row!r}")
    flat = _flat(sync_page)
    for label in ("실행 시간", "읽기"):
        if f"| {sync[label]:.2f}달러 | {sync[label]:.2f}달러 |" not in sync_page:
            problems.append(f"4.1 {label}: 계산은 {sync[label]:.2f}달러")
    if f"{sync['사용자 만들기']:.2f}달러" not in flat:
        problems.append(f"4.1 사용자 만들기: 계산은 {sync['사용자 만들기']:.2f}달러")
    rows = {cells[0]: cells[-1] for line in async_page.splitlines() if line.startswith("| ")
            for cells in [[c.strip() for c in line.strip("|").split("|")]]}
    for label, value in async_cost_figures(book).items():
        if rows.get(label) != f"{value:.2f}달러":
            problems.append(f"4.6 {label}: 계산은 {value:.2f}달러, 표는 {rows.get(label)!r}")
    return problems


def test_worked_costs_add_up_at_the_price_files_prices() -> None:
    assert cost_problems(_page("sync-api.md"), _page("async-api.md"), load_prices()) == []


def test_cost_check_catches_a_figure_that_does_not_add_up() -> None:
    book = load_prices()
    sync_page, async_page = _page("sync-api.md"), _page("async-api.md")
    assert cost_problems(sync_page, async_page.replace("35.77달러", "35.70달러"), book) == [
        "4.6 합계: 계산은 35.77달러, 표는 '35.70달러'"]
    assert any("HTTP API 합계" in p for p in cost_problems(sync_page.replace("1.71달러", "1.70달러"), async_page, book))


# --- dated facts the chapter corrects the seed with --------------------------------------------

def test_the_2024_rest_timeout_change_is_cited_with_its_date_and_scope() -> None:
    timeouts = _flat(_page("sync-api.md").split("### 시간 제한", 1)[1].split("\n### ", 1)[0])
    for fact in ("amazon-api-gateway-integration-timeout-limit-29-seconds", "2024년 6월 4일",
                 "리전 REST API와 프라이빗 REST API", "HTTP API는 최대 30초이고 늘릴 수 없습니다", "스로틀링 할당량"):
        assert fact in timeouts, fact


def test_every_external_source_on_the_pattern_pages_says_when_it_was_read() -> None:
    for name in ("sync-api.md", "async-api.md"):
        for paragraph in re.split(r"\n\s*\n", _page(name)):
            if paragraph.lstrip().startswith("```") or "](http" not in paragraph:
                continue
            assert re.search(r"20\d\d년 \d+월", paragraph), f"{name}: 날짜 없는 출처: {paragraph[:120]}"


# --- the code the pages teach, run on the offline cloud over real HTTP ------------------------

def _blocks(name: str) -> list[str]:
    return re.findall(r'^```python title="[^"]*"\n(.*?)^```', _page(name), re.M | re.S)


def _proxy_api(cloud, fn_arn: str, name: str) -> str:
    """A REST API whose every path goes to the function (Lambda proxy integration); its base URL."""
    apig = cloud.client("apigateway")
    api = apig.create_rest_api(name=name)["id"]
    root = apig.get_resources(restApiId=api)["items"][0]["id"]
    proxy = apig.create_resource(restApiId=api, parentId=root, pathPart="{proxy+}")["id"]
    uri = f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{fn_arn}/invocations"
    apig.put_method(restApiId=api, resourceId=proxy, httpMethod="ANY", authorizationType="NONE")
    apig.put_integration(restApiId=api, resourceId=proxy, httpMethod="ANY", type="AWS_PROXY",
                         integrationHttpMethod="POST", uri=uri)
    apig.create_deployment(restApiId=api, stageName="dev")
    return cloud.api_url(api)


def _table(cloud, name: str, keys: tuple[str, ...], gsi: bool = False) -> None:
    spec = {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k in keys],
            "KeySchema": [{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ("HASH", "RANGE"))]}
    if gsi:
        spec["AttributeDefinitions"] += [{"AttributeName": k, "AttributeType": "S"} for k in ("GSI1PK", "GSI1SK")]
        spec["GlobalSecondaryIndexes"] = [{"IndexName": "GSI1", "Projection": {"ProjectionType": "ALL"},
                                           "KeySchema": [{"AttributeName": "GSI1PK", "KeyType": "HASH"},
                                                         {"AttributeName": "GSI1SK", "KeyType": "RANGE"}]}]
    cloud.client("dynamodb").create_table(**spec)


READ_USER = textwrap.dedent('''
    def read_user(user_id):
        item = dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": f"USER#{user_id}"}, "SK": {"S": "PROFILE"}}).get("Item")
        if item is None:
            return None
        return {"id": item["id"]["S"], "email": item["email"]["S"], "version": int(item["version"]["N"])}
''')


def sync_example_problems(blocks: list[str], tmp_path: Path) -> list[str]:
    """What 4.1's code does on the offline cloud that the page says it does not (empty: as taught)."""
    import requests

    from labkit.cloud import LocalCloud

    source = "\n\n".join(blocks).replace('PAGE_SECRET = b"..."', 'PAGE_SECRET = b"test-secret"') + READ_USER
    (tmp_path / "users_app.py").write_text(source, encoding="utf-8")
    problems = []
    with LocalCloud() as cloud:
        _table(cloud, "users", ("PK", "SK"), gsi=True)
        fn = cloud.deploy(tmp_path / "users_app.py", name="users", handler="users_app.handler", timeout=10)
        url = _proxy_api(cloud, fn.arn, "users")
        headers = {"Content-Type": "application/json", "Origin": "https://app.example.com"}
        bad = requests.post(f"{url}/users", data="{oops", headers=headers)
        if bad.status_code != 400:
            problems.append(f"잘못된 JSON: {bad.status_code}")
        first = requests.post(f"{url}/users", json={"email": "Kim@Example.com", "name": "김서버"}, headers=headers)
        again = requests.post(f"{url}/users", json={"email": "kim@example.com", "name": "다른 사람"}, headers=headers)
        if first.status_code != 201 or again.status_code != 409 or "이미 가입한 이메일" not in again.json()["message"]:
            problems.append(f"같은 이메일: {first.status_code}, {again.status_code} {again.text}")
        if first.headers.get("Access-Control-Allow-Origin") != "https://app.example.com":
            problems.append(f"CORS 헤더: {dict(first.headers)}")
        if first.status_code == 201:
            user = first.json()
            got = requests.get(f"{url}/users/{user['id']}")
            if got.status_code != 200 or got.json().get("email") != "kim@example.com" or "PK" in got.text:
                problems.append(f"사용자 읽기: {got.status_code} {got.text}")
        missing = requests.get(f"{url}/users/u-none")
        if missing.status_code != 404:
            problems.append(f"없는 사용자: {missing.status_code}")

        ns: dict = {}  # the same code, called directly: versions and page tokens
        exec(compile(source, "users_app.py", "exec"), ns)
        user = ns["create_user"]("lee@example.com", "이")
        if ns["update_user_name"](user["id"], "이서버", 1) != 2:
            problems.append("버전이 2가 되지 않았습니다.")
        try:
            ns["update_user_name"](user["id"], "박", 1)
            problems.append("오래된 버전의 수정이 받아들여졌습니다.")
        except ns["StaleVersion"]:
            pass
        for day in range(1, 6):
            cloud.client("dynamodb").put_item(TableName="users", Item={
                "PK": {"S": f"USER#{user['id']}"}, "SK": {"S": f"ORDER#2026-12-0{day}T00:00:00Z#o-{day}"},
                "orderId": {"S": f"o-{day}"}, "total": {"N": str(day * 1000)}})
        page1 = ns["list_orders"](user["id"], limit=2)
        page2 = ns["list_orders"](user["id"], limit=2, token=page1["next"])
        order_ids = [o["orderId"] for o in page1["orders"] + page2["orders"]]
        if order_ids != ["o-5", "o-4", "o-3", "o-2"]:
            problems.append(f"주문 목록(최신순, 두 쪽): {order_ids}")
        for token, user_id in ((page1["next"][:-4] + "AAAA", user["id"]), ("%%%", user["id"]), (page1["next"], "u-other")):
            try:
                ns["list_orders"](user_id, limit=2, token=token)
                problems.append(f"잘못된 토큰 {token[:12]}...을 받아들였습니다.")
            except ns["BadPageToken"]:
                pass
    return problems


def test_sync_api_code_behaves_as_taught_on_the_offline_cloud(tmp_path: Path) -> None:
    assert sync_example_problems(_blocks("sync-api.md"), tmp_path) == []


def test_sync_example_check_catches_the_seeds_uniqueness_mistake(tmp_path: Path) -> None:
    """The seed guards only the new user's own (random) key: duplicates are then accepted."""
    blocks = _blocks("sync-api.md")
    seed_like = blocks[0].replace(
        '''{"Put": {"TableName": TABLE, "Item": unique_email,
                     "ConditionExpression": "attribute_not_exists(PK)"}},''',
        '''{"Put": {"TableName": TABLE, "Item": unique_email}},''')
    assert seed_like != blocks[0]
    problems = sync_example_problems([seed_like, *blocks[1:]], tmp_path)
    assert [p.split(":")[0] for p in problems] == ["같은 이메일"]


def async_example_problems(blocks: list[str], tmp_path: Path) -> list[str]:
    """What 4.6's code does on the offline cloud that the page says it does not (empty: as taught)."""
    import requests

    from labkit.cloud import LocalCloud

    source = "\n\n".join(blocks).replace('QUEUE_URL = "..."', 'import os\nQUEUE_URL = os.environ["QUEUE_URL"]')
    (tmp_path / "jobs_app.py").write_text(source, encoding="utf-8")
    problems = []
    with LocalCloud() as cloud:
        _table(cloud, "jobs", ("id",))
        _table(cloud, "idempotency", ("id",))
        queue = cloud.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
        fn = cloud.deploy(tmp_path / "jobs_app.py", name="submit", handler="jobs_app.handler", timeout=10,
                          env={"QUEUE_URL": queue})
        url = _proxy_api(cloud, fn.arn, "jobs")
        first = requests.post(f"{url}/jobs", json={"report": "월간"}, headers={"Idempotency-Key": "k-1"})
        again = requests.post(f"{url}/jobs", json={"report": "월간"}, headers={"idempotency-key": "k-1"})
        other = requests.post(f"{url}/jobs", json={"report": "주간"}, headers={"Idempotency-Key": "k-1"})
        nokey = requests.post(f"{url}/jobs", json={"report": "월간"})
        if first.status_code != 202 or not first.headers.get("Location", "").startswith("/jobs/j-"):
            problems.append(f"접수: {first.status_code} {dict(first.headers)}")
        if again.status_code != 202 or again.headers.get("Location") != first.headers.get("Location"):
            problems.append(f"같은 키: {again.status_code} {again.headers.get('Location')}")
        if other.status_code != 422 or nokey.status_code != 400:
            problems.append(f"다른 본문 {other.status_code}, 키 없음 {nokey.status_code}")
        waiting = cloud.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
        if waiting["Attributes"]["ApproximateNumberOfMessages"] != "1":
            problems.append(f"큐의 메시지: {waiting['Attributes']}")

        ns: dict = {}
        import os
        os.environ["QUEUE_URL"] = queue
        try:
            exec(compile(source, "jobs_app.py", "exec"), ns)
        finally:
            del os.environ["QUEUE_URL"]
        job_id = first.headers.get("Location", "/jobs/none").rsplit("/", 1)[-1]
        if (ns["claim"](job_id), ns["claim"](job_id)) != (True, False):
            problems.append("같은 작업을 두 번 가져갈 수 있습니다.")
        ns["jobs"].update_item(Key={"id": job_id}, UpdateExpression="SET #s = :done",
                               ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":done": "SUCCEEDED"})
        if ns["claim"](job_id):
            problems.append("끝난 작업을 다시 가져갔습니다.")
    return problems


def test_async_api_code_behaves_as_taught_on_the_offline_cloud(tmp_path: Path) -> None:
    assert async_example_problems(_blocks("async-api.md"), tmp_path) == []


def test_async_example_check_catches_a_worker_that_claims_without_a_condition(tmp_path: Path) -> None:
    blocks = _blocks("async-api.md")
    guard = 'ConditionExpression="#s = :pending OR (#s = :running AND leaseUntil < :now)",'
    always = 'ConditionExpression="attribute_exists(id) OR #s = :pending OR leaseUntil < :now",'
    assert guard in blocks[1]
    problems = async_example_problems([blocks[0], blocks[1].replace(guard, always)], tmp_path)
    assert problems == ["같은 작업을 두 번 가져갈 수 있습니다.", "끝난 작업을 다시 가져갔습니다."]
