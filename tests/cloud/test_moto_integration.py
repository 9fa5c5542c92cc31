"""The moto pin self-test: fails loudly when moto changes under the runtime.

labkit.cloud replaces private names inside moto (each declared in a `PATCHES` beside its service; labkit.cloud.moto.registry builds the registry). An
upgrade that renames one of them would otherwise break labs silently, so this test checks the
version, every name, and that each path where moto itself invokes a function reaches the real
handler.
"""

from __future__ import annotations

import io
import json
import time
import zipfile

import moto
import pytest

from labkit.cloud import LocalCloud
from labkit.cloud.moto import patching, registry

RECORDER = "import json\ndef handler(event, context):\n    print('SEEN ' + json.dumps(event))\n    return {'ok': True}\n"


def test_moto_version_is_the_pinned_one() -> None:
    assert moto.__version__ == registry.MOTO_VERSION, (
        f"moto {moto.__version__} is installed but labkit.cloud patches moto {registry.MOTO_VERSION} "
        "internals. Re-check every name in the services' PATCHES (labkit/cloud/moto/registry.py) against the new "
        "moto, then update MOTO_VERSION and the pin in pyproject.toml together."
    )


def test_every_private_name_still_exists() -> None:
    problems = registry.check()
    assert problems == [], "moto internals changed:\n" + "\n".join(problems)


def test_instance_attributes_still_exist(cloud: LocalCloud) -> None:
    from moto.sqs.models import sqs_backends

    url = cloud.client("sqs").create_queue(QueueName="probe")["QueueUrl"]
    cloud.client("sqs").send_message(QueueUrl=url, MessageBody="x")
    queue = sqs_backends[cloud.account_id][cloud.region].queues["probe"]
    message = queue._messages[0]
    assert isinstance(queue.lambda_event_source_mappings, dict)
    assert isinstance(message.visible_at, (int, float)) and isinstance(message.delayed_until, (int, float))


def test_stream_instance_attributes_still_exist(cloud: LocalCloud) -> None:
    from moto.dynamodb.models import dynamodb_backends
    from moto.kinesis.models import kinesis_backends

    cloud.client("dynamodb").create_table(
        TableName="probe", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )
    table = dynamodb_backends[cloud.account_id][cloud.region].tables["probe"]
    assert isinstance(table.lambda_event_source_mappings, dict) and isinstance(table.stream_shard.items, list)
    cloud.client("kinesis").create_stream(StreamName="probe", ShardCount=1)
    stream = kinesis_backends[cloud.account_id][cloud.region].streams["probe"]
    assert isinstance(stream.lambda_event_source_mappings, dict)
    assert all(isinstance(shard.records, dict) for shard in stream.shards.values())


def test_event_source_instance_attributes_still_exist(cloud: LocalCloud) -> None:
    from moto.apigateway.models import apigateway_backends
    from moto.events.models import events_backends
    from moto.sns.models import sns_backends

    sns = cloud.client("sns")
    topic = sns.create_topic(Name="probe")["TopicArn"]
    queue = cloud.client("sqs").create_queue(QueueName="probe")["QueueUrl"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:{cloud.region}:{cloud.account_id}:probe")["SubscriptionArn"]
    assert queue and hasattr(sns_backends[cloud.account_id][cloud.region].subscriptions[sub], "_filter_policy_matcher")
    cloud.client("events").put_rule(Name="probe", ScheduleExpression="rate(5 minutes)")
    rule = events_backends[cloud.account_id][cloud.region].event_buses["default"].rules["probe"]
    assert rule.scheduled_expression == "rate(5 minutes)"
    api = cloud.client("apigateway").create_rest_api(name="probe")["id"]
    assert apigateway_backends[cloud.account_id][cloud.region].apis[api].binaryMediaTypes == []


def _seen(cloud: LocalCloud, name: str) -> list[dict]:
    return [json.loads(line[5:]) for line in cloud.logs(name) if line.startswith("SEEN ")]


def test_dynamodb_stream_reaches_the_handler(cloud: LocalCloud, code_dir) -> None:
    ddb = cloud.client("dynamodb")
    table = ddb.create_table(
        TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    cloud.deploy(code_dir(app=RECORDER), name="ddb")
    cloud.client("lambda").create_event_source_mapping(EventSourceArn=table["LatestStreamArn"], FunctionName="ddb", StartingPosition="TRIM_HORIZON")
    ddb.put_item(TableName="t", Item={"pk": {"S": "1"}})
    cloud.run_until_idle()
    (event,) = _seen(cloud, "ddb")
    assert event["Records"][0]["eventName"] == "INSERT"


def test_kinesis_reaches_the_handler(cloud: LocalCloud, code_dir) -> None:
    kinesis = cloud.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="s")["StreamDescription"]["StreamARN"]
    cloud.deploy(code_dir(app=RECORDER), name="kin")
    cloud.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="kin", StartingPosition="TRIM_HORIZON")
    kinesis.put_record(StreamName="s", Data=b"hello", PartitionKey="p")
    cloud.run_until_idle()
    (event,) = _seen(cloud, "kin")
    assert event["Records"][0]["kinesis"]["data"] == "aGVsbG8="


def test_sns_reaches_the_handler(cloud: LocalCloud, code_dir) -> None:
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="news")["TopicArn"]
    fn = cloud.deploy(code_dir(app=RECORDER), name="sub")
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn.arn)
    sns.publish(TopicArn=topic, Message="hi")
    cloud.run_until_idle()
    (event,) = _seen(cloud, "sub")
    assert event["Records"][0]["Sns"]["Message"] == "hi"


def test_s3_notification_reaches_the_handler(cloud: LocalCloud, code_dir) -> None:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="lab-bucket", CreateBucketConfiguration={"LocationConstraint": cloud.region})
    fn = cloud.deploy(code_dir(app=RECORDER), name="s3fn")
    s3.put_bucket_notification_configuration(
        Bucket="lab-bucket",
        NotificationConfiguration={"LambdaFunctionConfigurations": [{"LambdaFunctionArn": fn.arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    s3.put_object(Bucket="lab-bucket", Key="k.txt", Body=b"x")
    cloud.run_until_idle()
    (event,) = _seen(cloud, "s3fn")
    assert event["Records"][0]["s3"]["object"]["key"] == "k.txt"


def test_step_functions_task_reaches_the_handler(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=RECORDER), name="task")
    sfn = cloud.client("stepfunctions")
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": fn.arn, "End": True}}}
    machine = sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r")
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="e1", input='{"step": 1}')
    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "RUNNING":
        assert time.monotonic() < deadline, "Step Functions execution did not finish"
        time.sleep(0.02)
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"ok": True}
    assert _seen(cloud, "task") == [{"step": 1}]


def test_step_functions_map_runs_tasks_concurrently_with_separate_logs(cloud: LocalCloud, code_dir) -> None:
    app = "import time\ndef handler(event, context):\n    print('ITEM', event['i'])\n    time.sleep(0.1)\n    print('DONE', event['i'])\n    return event['i']\n"
    fn = cloud.deploy(code_dir(app=app), name="item")
    sfn = cloud.client("stepfunctions")
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 0,
                "Iterator": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": fn.arn, "End": True}}},
                "End": True,
            }
        },
    }
    machine = sfn.create_state_machine(name="map", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r")
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="e", input=json.dumps({"items": [{"i": n} for n in range(3)]}))["executionArn"]
    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert json.loads(sfn.describe_execution(executionArn=arn)["output"]) == [0, 1, 2]
    runs = [r for r in cloud.runtime.history if r.function_name == "item"]
    assert len(runs) == 3
    for run in runs:
        mine = [l for l in run.log_lines if l.startswith(("ITEM", "DONE"))]
        assert mine == [f"ITEM {run.result}", f"DONE {run.result}"]


def test_slow_services_are_patched_on_first_import_not_at_start(tmp_path) -> None:
    """API Gateway and the Step Functions interpreter are imported only when a lab uses them."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import json, sys, time
        from labkit.cloud import LocalCloud
        started = time.perf_counter()
        cloud = LocalCloud()
        elapsed = time.perf_counter() - started
        assert "moto.apigateway.models" not in sys.modules
        assert "moto.stepfunctions.parser.models" not in sys.modules
        apig = cloud.client("apigateway")
        api = apig.create_rest_api(name="lazy", binaryMediaTypes=["image/png"])
        assert api["binaryMediaTypes"] == ["image/png"], api  # the response patch applied on import
        sfn = cloud.client("stepfunctions")
        machine = sfn.create_state_machine(name="m", roleArn="arn:aws:iam::123456789012:role/r",
            definition=json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}))
        arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
        assert not arn.endswith(":None")
        assert cloud.wait_execution(arn, timeout=10).succeeded  # 60 s of Wait, no real waiting
        cloud.stop()
        print(round(elapsed, 3))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert float(result.stdout.strip()) < 2.0  # starting a cloud stays quick


# ---- the registry: built from the services' declarations, complete, with call signatures

LAZY_MODULES = (
    "moto.apigateway.models", "moto.apigateway.responses", "moto.apigatewayv2.responses",
    "moto.stepfunctions.parser.models", "moto.stepfunctions.models", "moto.cloudformation.parsing",
)


def _undeclared(ledger: list, declared: set[tuple[str, str]]) -> list[str]:
    """Ledger entries of moto's objects that no module's PATCHES declares."""
    missing = []
    for owner, name, _ in ledger:
        key = patching.key(owner)
        if key is not None and (key, name) not in declared:
            missing.append(f"{key}.{name}")
    return missing


def _patched_cloud() -> LocalCloud:
    """A running cloud with every lazily patched module imported (so its patches are in the ledger)."""
    import importlib

    cloud = LocalCloud()
    for module in LAZY_MODULES:
        importlib.import_module(module)
    return cloud


def test_every_patch_in_the_ledger_is_declared() -> None:
    declared = set(registry.registry())
    cloud = _patched_cloud()
    try:
        ledger = patching.ledger()
    finally:
        cloud.stop()
    assert len(ledger) >= 60
    owners = {patching.key(owner).split(":")[0] for owner, _, _ in ledger if patching.key(owner)}
    assert set(LAZY_MODULES) <= owners  # the lazily patched modules' patches are in the ledger too
    assert _undeclared(ledger, declared) == [], "declare these in the PATCHES beside the install that patches them"
    # the one patch that is not moto's: the interpreter's logger level
    assert [(type(o).__name__, n) for o, n, _ in ledger if patching.key(o) is None] == [("Logger", "level")]
    # and the check can fail: a declaration left out is reported
    dropped = ("moto.cloudformation.parsing", "get_model_map")
    assert _undeclared(ledger, declared - {dropped}) == ["moto.cloudformation.parsing.get_model_map"]


def test_a_changed_signature_or_name_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from labkit.cloud import sns
    from labkit.cloud.moto.registry import MotoName

    assert registry.check() == []
    changed = [
        d._replace(signature="(self, message_id, message, subject=None)") if d.name == "publish" else d
        for d in sns.PATCHES
    ]
    monkeypatch.setattr(sns, "PATCHES", (*changed, MotoName("moto.sns.models:Subscription", "no_such_method", "()")))
    problems = registry.check()
    assert len(problems) == 2, problems
    assert problems[0].startswith("moto.sns.models.Subscription.publish has the signature (self, message, message_id, ")
    assert "labkit.cloud.sns was written for (self, message_id, message, subject=None)" in problems[0]
    assert problems[1] == "moto.sns.models.Subscription.no_such_method is missing (declared in labkit.cloud.sns)"


def test_a_name_labkit_adds_is_reported_once_moto_has_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provisioned-concurrency handlers are labkit's (moto 5.2.5 lacks them): a moto that grows
    its own must be noticed, since the course's version would silently replace it."""
    from moto.awslambda.responses import LambdaResponse

    assert registry.check() == []
    monkeypatch.setattr(LambdaResponse, "get_provisioned_concurrency_config", lambda self: None, raising=False)
    problems = registry.check()
    assert problems == [
        "moto.awslambda.responses.LambdaResponse.get_provisioned_concurrency_config now exists in moto; "
        "labkit.cloud.autoscaling adds its own (moto가 이 이름을 직접 구현합니다: 덧붙인 패치가 아직 필요한지 확인하십시오)"
    ]


def test_check_compares_moto_s_originals_while_a_cloud_runs() -> None:
    cloud = _patched_cloud()
    try:
        assert registry.check() == []  # not the signatures of labkit's wrappers
    finally:
        cloud.stop()


def _own_value(owner: object, name: str) -> object:
    return owner.__dict__.get(name, "<inherited>") if isinstance(owner, type) else getattr(owner, name)


def test_stop_restores_every_patched_name_to_its_original() -> None:
    """Every entry of the ledger, lazily patched ones included, is moto's own object again."""
    import importlib
    import logging

    for module in LAZY_MODULES:
        importlib.import_module(module)
    before = {}
    for (owner_name, name), declared in registry.registry().items():
        if not declared.instance:
            owner = registry.resolve(owner_name)
            before[(owner_name, name)] = _own_value(owner, name)
    level = logging.getLogger("moto.stepfunctions.parser").level
    cloud = _patched_cloud()
    ledger = patching.ledger()
    assert len(ledger) >= 60
    changed = [(o, n) for o, n, _ in ledger if patching.key(o) and _own_value(o, n) is not before[(patching.key(o), n)]]
    assert len(changed) == len(ledger) - 1  # every patch took effect (all but the logger level are moto's)
    cloud.stop()
    assert patching.ledger() == []
    for owner, name in changed:
        assert _own_value(owner, name) is before[(patching.key(owner), name)], f"{patching.key(owner)}.{name} was not restored"
    assert logging.getLogger("moto.stepfunctions.parser").level == level


def test_a_stopped_cloud_s_lazy_patches_never_run(tmp_path) -> None:
    """wrapt's post-import hook outlives the cloud that registered it: it must run nothing then,
    and a later cloud's patch runs once."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import sys
        from labkit.cloud import LocalCloud
        from labkit.cloud.moto import patching
        LocalCloud().stop()
        assert "moto.apigateway.models" not in sys.modules
        import moto.apigateway.models as models
        assert patching.ledger() == [], patching.ledger()
        assert "update_integration_mocks" in models.RestAPI.__dict__
        original = models.RestAPI.update_integration_mocks
        cloud = LocalCloud()
        assert models.RestAPI.update_integration_mocks is not original  # imported: patched at start
        entries = [n for o, n, _ in patching.ledger() if o is models.RestAPI and n == "update_integration_mocks"]
        assert entries == ["update_integration_mocks"], entries
        cloud.stop()
        assert models.RestAPI.update_integration_mocks is original
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
