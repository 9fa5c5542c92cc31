"""The seed's serverless.yml (6장's thread) through the real framework: what stops it, in Korean, and
the service it describes running on the offline cloud once those three things are fixed.

fixtures/framework-examples/seed/serverless.yml is the seed's example byte for byte; the folder adds
what the seed only names (schemas/create-user.json, the handlers, as Python stand-ins for its
JavaScript: the offline cloud runs Python). In the order the framework meets them:
1. its five plugins are not installed (the course installs no framework plugins);
2. with do-nothing stand-ins for them, `timezone: Asia/Seoul` on a schedule needs `method: scheduler`;
3. with that, the template deploys up to `authorizerId: !Ref CognitoAuthorizer`, a resource the seed
   never declares.
With `method: scheduler` added and the Cognito authorizer left out (the offline cloud runs Lambda
authorizers only), every event runs: HTTP with CORS, the SQS batch with partial failures, the
Asia/Seoul schedule with its input, the DynamoDB stream.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from labkit import framework
from labkit.cloud import LocalCloud

FIXTURES = Path(__file__).parent / "fixtures" / "framework-examples"
SEED = FIXTURES / "seed"
STAND_INS = FIXTURES / "seed-plugin-stand-ins" / ".serverless_plugins"
SCHEDULER = ("          timezone: Asia/Seoul\n", "          timezone: Asia/Seoul\n          method: scheduler\n")
COGNITO = ("          authorizer:\n            type: COGNITO_USER_POOLS\n            authorizerId: !Ref CognitoAuthorizer\n", "")


def _copy(root: Path, name: str, *, stand_ins: bool, fixes: tuple[tuple[str, str], ...] = ()) -> Path:
    folder = root / name
    shutil.copytree(SEED, folder)
    if stand_ins:
        shutil.copytree(STAND_INS, folder / ".serverless_plugins")
    text = (folder / "serverless.yml").read_text()
    for old, new in fixes:
        assert old in text
        text = text.replace(old, new)
    (folder / "serverless.yml").write_text(text)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    try:
        framework.osls_path()
    except framework.FrameworkError:
        pytest.skip("osls가 설치되지 않았습니다(./course가 npm ci로 설치합니다)")
    root = tmp_path_factory.mktemp("seed")
    folders = {"as_is": _copy(root, "as_is", stand_ins=False),
               "stand_ins": _copy(root, "stand_ins", stand_ins=True),
               "scheduler": _copy(root, "scheduler", stand_ins=True, fixes=(SCHEDULER,)),
               "fixed": _copy(root, "fixed", stand_ins=True, fixes=(SCHEDULER, COGNITO))}

    def run(name: str) -> Any:
        try:
            return framework.package(folders[name])
        except framework.FrameworkError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(folders, pool.map(run, folders)))


@pytest.fixture(scope="module")
def seed_stack(runs) -> Iterator[tuple[LocalCloud, Any]]:
    with LocalCloud() as cloud, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the skipped resources, asserted below
        yield cloud, framework.deploy(cloud, runs["fixed"])


def test_the_fixture_is_the_seeds_serverless_yml() -> None:
    seed = (Path("/work/shared/seed/serverless-architecture.ko.md"))
    text = (SEED / "serverless.yml").read_text()
    assert text.startswith("# serverless.yml\nservice: my-api\n") and "frameworkVersion: '3'" in text
    if seed.is_file():  # the source, where this machine has it
        assert f"```yaml\n{text}```" in seed.read_text()


def test_first_the_plugins_the_course_does_not_install(runs) -> None:
    error = runs["as_is"]
    assert isinstance(error, framework.FrameworkError)
    print(error)
    assert error.line == 26 and "설치되어 있지 않습니다: serverless-webpack" in error.explanation
    assert 'plugin "serverless-webpack" not found' in error.framework_message


def test_then_a_timezone_without_the_scheduler(runs) -> None:
    error = runs["stand_ins"]
    assert isinstance(error, framework.FrameworkError)
    print(error)
    assert error.line == 135 and "`method: scheduler`" in error.explanation
    assert '"timezone" is only supported with "scheduler" mode' in error.framework_message


def test_then_the_cognito_authorizer_the_seed_never_declares(runs) -> None:
    packaged = runs["scheduler"]
    assert isinstance(packaged, framework.Package), packaged
    with LocalCloud() as cloud, warnings.catch_warnings(), pytest.raises(framework.FrameworkError) as caught:
        warnings.simplefilter("ignore")  # the skipped resources, asserted on the fixed seed
        framework.deploy(cloud, packaged)
    print(caught.value)
    message = caught.value.explanation
    assert "ApiGatewayMethodUsersIdVarGet(AWS::ApiGateway::Method)의 속성 AuthorizerId" in message
    assert "템플릿에 없는 CognitoAuthorizer를 가리킵니다" in message
    assert "serverless.yml 102번째 줄: authorizerId: !Ref CognitoAuthorizer" in message


def test_the_fixed_seed_deploys_and_says_what_it_skipped(runs, seed_stack) -> None:
    _, stack = seed_stack
    assert stack.status == "CREATE_COMPLETE" and stack.name == "my-api-dev"
    # request validation (schemas) and the account-wide API Gateway log role (logs.restApi, a custom
    # resource whose function is Node.js) are not made offline, and say so
    assert sorted(stack.skipped) == ["ApiGatewayMethodUsersPostApplicationJsonModel", "ApiGatewayMyapiRequestValidator",
                                     "CustomApiGatewayAccountCloudWatchRole"]
    assert stack.types["CustomApiGatewayAccountCloudWatchRole"] == "Custom::ApiGatewayAccountRole"
    assert "" not in stack.resources
    assert stack.outputs["TableName"] == "my-api-dev-table"
    assert stack.outputs["ApiUrl"] == stack.outputs["ServiceEndpoint"]


def test_the_seeds_http_api_with_cors(seed_stack) -> None:
    cloud, stack = seed_stack
    base = cloud.serve_api(stack["ApiGatewayRestApi"])
    created = requests.post(f"{base}/users", json={"id": "7", "name": "김서버"}, timeout=30)
    assert created.status_code == 201
    got = requests.get(f"{base}/users/7", timeout=30)
    assert got.json() == {"id": "7", "name": "김서버", "stage": "dev"}
    assert requests.get(f"{base}/users/8", timeout=30).status_code == 404
    preflight = requests.options(f"{base}/users/7", timeout=30)
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    function = cloud.client("lambda").get_function(FunctionName=stack["GetUserLambdaFunction"])["Configuration"]
    assert (function["MemorySize"], function["Timeout"]) == (512, 10)  # the function's memory, the provider's timeout


def test_the_seeds_sqs_consumer_batch_and_partial_failures(seed_stack) -> None:
    cloud, stack = seed_stack
    sqs = cloud.client("sqs")
    for n in range(12):
        sqs.send_message(QueueUrl=stack["OrdersQueue"], MessageBody=json.dumps({"id": f"o-{n}", "broken": n == 3}))
    cloud.run_until_idle(fast_forward=True)
    lines = cloud.logs(stack["ProcessOrdersLambdaFunction"])
    assert sorted(line.split()[1] for line in lines if line.startswith("ORDER")) == sorted(f"o-{n}" for n in range(12) if n != 3)
    assert max(int(line.split()[1]) for line in lines if line.startswith("BATCH")) <= 10  # batchSize: 10
    dlq = sqs.receive_message(QueueUrl=stack["DLQ"])["Messages"]
    assert [json.loads(m["Body"])["id"] for m in dlq] == ["o-3"]  # maxReceiveCount: 3, then the DLQ
    concurrency = cloud.client("lambda").get_function_concurrency(FunctionName=stack["ProcessOrdersLambdaFunction"])
    assert concurrency["ReservedConcurrentExecutions"] == 5


def test_the_seeds_dynamodb_stream_consumer(seed_stack) -> None:
    cloud, stack = seed_stack
    table = cloud.client("dynamodb")
    table.put_item(TableName="my-api-dev-table", Item={"PK": {"S": "USER#9"}, "SK": {"S": "PROFILE"}, "name": {"S": "이"}})
    table.delete_item(TableName="my-api-dev-table", Key={"PK": {"S": "USER#9"}, "SK": {"S": "PROFILE"}})
    cloud.run_until_idle()
    changes = [line for line in cloud.logs(stack["OnUserChangeLambdaFunction"]) if line.startswith("CHANGE")]
    assert changes[-2:] == ["CHANGE INSERT USER#9", "CHANGE REMOVE USER#9"]


def test_the_seeds_daily_report_at_nine_in_seoul_with_its_input(seed_stack) -> None:
    """cron(0 9 * * ? *) in Asia/Seoul is 00:00 UTC; the input reaches the handler as the event."""
    cloud, stack = seed_stack
    name = stack["DailyReportLambdaFunction"]
    seoul = dt.timezone(dt.timedelta(hours=9))
    now = cloud.clock.utcnow().replace(tzinfo=dt.timezone.utc).astimezone(seoul)
    nine = now.replace(hour=9, minute=0, second=0, microsecond=0)
    nine += dt.timedelta(days=1) if nine <= now else dt.timedelta(0)
    cloud.clock.advance((nine - now).total_seconds() - 60)
    cloud.run_until_idle()
    assert not [line for line in cloud.logs(name) if line.startswith("DAILY ")]
    cloud.clock.advance(120)
    cloud.run_until_idle()
    assert [line for line in cloud.logs(name) if line.startswith("DAILY ")] == ['DAILY {"reportType": "daily"}']
