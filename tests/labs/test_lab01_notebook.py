"""lab01 as a learner runs it, and its solution handlers against AWS's own published sample events.

The handlers the solution writes with `%%writefile` are taken from the notebook, deployed on the
offline cloud with the resources they expect, and fed the samples in tests/cloud/events (see its
README): a handler that only works on the events our runtime makes would teach the wrong thing.
"""
from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote_plus

import nbformat
import pytest
from nbclient import NotebookClient

from grader.config import ROOT
from workshop.solution import write_handler_files

SOLUTION = ROOT / "solutions" / "lab01" / "lab01.ipynb"
EVENTS = ROOT / "tests" / "cloud" / "events"

# There is no SQS sample in tests/cloud/events: this is the AWS Lambda Developer Guide's
# "Example Amazon SQS message event (standard queue)", unchanged.
SQS_SAMPLE = {"Records": [
    {"messageId": "059f36b4-87a3-44ab-83d2-661975830a7d", "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
     "body": "Test message.",
     "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082649185"},
     "messageAttributes": {}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3", "eventSource": "aws:sqs",
     "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue", "awsRegion": "us-east-2"},
    {"messageId": "2e1424d4-f796-459a-8184-9c92662be6da", "receiptHandle": "AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...",
     "body": "Test message.",
     "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082650636",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082650649"},
     "messageAttributes": {}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3", "eventSource": "aws:sqs",
     "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue", "awsRegion": "us-east-2"},
]}


def sample(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    from labkit import eventsources as es
    from labkit.cloud import local_cloud

    folders = write_handler_files(SOLUTION, tmp_path_factory.mktemp("lab01-handlers"))
    assert set(folders) == {"api", "uploads", "orders", "changes", "daily", "clicks"}
    with local_cloud() as cloud:
        tables = {"api": ("lab01-notes", "id"), "uploads": ("lab01-uploads", "bucket", "key"),
                  "orders": ("lab01-orders", "orderId"), "changes": ("lab01-audit", "eventId"),
                  "daily": ("lab01-reports", "day"), "clicks": ("lab01-clicks", "user")}
        for name, (table, *keys) in tables.items():
            es.table(cloud, table, *keys)
            variable = "AUDIT_TABLE" if name == "changes" else "TABLE_NAME"
            cloud.deploy(str(folders[name]), name=f"lab01-{name}", env={variable: table})
        yield cloud, es


def invoke_ok(cloud, name: str, event: dict):
    result = cloud.invoke(f"lab01-{name}", event)
    assert result.ok, result.result
    return result.result


def expected_status(event: dict) -> int:
    """What the lab's API must answer to an API Gateway event (the task's table, applied to any sample)."""
    method = event.get("httpMethod") or event["requestContext"]["http"]["method"]
    note_id = (event.get("pathParameters") or {}).get("id")
    if method == "POST" and note_id is None:
        try:
            data = json.loads(event.get("body") or "")
        except ValueError:
            return 400
        return 201 if isinstance(data, dict) and isinstance(data.get("text"), str) else 400
    return 404  # GET of an id no one created, or a route the API does not have


API_SAMPLES = sorted(p.stem for p in EVENTS.glob("apigateway-*.json"))


@pytest.mark.parametrize("sample_name", API_SAMPLES)
def test_api_handler_answers_every_api_gateway_sample_with_a_json_status(deployed, sample_name):
    # The samples are REST (1.0), HTTP API 1.0 and 2.0 requests to paths and bodies of AWS's choosing:
    # the handler must answer each with the status the task's table gives, never with an exception.
    cloud, _ = deployed
    event = sample(sample_name)
    response = invoke_ok(cloud, "api", event)
    assert response["statusCode"] == expected_status(event) != 201
    assert response["headers"]["Content-Type"].startswith("application/json")
    assert re.search("[가-힣]", json.loads(response["body"])["message"])


def request(name: str, method: str, note_id: str | None, body: str | None) -> dict:
    """An API Gateway sample turned into another request (format 1.0 or 2.0, as the sample is)."""
    event = sample(name)
    if "http" in event["requestContext"]:
        event["requestContext"]["http"]["method"] = method  # format 2.0
    else:
        event["httpMethod"] = event["requestContext"]["httpMethod"] = method  # format 1.0
    event["pathParameters"] = None if note_id is None else {"id": note_id}
    event["body"] = body
    return event


def test_api_handler_serves_the_samples_once_they_carry_a_note(deployed):
    cloud, _ = deployed
    for name in API_SAMPLES:
        text = f"{name}의 메모"
        created = invoke_ok(cloud, "api", request(name, "POST", None, json.dumps({"text": text}, ensure_ascii=False)))
        assert created["statusCode"] == 201, (name, created)
        got = invoke_ok(cloud, "api", request(name, "GET", json.loads(created["body"])["id"], None))
        assert got["statusCode"] == 200 and json.loads(got["body"])["text"] == text, (name, got)


# The expectations below are derived from each sample, so they hold if a sample is replaced by
# a newer one from AWS's documentation.

def test_uploads_handler_records_the_s3_sample(deployed):
    cloud, es = deployed
    event = sample("s3")
    invoke_ok(cloud, "uploads", event)
    items = es.items(cloud, "lab01-uploads")
    for record in event["Records"]:
        s3 = record["s3"]
        expected = {"bucket": s3["bucket"]["name"], "key": unquote_plus(s3["object"]["key"]),
                    "size": s3["object"].get("size", 0)}
        assert expected in items


def test_orders_handler_reports_the_sqs_samples_non_json_bodies_as_failures(deployed):
    cloud, _ = deployed
    result = invoke_ok(cloud, "orders", SQS_SAMPLE)
    assert result == {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in SQS_SAMPLE["Records"]]}


def test_changes_handler_audits_the_dynamodb_stream_sample(deployed):
    from boto3.dynamodb.types import TypeDeserializer

    plain = TypeDeserializer().deserialize
    cloud, es = deployed
    event = sample("dynamodb-stream")
    invoke_ok(cloud, "changes", event)
    rows = {r["eventId"]: r for r in es.items(cloud, "lab01-audit")}
    for record in event["Records"]:
        row, change = rows[record["eventID"]], record["dynamodb"]
        assert row["change"] == record["eventName"]
        assert row["keys"] == {k: plain(v) for k, v in change["Keys"].items()}
        for side, image in (("old", "OldImage"), ("new", "NewImage")):
            assert row[side] == {k: plain(v) for k, v in change.get(image, {}).items()}
    assert {r["eventName"] for r in event["Records"]} == {"INSERT", "MODIFY", "REMOVE"}
    assert any(isinstance(v, Decimal) for r in rows.values() for v in r["keys"].values())


def test_daily_handler_uses_the_time_of_the_scheduled_event_sample(deployed):
    cloud, es = deployed
    event = sample("eventbridge-scheduled")
    invoke_ok(cloud, "daily", event)
    day = (datetime.fromisoformat(event["time"].replace("Z", "+00:00")) - timedelta(days=1)).date().isoformat()
    assert {"day": day, "scheduledAt": event["time"]} in es.items(cloud, "lab01-reports")


def test_clicks_handler_decodes_and_aggregates_the_kinesis_sample_once_when_it_comes_twice(deployed):
    # Event source mappings deliver at least once: the same batch (AWS's sample, with its 56-digit
    # sequence numbers, more than a DynamoDB Number holds) may arrive again and must not count twice.
    cloud, es = deployed
    event = sample("kinesis")
    assert all(len(r["kinesis"]["sequenceNumber"]) > 38 for r in event["Records"])
    per_key: dict[str, list[str]] = {}
    for record in event["Records"]:
        page = base64.b64decode(record["kinesis"]["data"]).decode("utf-8")
        per_key.setdefault(record["kinesis"]["partitionKey"], []).append(page)
    for delivery in (1, 2):
        invoke_ok(cloud, "clicks", event)
        totals = {r["user"]: r for r in es.items(cloud, "lab01-clicks")}
        for key, pages in per_key.items():
            assert totals[key]["clicks"] == len(pages), (delivery, totals[key])
            assert totals[key]["lastPage"] == pages[-1]


def test_solution_runs_end_to_end(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False).execute(cwd=str(tmp_path))
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "공개 테스트 6/6 통과" in text and "숨겨진 테스트 11개는 채점 때 실행됩니다" in text
    assert (tmp_path / "lab01_functions" / "api" / "app.py").exists()  # the handlers went to the notebook's folder
    shown = {c.get("id"): "".join(o.get("text", "") for o in c.outputs) for c in nb.cells if c.cell_type == "code"}
    assert "함수가 받은 횟수: 3" in shown["dlq3"] and '데드 레터 큐: {"orderId": "T-2", "qty": 0}' in shown["dlq3"]
    assert shown["replay6"].count("u-demo의 clicks: 2") == 2  # the replayed batch counted once
    # The exploratory cells promise an "예상 결과" in a comment: the solution prints exactly that.
    values = {c.get("id"): "".join(o.get("data", {}).get("text/plain", "") for o in c.outputs)
              for c in nb.cells if c.cell_type == "code"}
    sources = {c.get("id"): c.source for c in nb.cells}
    for cell_id, printed in (("try2", values["try2"]), ("try3", shown["try3"].strip())):
        promised = re.search(r"# 예상 결과\([^)]*\): (.+)$", sources[cell_id], re.M).group(1)
        assert printed == promised, (cell_id, printed, promised)


def test_released_notebook_shows_the_learner_what_its_notes_promise(tmp_path):
    # Before any task is solved: the note before the first request promises a 500 (HTTP API), the dead-letter
    # queue cell still shows the poison order, the replay cell names the handler's error.
    nb = nbformat.read(ROOT / "labs" / "lab01" / "lab01.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute(cwd=str(tmp_path))
    shown = {c.get("id"): "".join(o.get("text", "") for o in c.outputs) for c in nb.cells if c.cell_type == "code"}
    notes = {c.get("id"): c.source for c in nb.cells if c.cell_type == "markdown"}
    assert shown["try1"].startswith("500") and "`500`이 나옵니다" in notes["try1_text"]  # HTTP API: 500, REST: 502
    assert '데드 레터 큐: {"orderId": "T-2", "qty": 0}' in shown["dlq3"]
    assert "NotImplementedError" in shown["replay6"]


def test_metadata_describes_the_lab():
    course = nbformat.read(SOLUTION, as_version=4).metadata["course"]
    assert course["lab"] == "lab01" and course["minutes"] == 90
    assert len(course["objectives"]) == 6 and course["keypoints"] and course["title"]


def test_visible_checks_pass_again_when_a_learner_reruns_them(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    visible = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_1")
               and c.metadata["nbgrader"].get("grade")]
    assert len(visible) == 6
    nb.cells.extend(nbformat.v4.new_code_cell(c.source) for c in visible)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False).execute(cwd=str(tmp_path))
    reruns = "".join(o.get("text", "") for c in nb.cells[-6:] for o in c.outputs)
    assert reruns.count("통과") >= 6 and "CheckFailed" not in reruns


def test_each_task_says_what_a_duplicate_delivery_does_and_the_handlers_do_it(deployed):
    # The notebook tells the learner, task by task, what the same event delivered twice does:
    # tasks 2-5 overwrite one keyed item (the table does not change), task 1's POST makes a second note.
    cloud, es = deployed
    notes = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nbformat.read(SOLUTION, as_version=4).cells
             if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("task") and c.cell_type == "markdown"}
    assert all("두 번 오면" in notes[f"task{n}"] for n in range(1, 6)), notes.keys()
    order = json.loads(json.dumps(SQS_SAMPLE))
    del order["Records"][1]
    order["Records"][0]["body"] = json.dumps({"orderId": "D-1", "qty": 2})
    for name, table, event in [("uploads", "lab01-uploads", sample("s3")), ("orders", "lab01-orders", order),
                               ("changes", "lab01-audit", sample("dynamodb-stream")),
                               ("daily", "lab01-reports", sample("eventbridge-scheduled"))]:
        invoke_ok(cloud, name, event)
        once = es.items(cloud, table)
        invoke_ok(cloud, name, event)
        assert es.items(cloud, table) == once, name
    post = request(API_SAMPLES[0], "POST", None, json.dumps({"text": "두 번 보낸 메모"}, ensure_ascii=False))
    ids = {json.loads(invoke_ok(cloud, "api", post)["body"])["id"] for _ in range(2)}
    assert len(ids) == 2
