"""The Serverless Framework's own public aws-python examples deploy unchanged through the course's path.

Each folder of fixtures/framework-examples/ is a copy of github.com/serverless/examples (MIT; the
README there names the commit and the examples left out, with the reason). Here every one is
packaged by the real framework (`labkit.framework.package`, osls 3.77.1, offline, all at once),
deployed onto one offline cloud, and every event it declares is triggered through its real path:
HTTP over a socket (`serve_api`), the schedule on the lab's clock, Alexa's Invoke call.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from labkit import framework
from labkit.cloud import LocalCloud

EXAMPLES = Path(__file__).parent / "fixtures" / "framework-examples"
NAMES = ("aws-python", "aws-python-alexa-skill", "aws-python-http-api", "aws-python-http-api-with-dynamodb",
         "aws-python-rest-api", "aws-python-rest-api-with-dynamodb", "aws-python-scheduled-cron",
         "aws-python-simple-http-endpoint")
GREETING = "Go Serverless v3.0! Your function executed successfully!"


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, framework.Package]:
    """Every example packaged by osls, in parallel (one framework process each)."""
    try:
        framework.osls_path()
    except framework.FrameworkError:
        pytest.skip("osls가 설치되지 않았습니다(./course가 npm ci로 설치합니다)")
    root = tmp_path_factory.mktemp("framework-examples")
    for name in NAMES:
        shutil.copytree(EXAMPLES / name, root / name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # python3.9 and the bare alexaSkill: Package.warnings, asserted below
        with ThreadPoolExecutor(max_workers=4) as pool:
            return dict(zip(NAMES, pool.map(lambda name: framework.package(root / name), NAMES)))


@pytest.fixture(scope="module")
def deployed(packaged: dict[str, framework.Package]) -> Iterator[tuple[LocalCloud, dict]]:
    with LocalCloud() as cloud:
        yield cloud, {name: framework.deploy(cloud, packaged[name]) for name in NAMES}


def test_every_example_is_the_published_one_and_packages(packaged: dict[str, framework.Package]) -> None:
    for name, package in packaged.items():
        assert (package.service_dir / "serverless.yml").read_bytes() == (EXAMPLES / name / "serverless.yml").read_bytes()
        assert package.template_path.is_file() and package.artifacts, name
        assert package.template["Resources"], name
        # osls 3.77.1 no longer knows python3.9: a Korean warning, not a refusal (the value is passed on)
        assert any("provider.runtime: python3.9는" in w for w in package.warnings), (name, package.warnings)


def test_every_example_deploys_with_nothing_skipped(deployed) -> None:
    _, stacks = deployed
    for name, stack in stacks.items():
        assert stack.status == "CREATE_COMPLETE" and stack.skipped == [], name


def test_aws_python_invoked_directly_answers(deployed) -> None:
    cloud, stacks = deployed
    answer = cloud.invoke(stacks["aws-python"]["HelloLambdaFunction"], {"name": "김서버"}).result
    body = json.loads(answer["body"])
    assert answer["statusCode"] == 200 and body == {"message": GREETING, "input": {"name": "김서버"}}


@pytest.mark.parametrize("name, api, path", [("aws-python-http-api", "HttpApi", "/"),
                                             ("aws-python-rest-api", "ApiGatewayRestApi", "/"),
                                             ("aws-python-simple-http-endpoint", "HttpApi", "/time")])
def test_hello_examples_answer_over_http(deployed, name: str, api: str, path: str) -> None:
    cloud, stacks = deployed
    base = cloud.serve_api(stacks[name][api])
    answer = requests.get(f"{base}{path}?who=kim", timeout=30)
    assert answer.status_code == 200
    body = answer.json()
    if name == "aws-python-simple-http-endpoint":
        assert body["message"].startswith("Hello, the current time is ")
    else:
        assert body["message"] == GREETING
        assert body["input"]["queryStringParameters"] == {"who": "kim"}
        # the event's shape tells the two API types apart: payload 2.0 on HTTP APIs, 1.0 on REST
        assert body["input"].get("version") == ("2.0" if api == "HttpApi" else None)
    # the published URL output is the one the learner reads after deploying
    outputs = stacks[name].outputs
    assert (outputs.get("HttpApiUrl") or outputs.get("ServiceEndpoint")).startswith("https://")


@pytest.mark.parametrize("name, api", [("aws-python-rest-api-with-dynamodb", "ApiGatewayRestApi"),
                                       ("aws-python-http-api-with-dynamodb", "HttpApi")])
def test_todo_examples_create_read_update_list_delete_over_http(deployed, name: str, api: str) -> None:
    cloud, stacks = deployed
    base = cloud.serve_api(stacks[name][api])
    created = requests.post(f"{base}/todos", json={"text": "서버리스 공부"}, timeout=30)
    assert created.status_code == 200
    todo = created.json()
    assert todo["text"] == "서버리스 공부" and todo["checked"] is False
    assert requests.get(f"{base}/todos/{todo['id']}", timeout=30).json()["text"] == "서버리스 공부"
    updated = requests.put(f"{base}/todos/{todo['id']}", json={"text": "다 했음", "checked": True}, timeout=30).json()
    assert (updated["text"], updated["checked"]) == ("다 했음", True)
    assert [t["id"] for t in requests.get(f"{base}/todos", timeout=30).json()] == [todo["id"]]
    assert requests.delete(f"{base}/todos/{todo['id']}", timeout=30).status_code == 200
    assert requests.get(f"{base}/todos", timeout=30).json() == []
    # the table the stage variable named: ${self:service}-${sls:stage} / -${opt:stage, self:provider.stage}
    table = {"aws-python-rest-api-with-dynamodb": "serverless-rest-api-with-dynamodb-dev",
             "aws-python-http-api-with-dynamodb": "serverless-http-api-dynamodb-dev"}[name]
    assert stacks[name]["TodosDynamoDbTable"] == table
    # a handler that raises (no "text") is API Gateway's 502 on REST, 500 on an HTTP API
    broken = requests.post(f"{base}/todos", json={}, timeout=30)
    assert broken.status_code == (502 if api == "ApiGatewayRestApi" else 500)


def test_the_rest_examples_cors_true_is_answered_by_api_gateway(packaged, deployed) -> None:
    """`cors: true` is an OPTIONS method with a MOCK integration: API Gateway answers it, no handler runs."""
    cloud, stacks = deployed
    name = "aws-python-rest-api-with-dynamodb"
    options = packaged[name].template["Resources"]["ApiGatewayMethodTodosIdVarOptions"]["Properties"]
    assert options["Integration"]["Type"] == "MOCK"
    base = cloud.serve_api(stacks[name]["ApiGatewayRestApi"])
    preflight = requests.options(f"{base}/todos/1", headers={"Origin": "https://todo.example",
                                                             "Access-Control-Request-Method": "PUT"}, timeout=30)
    assert preflight.status_code == 200 and preflight.content == b""
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    configured = options["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
    assert preflight.headers["Access-Control-Allow-Methods"] == configured[
        "method.response.header.Access-Control-Allow-Methods"].strip("'")
    assert set(preflight.headers["Access-Control-Allow-Methods"].split(",")) == {"OPTIONS", "DELETE", "GET", "PUT"}
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"].split(",")
    listing = requests.options(f"{base}/todos", timeout=30)
    assert set(listing.headers["Access-Control-Allow-Methods"].split(",")) == {"OPTIONS", "GET", "POST"}
    functions = [stacks[name][f"{fn}LambdaFunction"] for fn in ("Create", "List", "Get", "Update", "Delete")]
    assert not any("START" in line for fn in functions for line in cloud.logs(fn) if "OPTIONS" in line)


def test_the_http_api_examples_cors_answers_preflight(deployed) -> None:
    """`provider.httpApi.cors: true`: an HTTP API answers preflight requests itself."""
    cloud, stacks = deployed
    base = cloud.serve_api(stacks["aws-python-http-api-with-dynamodb"]["HttpApi"])
    preflight = requests.options(f"{base}/todos", headers={"Origin": "https://todo.example",
                                                           "Access-Control-Request-Method": "POST"}, timeout=30)
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_the_alexa_skill_answers_alexas_invoke_and_its_bare_event_is_explained(packaged, deployed) -> None:
    cloud, stacks = deployed
    package = packaged["aws-python-alexa-skill"]
    # osls 3.77.1 compiles nothing from the bare `- alexaSkill`: no permission for Alexa, and the learner is told
    assert not [r for r in package.template["Resources"].values() if r["Type"] == "AWS::Lambda::Permission"]
    explained = [w for w in package.warnings if "alexaSkill" in w]
    assert explained and "13번째 줄" in explained[0] and "AWS::Lambda::Permission" in explained[0] and "appId" in explained[0]
    request = {"version": "1.0", "session": {"new": True}, "request": {
        "type": "IntentRequest", "intent": {"name": "LuckyNumber", "slots": {"UpperLimit": {"name": "UpperLimit", "value": "7"}}}}}
    for _ in range(5):
        speech = cloud.invoke(stacks["aws-python-alexa-skill"]["LuckyNumberLambdaFunction"], request).result
        text = speech["response"]["outputSpeech"]["text"]
        assert text.startswith("Your lucky number is ") and 0 <= int(text.rsplit(" ", 1)[1]) <= 7


def test_the_scheduled_examples_rate_and_cron_fire_on_the_clock(deployed) -> None:
    """rate(1 minute) every minute; cron(0/2 * ? * MON-FRI *) on even minutes of weekdays (UTC)."""
    cloud, stacks = deployed
    stack = stacks["aws-python-scheduled-cron"]

    def ran() -> dict[str, list[str]]:
        return {fn: [line for line in cloud.logs(stack[f"{fn}LambdaFunction"]) if "Your cron function" in line]
                for fn in ("RateHandler", "CronHandler")}

    cloud.run_until_idle()  # what real time already made due
    before, start = ran(), cloud.clock.utcnow()
    cloud.clock.advance(10 * 60)
    cloud.run_until_idle()
    after = ran()
    marks = [start.replace(second=0, microsecond=0) + dt.timedelta(minutes=m) for m in range(1, 11)]
    assert len(after["RateHandler"]) - len(before["RateHandler"]) == 10
    assert len(after["CronHandler"]) - len(before["CronHandler"]) == sum(1 for t in marks if t.minute % 2 == 0 and t.weekday() < 5)
    assert all(stack["CronHandlerLambdaFunction"] in line for line in after["CronHandler"])
