"""Subprocess and snapshot isolation: real processes, real cold starts, restores and failures."""

from __future__ import annotations

import json
import os
import re
import time

import pytest

from labkit.cloud import CloudUsageError, LocalCloud, parse_report
from labkit.cloud.awslambda.processes import environment as processes

from .conftest import invoke_in_threads

COUNTER = """
import os
print("init ran")
calls = 0
def handler(event, context):
    global calls
    calls += 1
    print("SEEN", event.get("n"))
    return {"calls": calls, "pid": os.getpid(), "remaining": context.get_remaining_time_in_millis()}
"""

HOOKS = """
import os, random, uuid
from snapshot_restore_py import register_after_restore, register_before_snapshot

TOKEN = uuid.uuid4().hex          # made during INIT: copied into every restored instance
ORDER = []

@register_before_snapshot
def first_before():
    ORDER.append("before-1")

@register_before_snapshot
def second_before():
    ORDER.append("before-2")

@register_after_restore
def first_after():
    ORDER.append("after-1")
    print("restored in", os.getpid())

@register_after_restore
def second_after():
    ORDER.append("after-2")
    if os.environ.get("RESEED"):
        global TOKEN
        TOKEN = uuid.uuid4().hex   # what the uniqueness guidance asks for
        random.seed()

def handler(event, context):
    import time
    time.sleep(event.get("hold", 0))
    return {"token": TOKEN, "random": random.random(), "order": ORDER, "pid": os.getpid()}
"""


def _live(pid: int) -> bool:
    """True while the worker process exists; a zombie counts (nobody reaped it).

    A pid reused meanwhile by an unrelated process does not count.
    """
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rpartition(")")[2].split()[0]
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            command = cmdline.read()
    except OSError:
        return False
    return state == "Z" or b"labkit_bootstrap" in command


# --------------------------------------------------------------------------- subprocess


def test_subprocess_cold_then_warm_in_a_real_process(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=COUNTER), name="proc", isolation="subprocess")
    cold, warm = fn.invoke({"n": 1}), fn.invoke({"n": 2})
    assert cold.cold_start and not warm.cold_start
    assert cold.result["pid"] == warm.result["pid"] != os.getpid()
    assert [cold.result["calls"], warm.result["calls"]] == [1, 2]
    assert 2000 < cold.result["remaining"] <= 3000
    # Init Duration runs from process start to handler-ready: a real interpreter start-up.
    assert cold.report.init_duration_ms > 1.0 and warm.report.init_duration_ms is None
    assert cold.report.max_memory_used_mb >= 5  # the child's own peak RSS, not the notebook's
    logs = fn.logs()
    assert logs[0].startswith("INIT_START Runtime Version: ") and logs[1] == "init ran" and logs[2].startswith("START RequestId: ")
    assert "SEEN 1" in cold.log_lines and "SEEN 2" in warm.log_lines
    assert re.fullmatch(
        r"REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d{2} ms\t",
        cold.log_lines[-1],
    )
    assert parse_report(cold.log_lines[-1]) == cold.report


def test_subprocess_handler_reaches_the_same_moto_state(cloud: LocalCloud, code_dir) -> None:
    app = """
import json, os, boto3
s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table("orders")
def handler(event, context):
    body = s3.get_object(Bucket="inbox", Key="in/photo 1.jpg")["Body"].read().decode()
    table.put_item(Item={"id": "o-1", "body": body})
    s3.put_object(Bucket="inbox", Key="out.txt", Body=b"from the handler")
    return {"endpoint": os.environ["AWS_ENDPOINT_URL"], "key": os.environ["AWS_ACCESS_KEY_ID"]}
"""
    cloud.client("s3").create_bucket(Bucket="inbox", CreateBucketConfiguration={"LocationConstraint": cloud.region})
    cloud.client("s3").put_object(Bucket="inbox", Key="in/photo 1.jpg", Body=b"pixels")
    cloud.client("dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    result = cloud.deploy(code_dir(app=app), name="io", isolation="subprocess").invoke()
    assert result.ok, result.result
    assert result.result["endpoint"].startswith("http://127.0.0.1:") and result.result["key"] == "testing"
    item = cloud.client("dynamodb").get_item(TableName="orders", Key={"id": {"S": "o-1"}})["Item"]
    assert item["body"]["S"] == "pixels"
    assert cloud.client("s3").get_object(Bucket="inbox", Key="out.txt")["Body"].read() == b"from the handler"


def test_subprocess_errors_and_logging_match_the_in_process_shape(cloud: LocalCloud, code_dir) -> None:
    app = """
import logging
log = logging.getLogger()
def handler(event, context):
    log.warning("careful")
    raise ValueError("boom")
"""
    result = cloud.deploy(code_dir(app=app), name="fails", isolation="subprocess").invoke()
    assert result.function_error == "Unhandled"
    body = result.result
    assert set(body) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert body["errorType"] == "ValueError" and body["requestId"] == result.request_id
    assert body["stackTrace"][0].startswith('  File "/var/task/app.py", line 6, in handler')
    assert not any("labkit" in frame for frame in body["stackTrace"])
    warning = [line for line in result.log_lines if "careful" in line][0]
    assert re.fullmatch(rf"\[WARNING\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{result.request_id}\tcareful", warning)
    assert any(line.startswith("[ERROR] ValueError: boom") for line in result.log_lines)


@pytest.mark.parametrize(
    ("source", "handler", "kind", "message"),
    [
        ("import not_installed_pkg\ndef handler(e, c): pass\n", "app.handler", "Runtime.ImportModuleError",
         "Unable to import module 'app': No module named 'not_installed_pkg'"),
        ("def handler(e, c) pass\n", "app.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'app'"),
        ("def handler(e, c): pass\n", "app.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'app'"),
    ],
)
def test_subprocess_init_errors(cloud: LocalCloud, code_dir, source, handler, kind, message) -> None:
    fn = cloud.deploy(code_dir(app=source), name="broken", handler=handler, isolation="subprocess")
    first, second = fn.invoke(), fn.invoke()
    assert first.result["errorType"] == kind and first.result["errorMessage"].startswith(message)
    assert first.result["requestId"] == first.request_id
    if kind != "Runtime.HandlerNotFound":  # a failed INIT is retried by the next invoke
        assert first.cold_start and second.cold_start
        assert any(f"Status: error\tError Type: {kind}" in line for line in fn.logs())
        assert fn.instances() == []


def test_timeout_kills_the_process_and_the_next_invoke_is_cold(cloud: LocalCloud, code_dir) -> None:
    app = COUNTER.replace("    return {", "    while event.get('spin'): pass\n    return {")
    fn = cloud.deploy(code_dir(app=app), name="slow", isolation="subprocess", timeout=1)
    before = fn.invoke({"n": 0})
    pid = before.result["pid"]
    started = time.perf_counter()
    result = fn.invoke({"n": 1, "spin": True})
    assert time.perf_counter() - started < 2.0  # killed at the deadline, not left running
    assert result.timed_out and result.function_error == "Unhandled"
    assert result.result == {  # AWS names the configured timeout
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds",
    }
    assert 1000 <= result.report.duration_ms < 1100 and result.report.status == "timeout"
    assert "SEEN 1" in result.log_lines  # printed before the kill: still in the log
    assert any(re.fullmatch(rf"\S+Z {result.request_id} Task timed out after 1\.00 seconds", l) for l in result.log_lines)
    assert not _live(pid)  # killed and reaped
    after = fn.invoke({"n": 2})
    assert after.cold_start and after.result["calls"] == 1 and after.result["pid"] != pid


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("os._exit(3)", "Runtime exited with error: exit status 3"),
        ("sys.exit(0)", "Runtime exited without providing a reason"),
        ("os.kill(os.getpid(), signal.SIGKILL)", "Runtime exited with error: signal: killed"),
    ],
)
def test_a_crashing_handler_is_a_runtime_exit_error(cloud: LocalCloud, code_dir, code, reason) -> None:
    app = f"""
import os, signal, sys
def handler(event, context):
    print("about to go", flush=True)
    if event.get("crash"):
        {code}
    return os.getpid()
"""
    fn = cloud.deploy(code_dir(app=app), name="crash", isolation="subprocess")
    pid = fn.invoke().result
    result = fn.invoke({"crash": True})
    assert result.function_error == "Unhandled" and not result.timed_out
    assert result.result == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {result.request_id} Error: {reason}",
    }
    assert "about to go" in result.log_lines
    assert f"RequestId: {result.request_id} Error: {reason}\nRuntime.ExitError" in result.log_lines
    assert "Status: error\tError Type: Runtime.ExitError" in result.report.line
    assert not _live(pid)
    assert fn.invoke().cold_start  # a new environment replaces the crashed one


@pytest.mark.parametrize("isolation", ["subprocess", "snapshot"])
@pytest.mark.parametrize("code", ["sys.exit(1)", "os._exit(1)"])
def test_an_exit_in_the_first_invoke_still_reports_the_memory_it_used(cloud: LocalCloud, code_dir, isolation, code) -> None:
    """D12: the REPORT line of an invocation that ends its process gives the process's peak, as
    AWS reports the memory the environment used (it said 0 MB before any invocation had finished)."""
    app = f"""
import os, sys
def handler(event, context):
    ballast = bytearray(40 * 1024 * 1024)  # touched: 40 MB resident
    {code}
"""
    fn = cloud.deploy(code_dir(app=app), name="exits", isolation=isolation)
    result = fn.invoke()
    assert result.result["errorType"] == "Runtime.ExitError"
    assert result.report.max_memory_used_mb >= 40, result.report.line


def test_output_below_python_reaches_the_log(cloud: LocalCloud, code_dir) -> None:
    app = """
import os, subprocess
def handler(event, context):
    os.write(1, b"raw fd write\\n")
    subprocess.run(["echo", "from a child process"], check=True)
    print("partial line without newline", end="")
"""
    result = cloud.deploy(code_dir(app=app), name="raw", isolation="subprocess").invoke()
    assert result.ok
    for line in ("raw fd write", "from a child process", "partial line without newline"):
        assert line in result.log_lines


def test_concurrency_creates_one_process_per_instance(cloud: LocalCloud, code_dir) -> None:
    cloud.deploy(code_dir(app=HOOKS), name="burst", isolation="subprocess")
    results = invoke_in_threads(cloud, "burst", [{"hold": 0.3} for _ in range(3)])
    assert all(r.cold_start for r in results)
    pids = {r.result["pid"] for r in results}
    assert len(pids) == 3 and os.getpid() not in pids
    assert all(r.result["order"] == [] for r in results)  # no snapshot: hooks never run
    assert len(cloud.instances("burst")) == 3


def test_provisioned_instances_are_started_ahead(cloud: LocalCloud, code_dir) -> None:
    cloud.deploy(code_dir(app=COUNTER), name="warm", isolation="subprocess")
    version = cloud.client("lambda").publish_version(FunctionName="warm")["Version"]
    cloud.set_provisioned_concurrency("warm", version, 1)
    (init_start, init_output) = cloud.logs("warm")
    assert init_start.startswith("INIT_START Runtime Version: python:") and init_output == "init ran"
    result = cloud.invoke("warm", {"n": 1}, qualifier=version)
    assert not result.cold_start and result.report.init_duration_ms is None and result.result["calls"] == 1


def test_sqs_and_nested_invocations_use_the_same_executor(cloud: LocalCloud, code_dir) -> None:
    cloud.deploy(code_dir(app="def handler(e, c):\n    print('inner ran')\n    return e['n'] * 2\n"), name="inner")
    outer = """
import json, boto3
lam = boto3.client("lambda")
def handler(event, context):
    total = 0
    for record in event["Records"]:
        response = lam.invoke(FunctionName="inner", Payload=json.dumps({"n": int(record["body"])}))
        total += json.loads(response["Payload"].read())
    print("SEEN", total)
"""
    sqs, lam = cloud.client("sqs"), cloud.client("lambda")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    cloud.deploy(code_dir(app=outer), name="outer", isolation="subprocess")
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="outer", BatchSize=10)
    for n in (1, 2, 3):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    assert cloud.run_until_idle() == 1
    assert "SEEN 12" in cloud.logs("outer")
    assert cloud.logs("inner").count("inner ran") == 3
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_isolation_is_validated_and_can_change(cloud: LocalCloud, code_dir) -> None:
    with pytest.raises(CloudUsageError, match="격리 방식"):
        cloud.deploy(code_dir(app=COUNTER), name="x", isolation="docker")
    fn = cloud.deploy(code_dir(app=COUNTER), name="switch", isolation="subprocess")
    assert fn.invoke().result["pid"] != os.getpid()
    cloud.set_isolation("switch", "inprocess")
    again = fn.invoke()
    assert again.cold_start and again.result["pid"] == os.getpid()


def test_default_isolation_applies_to_functions_made_with_boto3(code_dir) -> None:
    from labkit.cloud import package

    with LocalCloud(isolation="subprocess") as cloud:
        zip_bytes, handler = package(code_dir(app=COUNTER))
        role = cloud.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        cloud.client("lambda").create_function(
            FunctionName="plain", Runtime="python3.11", Role=role, Handler=handler, Code={"ZipFile": zip_bytes}
        )
        response = cloud.client("lambda").invoke(FunctionName="plain", Payload=b"{}")
        assert json.loads(response["Payload"].read())["pid"] != os.getpid()
    with pytest.raises(CloudUsageError, match="격리 방식"):
        LocalCloud(isolation="vm", start=False)


def test_stop_leaves_no_process_behind(code_dir) -> None:
    with LocalCloud() as cloud:
        cloud.deploy(code_dir(app=HOOKS), name="sub", isolation="subprocess")
        cloud.deploy(code_dir(app=HOOKS), name="snap", isolation="snapshot")
        pids = {r.result["pid"] for r in invoke_in_threads(cloud, "sub", [{"hold": 0.2}] * 2)}
        pids |= {r.result["pid"] for r in invoke_in_threads(cloud, "snap", [{"hold": 0.2}] * 2)}
        templates = [t.pid for t in cloud.runtime.snapshots("snap")]
        assert len(pids) == 4 and len(templates) == 1
        assert all(_live(pid) for pid in pids | set(templates))
    assert not any(_live(pid) for pid in pids | set(templates))


def test_keep_alive_reclaims_processes(code_dir) -> None:
    with LocalCloud(keep_alive=60) as cloud:
        fn = cloud.deploy(code_dir(app=COUNTER), name="idle", isolation="subprocess")
        pid = fn.invoke().result["pid"]
        cloud.clock.advance(61)
        cloud.run_until_idle()
        assert fn.instances() == [] and not _live(pid)


# --------------------------------------------------------------------------- snapshot


def test_snapshot_restores_instead_of_initialising(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=HOOKS), name="snap", isolation="snapshot")
    first, second = fn.invoke(), fn.invoke()
    assert first.cold_start and not second.cold_start
    report = first.report
    assert report.init_duration_ms is None and report.restore_duration_ms is not None
    assert report.billed_restore_duration_ms >= 1
    assert re.search(r"\tRestore Duration: \d+\.\d{2} ms\tBilled Restore Duration: \d+ ms\t$", report.line)
    assert "Init Duration" not in report.line
    assert parse_report(report.line) == report
    assert second.report.restore_duration_ms is None
    # INIT ran once, in the template; its duration is in an INIT_REPORT line, as on AWS.
    (template,) = cloud.runtime.snapshots("snap")
    assert first.result["pid"] != template.pid
    assert sum(line.startswith("INIT_REPORT Init Duration:") for line in fn.logs()) == 1
    # AWS's log streams: the template's (at "publish") INIT_START, its output, INIT_REPORT; each
    # restored environment's RESTORE_START, after-restore output, RESTORE_REPORT, then START.
    logs = cloud.client("logs")
    streams = {s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/aws/lambda/snap")["logStreams"]}
    (restored_stream,) = [i.log_stream for i in fn.instances()]
    (template_stream,) = streams - {restored_stream}
    template_lines = [e["message"] for e in logs.get_log_events(logGroupName="/aws/lambda/snap", logStreamName=template_stream)["events"]]
    assert re.fullmatch(r"INIT_START Runtime Version: python:3\.\d+\.v\d+\tRuntime Version ARN: arn:aws:lambda:ap-northeast-2::runtime:[0-9a-f]{64}", template_lines[0])
    assert template_lines[-1].startswith("INIT_REPORT Init Duration:")
    restored = [e["message"] for e in logs.get_log_events(logGroupName="/aws/lambda/snap", logStreamName=restored_stream)["events"]]
    assert re.fullmatch(r"RESTORE_START Runtime Version: python:3\.\d+\.v\d+\tRuntime Version ARN: arn:aws:lambda:ap-northeast-2::runtime:[0-9a-f]{64}", restored[0])
    starts = [n for n, line in enumerate(restored) if line.startswith("START ")]
    assert restored[starts[0] - 1] == f"RESTORE_REPORT Restore Duration: {report.restore_duration_ms:.2f} ms"
    assert any(line.startswith("restored in ") for line in restored[1:starts[0] - 1])  # the after-restore hook's output
    assert sum(line.startswith("RESTORE_START") for line in restored) == 1 and len(starts) == 2
    # Hooks: before-snapshot in reverse order of registration, after-restore in order.
    assert first.result["order"] == ["before-2", "before-1", "after-1", "after-2"]
    assert any(line.startswith("restored in ") for line in fn.logs())


def test_restores_take_the_spare_or_fork_on_demand(cloud: LocalCloud, code_dir) -> None:
    """The zygote hands its spare to the parent; a burst beyond it forks on demand; a new spare follows."""
    cloud.deploy(code_dir(app=HOOKS), name="burst", isolation="snapshot")
    results = invoke_in_threads(cloud, "burst", [{"hold": 0.3}] * 3)
    pids = {r.result["pid"] for r in results}
    assert len(pids) == 3 and all(r.cold_start and r.ok for r in results)
    assert all(r.result["order"] == ["before-2", "before-1", "after-1", "after-2"] for r in results)
    spares = sorted(i.from_spare for i in cloud.instances("burst"))
    assert spares[0] is False and spares[-1] is True  # one spare at a time, the rest forked
    time.sleep(0.3)  # the zygote forks the next spare once it has been idle a moment
    cloud.clock.advance(601)
    again = cloud.invoke("burst")
    assert again.cold_start and again.result["pid"] not in pids
    (instance,) = cloud.instances("burst")
    assert instance.from_spare
    for pid in pids:
        assert not _live(pid)  # the reclaimed instances were reaped through the zygote


def test_snapshot_uniqueness_trap_and_its_fix(cloud: LocalCloud, code_dir) -> None:
    cloud.deploy(code_dir(app=HOOKS), name="trap", isolation="snapshot")
    same = invoke_in_threads(cloud, "trap", [{"hold": 0.2}] * 2)
    assert len({r.result["pid"] for r in same}) == 2  # two restored instances
    assert same[0].result["token"] == same[1].result["token"]  # made at INIT: identical
    assert same[0].result["random"] == same[1].result["random"]  # generator state restored too

    cloud.deploy(code_dir(app=HOOKS), name="fixed", isolation="snapshot", env={"RESEED": "1"})
    fixed = invoke_in_threads(cloud, "fixed", [{"hold": 0.2}] * 2)
    assert fixed[0].result["token"] != fixed[1].result["token"]
    assert fixed[0].result["random"] != fixed[1].result["random"]


def test_snapshot_environment_and_context(cloud: LocalCloud, code_dir) -> None:
    app = """
import os
def handler(event, context):
    return {k: os.environ.get(k) for k in ("AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_FUNCTION_NAME")}
"""
    out = cloud.deploy(code_dir(app=app), name="envs", isolation="snapshot").invoke().result
    # AWS documents that SnapStart functions have no log group/stream variables.
    assert out == {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start", "AWS_LAMBDA_LOG_STREAM_NAME": None, "AWS_LAMBDA_FUNCTION_NAME": "envs"}


def test_connections_made_during_init_are_not_shared_by_restored_instances(cloud: LocalCloud, code_dir) -> None:
    app = """
import boto3
sqs = boto3.client("sqs")
URL = sqs.get_queue_url(QueueName="shared")["QueueUrl"]   # a connection opened during INIT
def handler(event, context):
    for i in range(5):
        sqs.send_message(QueueUrl=URL, MessageBody=f"{event['n']}-{i}")
    return "sent"
"""
    cloud.client("sqs").create_queue(QueueName="shared")
    cloud.deploy(code_dir(app=app), name="conn", isolation="snapshot")
    results = invoke_in_threads(cloud, "conn", [{"n": n} for n in range(3)])
    assert all(r.result == "sent" for r in results), [r.result for r in results]
    attrs = cloud.client("sqs").get_queue_attributes(QueueUrl=cloud.client("sqs").get_queue_url(QueueName="shared")["QueueUrl"], AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "15"


def test_snapshot_failures(cloud: LocalCloud, code_dir) -> None:
    before = "from snapshot_restore_py import register_before_snapshot\n@register_before_snapshot\ndef bad():\n    raise RuntimeError('cannot snapshot')\ndef handler(e, c): return 1\n"
    result = cloud.deploy(code_dir(app=before), name="nosnap", isolation="snapshot").invoke()
    assert result.result["errorType"] == "RuntimeError" and result.result["errorMessage"] == "cannot snapshot"
    assert cloud.runtime.snapshots("nosnap") == []  # discarded: the next invoke tries again

    after = "from snapshot_restore_py import register_after_restore\n@register_after_restore\ndef bad():\n    raise KeyError('gone')\ndef handler(e, c): return 1\n"
    result = cloud.deploy(code_dir(app=after), name="norestore", isolation="snapshot").invoke()
    assert result.result["errorType"] == "SnapStartException"
    assert "KeyError" in result.result["errorMessage"]
    assert "Status: error\tError Type: SnapStartException" in result.report.line
    assert any(  # AWS: a failed restore's RESTORE_REPORT says so
        re.fullmatch(r"RESTORE_REPORT Restore Duration: \d+\.\d\d ms\tStatus: error\tError Type: SnapStartException", line)
        for line in cloud.logs("norestore")
    ), cloud.logs("norestore")

    crash = "import os\ndef handler(e, c):\n    os._exit(1)\n"
    result = cloud.deploy(code_dir(app=crash), name="snapcrash", isolation="snapshot").invoke()
    assert result.result["errorType"] == "Runtime.ExitError"
    assert result.result["errorMessage"].endswith("Runtime exited with error: exit status 1")


def test_snapshot_timeout_kills_the_restored_instance_only(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=HOOKS), name="snapslow", isolation="snapshot", timeout=1)
    pid = fn.invoke().result["pid"]
    result = fn.invoke({"hold": 5})
    assert result.timed_out and result.result["errorType"] == "Sandbox.Timedout"
    assert result.result["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert 1000 <= result.report.duration_ms < 1100 and result.report.status == "timeout"
    assert not _live(pid)
    (template,) = cloud.runtime.snapshots("snapslow")
    assert _live(template.pid)
    again = fn.invoke()
    assert again.cold_start and again.report.restore_duration_ms is not None


def test_redeploy_replaces_the_snapshot(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app="VALUE = 1\ndef handler(e, c): return VALUE\n"), name="redeploy", isolation="snapshot")
    assert fn.invoke().result == 1
    (old,) = cloud.runtime.snapshots("redeploy")
    cloud.deploy(code_dir(app="VALUE = 2\ndef handler(e, c): return VALUE\n"), name="redeploy", isolation="snapshot")
    assert fn.invoke().result == 2
    (new,) = cloud.runtime.snapshots("redeploy")
    assert new is not old and not _live(old.pid)


def test_worker_channel_times_out_and_sees_eof() -> None:
    import socket

    a, b = socket.socketpair()
    channel = processes.WorkerChannel(a)
    with pytest.raises(processes.WorkerTimeout):
        channel.recv(time.monotonic() + 0.05)
    b.close()
    with pytest.raises(processes.WorkerGone):
        channel.recv(time.monotonic() + 1)
    channel.close()


def test_async_invoke_through_boto3_in_subprocess_mode(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=COUNTER), name="later", isolation="subprocess")
    response = cloud.client("lambda").invoke(FunctionName="later", InvocationType="Event", Payload=json.dumps({"n": 9}))
    assert response["StatusCode"] == 202
    cloud.run_until_idle()
    assert "SEEN 9" in fn.logs()


def test_a_crash_or_a_hang_during_init(cloud: LocalCloud, code_dir, monkeypatch) -> None:
    crash = cloud.deploy(code_dir(app="import os\nos._exit(2)\ndef handler(e, c): pass\n"), name="initcrash", isolation="subprocess")
    result = crash.invoke()
    assert result.result == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with error: exit status 2",
    }
    assert "Error: Runtime exited with error: exit status 2\nRuntime.ExitError" in crash.logs()

    monkeypatch.setattr(processes, "INIT_TIMEOUT_S", 0.3)
    hang = cloud.deploy(code_dir(app="import time\ntime.sleep(30)\ndef handler(e, c): pass\n"), name="inithang", isolation="subprocess")
    started = time.perf_counter()
    result = hang.invoke()
    assert time.perf_counter() - started < 2
    assert result.result["errorType"] == "Runtime.Unknown"
    assert "INIT phase timed out" in result.result["errorMessage"]
    assert hang.instances() == []


def test_writes_from_a_worker_process_feed_event_sources(cloud: LocalCloud, code_dir) -> None:
    """A subprocess handler writes through the moto endpoint; the stream poller sees the records."""
    stream_arn = cloud.client("dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    writer = "import boto3\ntable = boto3.resource('dynamodb').Table('orders')\ndef handler(e, c):\n    table.put_item(Item={'id': e['id']})\n"
    reader = "def handler(e, c):\n    for r in e['Records']:\n        print('SEEN', r['eventName'], r['dynamodb']['NewImage']['id']['S'])\n"
    cloud.deploy(code_dir(app=writer), name="writer", isolation="subprocess")
    cloud.deploy(code_dir(app=reader), name="reader", isolation="snapshot")
    cloud.client("lambda").create_event_source_mapping(EventSourceArn=stream_arn, FunctionName="reader", StartingPosition="TRIM_HORIZON")
    for order in ("o-1", "o-2"):
        assert cloud.invoke("writer", {"id": order}).ok
    cloud.run_until_idle()
    assert [line for line in cloud.logs("reader") if line.startswith("SEEN")] == ["SEEN INSERT o-1", "SEEN INSERT o-2"]
