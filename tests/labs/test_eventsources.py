"""labkit.eventsources: wiring that a lab cell can run twice, and a readable last error."""
from __future__ import annotations

import json

import pytest
import requests

from labkit import eventsources as es


@pytest.fixture(scope="module")
def cloud():
    from labkit.cloud import local_cloud

    with local_cloud() as c:
        yield c


def echo(event, context):
    method = event.get("httpMethod") or event["requestContext"]["http"]["method"]
    return {"statusCode": 200, "body": json.dumps({"method": method, "params": event.get("pathParameters")})}


def fails(event, context):
    raise NotImplementedError("아직 풀지 않았습니다")


def test_apis_route_to_the_function_and_are_not_created_twice(cloud):
    fn = cloud.deploy(echo)
    routes = ["POST /things", "GET /things/{id}"]
    http = es.http_api(cloud, "things-http", fn.arn, routes)
    rest = es.rest_api(cloud, "things-rest", fn.arn, routes)
    assert es.http_api(cloud, "things-http", fn.arn, routes) == http
    assert es.rest_api(cloud, "things-rest", fn.arn, routes) == rest
    assert len(cloud.client("apigatewayv2").get_apis()["Items"]) == 1
    assert len(cloud.client("apigateway").get_rest_apis()["items"]) == 1
    for url in (http, rest):
        assert requests.get(f"{url}/things/7").json() == {"method": "GET", "params": {"id": "7"}}
        assert requests.post(f"{url}/things").json()["method"] == "POST"


def test_queue_mapping_and_table_are_idempotent(cloud):
    fn = cloud.deploy(echo, name="consumer")
    url, arn = es.queue(cloud, "jobs", dead_letter="jobs-dlq", max_receive_count=2)
    assert es.queue(cloud, "jobs", dead_letter="jobs-dlq", max_receive_count=2) == (url, arn)
    redrive = json.loads(cloud.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == 2 and redrive["deadLetterTargetArn"].endswith(":jobs-dlq")
    first = es.mapping(cloud, arn, fn.name, BatchSize=5)
    assert es.mapping(cloud, arn, fn.name, BatchSize=7) == first
    mappings = cloud.client("lambda").list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert len(mappings) == 1 and mappings[0]["BatchSize"] == 7
    described = es.table(cloud, "things", "pk", "sk", stream=True)
    assert es.table(cloud, "things", "pk", "sk", stream=True)["LatestStreamArn"] == described["LatestStreamArn"]


def test_items_reads_every_page_and_last_error_quotes_the_failure(cloud):
    es.table(cloud, "many", "pk")
    import boto3

    table = boto3.resource("dynamodb", region_name=cloud.region).Table("many")
    with table.batch_writer() as batch:
        for n in range(30):
            batch.put_item(Item={"pk": f"{n:02d}", "pad": "x" * 40_000})  # ~1.2 MB: more than one scan page
    assert sorted(i["pk"] for i in es.items(cloud, "many")) == [f"{n:02d}" for n in range(30)]

    fn = cloud.deploy(fails)
    assert es.last_error(cloud, fn.name) is None  # never ran
    fn.invoke({})
    assert es.last_error(cloud, fn.name) == "NotImplementedError: 아직 풀지 않았습니다"


def hangs(event, context):
    while True:
        pass


def test_remove_function_drops_its_mappings_and_pending_retries(cloud):
    """lab04's checkpoint 4 removes part 1's functions: a hanging projector must not cost part 2 its time."""
    fn = cloud.deploy(hangs, name="hangs", timeout=1)
    url, arn = es.queue(cloud, "to-hangs")
    es.mapping(cloud, arn, fn.name, BatchSize=1)
    lam = cloud.client("lambda")
    for n in range(3):
        lam.invoke(FunctionName=fn.name, InvocationType="Event", Payload=json.dumps({"n": n}))
    assert cloud.async_invoker.pending() == 3
    es.remove_function(cloud, "hangs")
    es.remove_function(cloud, "hangs")  # a cell run again
    cloud.client("sqs").send_message(QueueUrl=url, MessageBody="{}")
    cloud.run_until_idle(fast_forward=True, max_seconds=600)
    assert cloud.async_invoker.pending() == 0 and es.last_error(cloud, "hangs") is None  # dropped, never run
    assert lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"] == []
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="hangs")
