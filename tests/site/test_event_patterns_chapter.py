"""4.2 이벤트 소싱, 4.3 팬아웃 and the choreography in saga.md: the code each page teaches runs on the offline
cloud through its real paths (API Gateway over HTTP, DynamoDB Streams, SNS, SQS, EventBridge) and does what the
page says; every check is also shown to fail on a plausible wrong version of that code. The worked costs add up
at the price file's prices, and every external source says when it was read."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from site_testkit import DOCS

from labkit.pricing import PriceBook, load_prices

CHAPTER = DOCS / "patterns"
REGION, ACCOUNT = "ap-northeast-2", "123456789012"


def _page(name: str) -> str:
    return (CHAPTER / name).read_text(encoding="utf-8")


def _blocks(name: str) -> dict[str, str]:
    """The page's titled Python blocks: file name -> code."""
    return dict(re.findall(r'^```python title="([^"]+)"\n(.*?)^```', _page(name), re.M | re.S))


def _write(folder: Path, blocks: dict[str, str], names: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(blocks[name], encoding="utf-8")
    return folder


@contextlib.contextmanager
def _modules(folder: Path, names: list[str]) -> Iterator[dict[str, ModuleType]]:
    """Import the page's modules in this process (for calls the HTTP path cannot force), then forget them."""
    sys.path.insert(0, str(folder))
    try:
        yield {name: importlib.import_module(name) for name in names}
    finally:
        sys.path.remove(str(folder))
        for name in names:
            sys.modules.pop(name, None)


def _table(cloud, name: str, key: str, sort: str | None = None, stream: bool = False) -> None:
    schema = [{"AttributeName": key, "KeyType": "HASH"}]
    attributes = [{"AttributeName": key, "AttributeType": "S"}]
    if sort:
        schema.append({"AttributeName": sort, "KeyType": "RANGE"})
        attributes.append({"AttributeName": sort, "AttributeType": "N"})
    spec = {"TableName": name, "BillingMode": "PAY_PER_REQUEST", "KeySchema": schema, "AttributeDefinitions": attributes}
    if stream:
        spec["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    cloud.client("dynamodb").create_table(**spec)


def _queue(cloud, name: str) -> tuple[str, str]:
    url = cloud.client("sqs").create_queue(QueueName=name)["QueueUrl"]
    return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def _drain(cloud, url: str) -> list[dict]:
    sqs, messages = cloud.client("sqs"), []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        messages += batch
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def _scan(cloud, table: str) -> list[dict]:
    return cloud.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]


# --- 4.2 이벤트 소싱 -------------------------------------------------------------------------

ES_FILES = ["event_store.py", "accounts.py", "projection.py", "replay.py", "publisher.py"]


def _accounts_api(cloud, fn_arn: str) -> str:
    """REST API: GET /accounts/{id} and POST /accounts/{id}/commands, both Lambda proxy integrations."""
    apig = cloud.client("apigateway")
    api = apig.create_rest_api(name="accounts")["id"]
    root = apig.get_resources(restApiId=api)["items"][0]["id"]
    accounts = apig.create_resource(restApiId=api, parentId=root, pathPart="accounts")["id"]
    account = apig.create_resource(restApiId=api, parentId=accounts, pathPart="{id}")["id"]
    commands = apig.create_resource(restApiId=api, parentId=account, pathPart="commands")["id"]
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn_arn}/invocations"
    for resource, method in ((account, "GET"), (commands, "POST")):
        apig.put_method(restApiId=api, resourceId=resource, httpMethod=method, authorizationType="NONE")
        apig.put_integration(restApiId=api, resourceId=resource, httpMethod=method, type="AWS_PROXY",
                             integrationHttpMethod="POST", uri=uri)
    apig.create_deployment(restApiId=api, stageName="dev")
    return cloud.api_url(api)


def event_sourcing_problems(blocks: dict[str, str], folder: Path) -> list[str]:
    """What 4.2's code does on the offline cloud that the page says it does not (empty: as taught)."""
    import requests

    from labkit.cloud import LocalCloud

    _write(folder, blocks, ES_FILES)
    problems: list[str] = []
    with LocalCloud() as cloud:
        _table(cloud, "events", "aggregateId", "version", stream=True)
        for table in ("balances", "balances-v2"):
            _table(cloud, table, "accountId")
        api = cloud.deploy(folder, name="accounts", handler="accounts.handler", timeout=10)
        cloud.deploy(folder, name="projection", handler="projection.handler", timeout=10)
        cloud.deploy(folder, name="publisher", handler="publisher.handler", timeout=10)
        lam = cloud.client("lambda")
        stream = cloud.client("dynamodb").describe_table(TableName="events")["Table"]["LatestStreamArn"]
        for name in ("projection", "publisher"):
            lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=name, StartingPosition="TRIM_HORIZON",
                                            BatchSize=10, MaximumRetryAttempts=2)
        audit_url, audit_arn = _queue(cloud, "audit")
        events = cloud.client("events")
        events.put_rule(Name="accounts-audit", EventPattern=json.dumps({"source": ["bank.accounts"]}))
        events.put_targets(Rule="accounts-audit", Targets=[{"Id": "audit", "Arn": audit_arn}])
        url = _accounts_api(cloud, api.arn)

        def command(account: str, body) -> requests.Response:
            data = body if isinstance(body, str) else json.dumps(body)
            return requests.post(f"{url}/accounts/{account}/commands", data=data, timeout=30)

        answers = [command("a-1", {"type": "Open", "owner": "김하늘"}).status_code,
                   command("a-1", {"type": "Deposit", "amount": 10000}).status_code,
                   command("a-1", {"type": "Withdraw", "amount": 3000}).status_code]
        if answers != [201, 201, 201]:
            problems.append(f"명령 세 개의 응답: {answers}")
        too_much = command("a-1", {"type": "Withdraw", "amount": 999_999})
        stale = command("a-1", {"type": "Withdraw", "amount": 100, "expectedVersion": 1})
        broken = command("a-1", "{oops")
        if (too_much.status_code, stale.status_code, broken.status_code) != (422, 409, 400):
            problems.append(f"잔액 부족 {too_much.status_code}, 옛 버전 {stale.status_code}, JSON 아님 {broken.status_code}")
        for body in ({"type": "Open", "owner": "이바다"}, {"type": "Deposit", "amount": 500}):
            command("a-2", body)

        with _modules(folder, ["event_store", "accounts", "projection", "replay"]) as mods:
            store, accounts, projection, replay = (mods[n] for n in ("event_store", "accounts", "projection", "replay"))
            # the conditional append really refuses a second write of the same version
            try:
                store.append("a-1", 2, "Deposited", {"amount": 1, "currency": "KRW"}, "test")
                problems.append("이미 있는 버전 2를 다시 쓸 수 있었습니다.")
            except store.Conflict:
                pass
            # a competing command lands between this command's read and its append: the server retries
            real_load, calls = accounts.load, []

            def racing_load(aggregate_id: str) -> list[dict]:
                history = real_load(aggregate_id)
                if not calls:
                    version = history[-1]["version"] + 1 if history else 1
                    store.append(aggregate_id, version, "Deposited", {"amount": 700, "currency": "KRW"}, "rival")
                calls.append(len(history))
                return history

            accounts.load = racing_load
            try:
                version = accounts.execute("a-2", {"type": "Deposit", "amount": 300}, "test")
            finally:
                accounts.load = real_load
            amounts = [e["data"].get("amount") for e in store.load("a-2")]
            if amounts != [None, 500, 700, 300] or version != 4 or calls != [2, 3]:
                problems.append(f"겹친 명령의 재시도: 이벤트 금액 {amounts}, 버전 {version}, 읽은 이벤트 수 {calls}")
            # an old (schema 1) event is read in today's shape
            ddb = cloud.client("dynamodb")
            for v, kind, data in ((1, "AccountOpened", {"owner": "박별"}), (2, "Deposited", {"amount": 2500})):
                ddb.put_item(TableName="events", Item={
                    "aggregateId": {"S": "a-3"}, "version": {"N": str(v)}, "type": {"S": kind}, "schema": {"N": "1"},
                    "data": {"S": json.dumps(data)}, "at": {"S": "2026-01-01T00:00:00+00:00"}, "by": {"S": "import"}})
            if store.load("a-3")[1]["data"] != {"amount": 2500, "currency": "KRW"}:
                problems.append(f"schema 1 이벤트의 업캐스팅: {store.load('a-3')[1]['data']}")

            cloud.run_until_idle(fast_forward=True)
            got = requests.get(f"{url}/accounts/a-1", timeout=30).json()
            if (got.get("balance"), got.get("version")) != (7000, 3):
                problems.append(f"읽기 모델(GET /accounts/a-1): {got}")
            missing = requests.get(f"{url}/accounts/a-9", timeout=30).status_code
            if missing != 404:
                problems.append(f"없는 계좌의 GET: {missing}")
            # a duplicate delivery changes nothing
            item = ddb.get_item(TableName="events", Key={"aggregateId": {"S": "a-1"}, "version": {"N": "2"}})["Item"]
            again = projection.project(item, "balances")
            after = requests.get(f"{url}/accounts/a-1", timeout=30).json()
            if again is not False or after.get("balance") != 7000:
                problems.append(f"같은 이벤트를 다시 반영: 반환값 {again}, 잔액 {after.get('balance')}")
            # replay rebuilds the same read model from scratch
            replayed = replay.replay("balances-v2")
            live = sorted((i["accountId"]["S"], i["balance"]["N"], i["version"]["N"]) for i in _scan(cloud, "balances"))
            rebuilt = sorted((i["accountId"]["S"], i["balance"]["N"], i["version"]["N"]) for i in _scan(cloud, "balances-v2"))
            stored = _scan(cloud, "events")
            if rebuilt != live or replayed != len(stored):
                problems.append(f"재생: 실시간 {live}, 재생 {rebuilt}, 반영 {replayed}/{len(stored)}")
            if any(not i["by"]["S"] or not i["at"]["S"] for i in stored):
                problems.append("이벤트에 누가(by), 언제(at)가 없습니다.")

        # the outbox: every stored event, and only those, reached the bus with its id and version
        published = sorted((json.loads(m["Body"])["detail"]["accountId"], json.loads(m["Body"])["detail"]["version"],
                            json.loads(m["Body"])["detail-type"]) for m in _drain(cloud, audit_url))
        expected = sorted((i["aggregateId"]["S"], int(i["version"]["N"]), i["type"]["S"]) for i in stored)
        if published != expected:
            problems.append(f"EventBridge로 나간 이벤트 {published}, 저장소의 이벤트 {expected}")
    return problems


def test_event_sourcing_code_behaves_as_taught_on_the_offline_cloud(tmp_path: Path) -> None:
    assert event_sourcing_problems(_blocks("event-sourcing.md"), tmp_path / "es") == []


def test_event_sourcing_check_catches_an_unconditional_append_and_a_projection_without_versions(tmp_path: Path) -> None:
    blocks = _blocks("event-sourcing.md")
    guard = '            ConditionExpression="attribute_not_exists(version)",\n'
    assert guard in blocks["event_store.py"]
    no_guard = {**blocks, "event_store.py": blocks["event_store.py"].replace(guard, "")}
    problems = event_sourcing_problems(no_guard, tmp_path / "no-guard")
    assert problems[0] == "이미 있는 버전 2를 다시 쓸 수 있었습니다." and problems[1].startswith("겹친 명령의 재시도"), problems

    version_check, previous = 'ConditionExpression=condition, ', 'values[":previous"] = {"N": str(version - 1)}'
    assert version_check in blocks["projection.py"] and previous in blocks["projection.py"]
    counting = {**blocks, "projection.py": blocks["projection.py"].replace(version_check, "").replace(previous, "pass")}
    problems = event_sourcing_problems(counting, tmp_path / "counting")
    assert [p.split(":")[0] for p in problems] == ["같은 이벤트를 다시 반영", "재생"], problems


# --- 4.3 팬아웃 ------------------------------------------------------------------------------

FANOUT_FILES = ["uploads.py", "thumbnail.py", "watermark.py", "metadata.py"]


def _picture(fmt: str, size: tuple[int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, fmt)
    return out.getvalue()


def fanout_problems(blocks: dict[str, str], folder: Path) -> list[str]:
    """What 4.3's pipeline does on the offline cloud that the page says it does not (empty: as taught)."""
    from PIL import Image

    from labkit.cloud import LocalCloud

    _write(folder, blocks, FANOUT_FILES)
    problems: list[str] = []
    with LocalCloud() as cloud:
        _table(cloud, "watermarks", "id")
        _table(cloud, "images", "objectKey")
        for name in ("thumbnail", "watermark", "metadata"):
            cloud.deploy(folder, name=name, handler=f"{name}.handler", timeout=30, memory=512,
                         env={"THUMBNAILS_BUCKET": "thumbnails"})
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(blocks["pipeline.py"], "pipeline.py", "exec"), {})
        sns, sqs, s3 = cloud.client("sns"), cloud.client("sqs"), cloud.client("s3")
        topic = sns.list_topics()["Topics"][0]["TopicArn"]
        tap_url, tap_arn = _queue(cloud, "tap")  # sees every notification, to send one again later
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=tap_arn, Attributes={"RawMessageDelivery": "true"})

        s3.put_object(Bucket="uploads", Key="public/cat.jpg", Body=_picture("JPEG", (800, 600)))
        s3.put_object(Bucket="uploads", Key="private/my dog.png", Body=_picture("PNG", (300, 900)))
        s3.put_object(Bucket="uploads", Key="public/broken.jpg", Body=b"not a picture at all")
        cloud.run_until_idle(fast_forward=True)

        thumbs = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="thumbnails").get("Contents", []))
        if thumbs != ["private/my dog.jpg", "public/cat.jpg"]:
            problems.append(f"썸네일: {thumbs}")
        else:
            sizes = [Image.open(io.BytesIO(s3.get_object(Bucket="thumbnails", Key=k)["Body"].read())).size for k in thumbs]
            if sizes != [(85, 256), (256, 192)]:
                problems.append(f"썸네일 크기: {sizes}")
        dead = {name: [json.loads(m["Body"])["Records"][0]["s3"]["object"]["key"]
                       for m in _drain(cloud, sqs.get_queue_url(QueueName=f"{name}-dlq")["QueueUrl"])]
                for name in ("thumbnail", "watermark", "metadata")}
        if dead != {"thumbnail": ["public/broken.jpg"], "watermark": [], "metadata": []}:
            problems.append(f"데드 레터 큐: {dead}")
        marks = sorted(i["key"]["S"] for i in _scan(cloud, "watermarks"))
        if marks != ["public/broken.jpg", "public/cat.jpg"]:
            problems.append(f"워터마크 기록(public/만): {marks}")
        images = {i["objectKey"]["S"]: i for i in _scan(cloud, "images")}
        shape = {k: (i["image"]["BOOL"], i.get("width", {}).get("N"), i.get("height", {}).get("N")) for k, i in images.items()}
        if shape != {"uploads/public/cat.jpg": (True, "800", "600"), "uploads/private/my dog.png": (True, "300", "900"),
                     "uploads/public/broken.jpg": (False, None, None)}:
            problems.append(f"메타데이터: {shape}")

        # the same S3 notification delivered again: every consumer's result stays as it was
        cat = next(m["Body"] for m in _drain(cloud, tap_url) if "public/cat.jpg" in m["Body"])
        sns.publish(TopicArn=topic, Message=cat)
        cloud.run_until_idle(fast_forward=True)
        again = (len(_scan(cloud, "watermarks")), len(_scan(cloud, "images")),
                 len(s3.list_objects_v2(Bucket="thumbnails").get("Contents", [])))
        if again != (len(marks), len(images), len(thumbs)):
            problems.append(f"중복 전달 뒤 (워터마크, 메타데이터, 썸네일) 수: {again}")

        # S3 refuses three functions on the same event type: why the page puts a topic in between
        arns = [cloud.function(name).arn for name in ("thumbnail", "watermark", "metadata")]
        try:
            exec(compile(blocks["s3_three_functions.py"], "s3_three_functions.py", "exec"),
                 {"s3": s3, "function_arns": arns})
            problems.append("S3가 같은 이벤트에 겹치는 규칙 셋을 받아들였습니다.")
        except Exception as error:  # botocore ClientError
            if "InvalidArgument" not in str(error) or "overlapping" not in str(error):
                problems.append(f"겹치는 규칙의 오류: {error}")
    return problems


def test_fanout_pipeline_behaves_as_taught_on_the_offline_cloud(tmp_path: Path) -> None:
    assert fanout_problems(_blocks("fan-out.md"), tmp_path / "fanout") == []


def test_fanout_check_catches_an_attribute_filter_and_a_random_idempotency_key(tmp_path: Path) -> None:
    blocks = _blocks("fan-out.md")
    body_scope = '"FilterPolicyScope": "MessageBody", '
    nested = 'ONLY_PUBLIC = {"Records": {"s3": {"object": {"key": [{"prefix": "public/"}]}}}}'
    assert body_scope in blocks["pipeline.py"] and nested in blocks["pipeline.py"]
    # the page's nested policy without its scope: SNS refuses the subscription, as the page says
    with pytest.raises(Exception, match="MessageAttributes does not support nested filter policy"):
        fanout_problems({**blocks, "pipeline.py": blocks["pipeline.py"].replace(body_scope, "")}, tmp_path / "nested")
    # a flat policy on attributes is accepted and drops every S3 notification
    flat = blocks["pipeline.py"].replace(body_scope, "").replace(nested, 'ONLY_PUBLIC = {"key": [{"prefix": "public/"}]}')
    problems = fanout_problems({**blocks, "pipeline.py": flat}, tmp_path / "attributes")
    assert problems == ["워터마크 기록(public/만): []"], problems

    key = '{"S": idempotency_key(record)}'
    assert key in blocks["watermark.py"]
    random_key = {**blocks, "watermark.py": "import uuid\n" + blocks["watermark.py"].replace(key, '{"S": str(uuid.uuid4())}')}
    problems = fanout_problems(random_key, tmp_path / "uuid")
    assert [p.split(":")[0] for p in problems] == ["중복 전달 뒤 (워터마크, 메타데이터, 썸네일) 수"], problems


# --- saga.md: the choreography's EventBridge rules route as its diagram says ---------------------

def choreography_edges(saga: str) -> dict[str, set[str]]:
    """From the choreography diagram: event type -> the queues (participants) the bus sends it to."""
    diagram = next(d for d in re.findall(r"```mermaid\n(.*?)```", saga, re.S) if "EventBridge<br>버스 orders" in d)
    queues = dict(re.findall(r'^\s*(\w+)\["[^"]*\((\w+)\)"\]', diagram, re.M))
    routes: dict[str, set[str]] = {}
    for names, node in re.findall(r'^\s*B -->\|"([^"]+)"\| (\w+)$', diagram, re.M):
        for name in filter(None, (n.strip() for n in re.split(r",|<br>", names))):
            routes.setdefault(name, set()).add(queues[node])
    return routes


SENDERS = {"Order": "shop.orders", "Stock": "shop.stock", "Payment": "shop.payments"}


def choreography_problems(rules_code: str, saga: str) -> list[str]:
    from labkit.cloud import LocalCloud

    routes = choreography_edges(saga)
    problems: list[str] = []
    with LocalCloud() as cloud:
        urls = {name: _queue(cloud, name)[0] for name in ("orders", "stock", "payments", "notifications")}
        exec(compile(rules_code, "choreography_rules.py", "exec"), {})
        events = cloud.client("events")
        emitted = sorted({e.strip() for names in re.findall(r'-\.->\|"([^"]+)"\| B', saga)
                          for e in re.split(r",|<br>", names) if e.strip()})
        for event_type in emitted:
            source = next(s for prefix, s in SENDERS.items() if event_type.startswith(prefix))
            events.put_events(Entries=[{"EventBusName": "orders", "Source": source, "DetailType": event_type,
                                        "Detail": json.dumps({"orderId": "o-1"})}])
            got = {q for q, url in urls.items() for m in _drain(cloud, url)}
            if got != routes.get(event_type, set()):
                problems.append(f"{event_type}: 그림은 {sorted(routes.get(event_type, set()))}, 규칙은 {sorted(got)}")
        # the same name from another sender reaches nobody
        events.put_events(Entries=[{"EventBusName": "orders", "Source": "other.team", "DetailType": "OrderCreated",
                                    "Detail": "{}"}])
        stray = {q for q, url in urls.items() for m in _drain(cloud, url)}
        if stray:
            problems.append(f"다른 source의 OrderCreated가 {sorted(stray)}에 갔습니다.")
    return problems


def test_choreography_rules_route_each_event_as_the_diagram_shows() -> None:
    saga = _page("saga.md")
    routes = choreography_edges(saga)
    assert routes["PaymentFailed"] == {"stock"} and routes["StockReleased"] == {"orders"} and len(routes) == 10
    assert choreography_problems(_blocks("saga.md")["choreography_rules.py"], saga) == []


def test_choreography_check_catches_a_rule_listening_to_the_wrong_sender() -> None:
    saga = _page("saga.md")
    code = _blocks("saga.md")["choreography_rules.py"]
    wrong = code.replace('("shop.payments", ["PaymentFailed", "PaymentRefunded"], "stock")',
                         '("shop.stock", ["PaymentFailed", "PaymentRefunded"], "stock")')
    assert wrong != code
    assert choreography_problems(wrong, saga) == ["PaymentFailed: 그림은 ['stock'], 규칙은 []",
                                                  "PaymentRefunded: 그림은 ['stock'], 규칙은 []"]


# --- the worked costs and the dated sources -------------------------------------------------

def event_sourcing_costs(book: PriceBook) -> dict[str, float]:
    """100만 명령, 이벤트 하나씩 (가정은 4.2 비용 절)."""
    r, n = book.rate, 1_000_000
    rows = {
        "명령: API Gateway와 Lambda 요청": n * (r("api_gateway.http_request") + r("lambda.request")),
        "명령: 실행 시간": n * 0.1 * 0.25 * r("lambda.duration_x86_64"),
        "이벤트 읽기: Query": n * r("dynamodb.read_request_unit"),
        "이벤트 추가: PutItem": n * r("dynamodb.write_request_unit"),
        "스트림 읽기": 0.0,
        "프로젝션과 발행: Lambda 요청과 실행 시간": 2 * n * r("lambda.request") + 2 * n * 0.05 * 0.25 * r("lambda.duration_x86_64"),
        "읽기 모델 쓰기: UpdateItem": n * r("dynamodb.write_request_unit"),
        "EventBridge 사용자 지정 이벤트": n * 1.00 / 1_000_000,
    }
    rows["합계"] = sum(rows.values())
    return rows


def fanout_costs(book: PriceBook) -> dict[str, float]:
    """100만 업로드, 절반이 public/ (가정은 4.3 비용 절)."""
    r, n = book.rate, 1_000_000
    gb_seconds = n * 0.5 * 1 + n / 2 * 0.05 * 0.25 + n * 0.2 * 0.5
    rows = {
        "SNS 발행": n * 0.50 / 1_000_000,
        "SQS 요청": (n + n / 2 + n) * 3 * r("sqs.standard_request"),
        "Lambda 요청": 2.5 * n * r("lambda.request"),
        "Lambda 실행 시간": gb_seconds * r("lambda.duration_x86_64"),
        "DynamoDB 쓰기": 1.5 * n * r("dynamodb.write_request_unit"),
    }
    rows["합계"] = sum(rows.values())
    return rows


def cost_table_problems(page: str, figures: dict[str, float]) -> list[str]:
    rows = {cells[0]: cells[-1] for line in page.splitlines() if line.startswith("| ")
            for cells in [[c.strip() for c in line.strip("|").split("|")]]}
    return [f"{label}: 계산은 {value:.2f}달러, 표는 {rows.get(label)!r}"
            for label, value in figures.items() if rows.get(label) != f"{value:.2f}달러"]


def test_worked_costs_add_up_at_the_price_files_prices() -> None:
    book = load_prices()
    assert cost_table_problems(_page("event-sourcing.md"), event_sourcing_costs(book)) == []
    assert cost_table_problems(_page("fan-out.md"), fanout_costs(book)) == []
    read = f"{book.read.year}년 {book.read.month}월 {book.read.day}일"
    for name in ("event-sourcing.md", "fan-out.md"):
        text = " ".join(_page(name).split())
        assert "labkit/data/prices-ap-northeast-2.toml" in text and f"읽은 날짜는 {read}" in text, name
    wrong = _page("fan-out.md").replace("| 15.12달러 |", "| 15.20달러 |")
    assert cost_table_problems(wrong, fanout_costs(book)) == ["합계: 계산은 15.12달러, 표는 '15.20달러'"]


@pytest.mark.parametrize("name", ["event-sourcing.md", "fan-out.md", "saga.md"])
def test_every_external_source_says_when_it_was_read(name: str) -> None:
    undated = [p[:120] for p in re.split(r"\n\s*\n", _page(name))
               if not p.lstrip().startswith("```") and "](http" in p and not re.search(r"20\d\d년 \d+월", p)]
    assert undated == [], f"{name}: 날짜 없는 출처: {undated}"
