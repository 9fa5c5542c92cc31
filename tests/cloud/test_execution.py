"""Execution environments: context, environment variables, cold/warm, concurrency, errors, timeouts."""

from __future__ import annotations

import json
import math
import os
import re

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labkit.cloud import LocalCloud, TooManyRequestsException, parse_report

from .conftest import invoke_in_threads

COUNTER_APP = """
import os
INITS = []
INITS.append(1)
calls = 0
print("init ran")

def handler(event, context):
    global calls
    calls += 1
    return {"calls": calls, "inits": len(INITS)}
"""

CONTEXT_APP = """
import os

def handler(event, context):
    return {
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "group": context.log_group_name,
        "stream": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "env": {k: os.environ.get(k) for k in [
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "AWS_LAMBDA_FUNCTION_VERSION", "AWS_REGION", "_HANDLER", "LAMBDA_TASK_ROOT",
            "AWS_LAMBDA_LOG_STREAM_NAME", "TABLE", "AWS_LAMBDA_INITIALIZATION_TYPE"]},
    }
"""


def test_context_and_lambda_environment(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=CONTEXT_APP), name="ctx", memory=256, timeout=5, env={"TABLE": "orders"})
    out = fn.invoke().result
    assert re.fullmatch(r"[0-9a-f-]{36}", out["request_id"])
    assert out["function_name"] == "ctx" and out["function_version"] == "$LATEST"
    assert out["arn"] == "arn:aws:lambda:ap-northeast-2:123456789012:function:ctx"
    assert out["memory"] == "256"  # a string, as in the Python runtime
    assert out["group"] == "/aws/lambda/ctx"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", out["stream"])
    assert 4000 < out["remaining"] <= 5000
    env = out["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "ctx" and env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_REGION"] == "ap-northeast-2" and env["_HANDLER"] == "app.handler"
    assert env["TABLE"] == "orders" and env["AWS_LAMBDA_LOG_STREAM_NAME"] == out["stream"]
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert os.path.isfile(os.path.join(env["LAMBDA_TASK_ROOT"], "app.py"))
    assert "TABLE" not in os.environ  # the host process never sees the function's variables


def test_handler_environment_writes_stay_in_the_instance(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(
        code_dir(app="import os\ndef handler(e, c):\n    os.environ['SEEN'] = os.environ.get('SEEN', '') + 'x'\n    return os.environ['SEEN']\n"),
        name="envw",
    )
    assert fn.invoke().result == "x"
    assert fn.invoke().result == "xx"
    assert "SEEN" not in os.environ


def test_cold_then_warm_runs_init_once(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=COUNTER_APP), name="counter")
    first, second = fn.invoke(), fn.invoke()
    assert first.cold_start and not second.cold_start
    assert first.result == {"calls": 1, "inits": 1}
    assert second.result == {"calls": 2, "inits": 1}
    assert first.report.init_duration_ms is not None and second.report.init_duration_ms is None
    assert fn.logs()[1] == "init ran"  # INIT output comes after INIT_START, before the first START
    assert len(fn.instances()) == 1


INIT_START = re.compile(
    r"INIT_START Runtime Version: python:3\.\d+\.v\d+\tRuntime Version ARN: "
    r"arn:aws:lambda:ap-northeast-2::runtime:[0-9a-f]{64}"
)


def test_every_new_execution_environment_logs_init_start_first(cloud: LocalCloud, code_dir) -> None:
    # AWS writes INIT_START (runtime version and ARN) to CloudWatch each time it initialises an
    # execution environment, before the INIT output and the first START; never for warm starts.
    fn = cloud.deploy(code_dir(app=COUNTER_APP), name="counter")
    first, second = fn.invoke(), fn.invoke()
    lines = fn.logs()
    assert INIT_START.fullmatch(lines[0]), lines[0]
    assert lines[1:3] == ["init ran", f"START RequestId: {first.request_id} Version: $LATEST"]
    assert sum(line.startswith("INIT_START ") for line in lines) == 1 and second.ok
    assert not any(line.startswith("INIT_START") for line in first.log_lines)  # not part of the invocation
    stream = cloud.client("logs").get_log_events(logGroupName="/aws/lambda/counter", logStreamName=fn.instances()[0].log_stream)
    assert stream["events"][0]["message"] == lines[0]
    # the runtime's Python unless the function names one (python3.12 -> python:3.12.vNN)
    boto3_made = cloud.client("lambda").get_function(FunctionName="counter")["Configuration"]["Runtime"]
    assert f"Runtime Version: {boto3_made.replace('python', 'python:')}.v" in lines[0]
    version = cloud.client("lambda").publish_version(FunctionName="counter")["Version"]
    cloud.set_provisioned_concurrency("counter", version, 1)  # provisioned environments initialise too
    assert sum(line.startswith("INIT_START ") for line in fn.logs()) == 2
    broken = cloud.deploy(code_dir(app="import not_installed_pkg\n"), name="broken", handler="app.handler")
    broken.invoke()
    head = broken.logs()[:3]
    assert INIT_START.fullmatch(head[0]) and head[1].startswith("[ERROR] Runtime.ImportModuleError")
    assert head[2].startswith("INIT_REPORT Init Duration:")


def test_same_module_name_in_two_functions_stays_apart(cloud: LocalCloud, code_dir) -> None:
    cloud.deploy(code_dir(app="NAME = 'a'\ndef handler(e, c):\n    return NAME\n"), name="a")
    cloud.deploy(code_dir(app="NAME = 'b'\ndef handler(e, c):\n    return NAME\n"), name="b")
    assert [cloud.invoke("a").result, cloud.invoke("b").result, cloud.invoke("a").result] == ["a", "b", "a"]
    import sys

    assert "app" not in sys.modules


def test_keep_alive_reclaims_idle_instances_on_the_clock(code_dir) -> None:
    with LocalCloud(keep_alive=300) as cloud:
        fn = cloud.deploy(code_dir(app=COUNTER_APP), name="counter")
        fn.invoke()
        cloud.clock.advance(299)
        assert not fn.invoke().cold_start
        cloud.clock.advance(301)
        again = fn.invoke()
        assert again.cold_start and again.result == {"calls": 1, "inits": 1}


BARRIER_APP = """
import threading, time
calls = 0
print("init ran")
def handler(event, context):
    global calls
    calls += 1
    print("SEEN", event["n"])
    time.sleep(event.get("hold", 0))
    return {"calls": calls, "n": event["n"]}
"""


def test_concurrent_invocations_create_instances_and_capture_output_per_thread(cloud: LocalCloud, code_dir) -> None:
    cloud.deploy(code_dir(app=BARRIER_APP), name="burst")
    results = invoke_in_threads(cloud, "burst", [{"n": i, "hold": 0.2} for i in range(3)])
    assert all(r.cold_start for r in results)
    assert len({r.instance_id for r in results}) == 3
    assert all(r.result["calls"] == 1 for r in results)  # each instance has its own module state
    for r in results:
        seen = [line for line in r.log_lines if line.startswith("SEEN")]
        assert seen == [f"SEEN {r.result['n']}"]
    streams = cloud.client("logs").describe_log_streams(logGroupName="/aws/lambda/burst")["logStreams"]
    assert len(streams) == 3


def test_reserved_concurrency_throttles(cloud: LocalCloud, code_dir) -> None:
    cloud.deploy(code_dir(app=BARRIER_APP), name="limited")
    lam = cloud.client("lambda")
    lam.put_function_concurrency(FunctionName="limited", ReservedConcurrentExecutions=1)
    results = invoke_in_threads(cloud, "limited", [{"n": 0, "hold": 0.3}, {"n": 1, "hold": 0.3}])
    throttled = [r for r in results if isinstance(r, TooManyRequestsException)]
    assert len(throttled) == 1 and "예약된 동시성" in str(throttled[0])

    lam.put_function_concurrency(FunctionName="limited", ReservedConcurrentExecutions=0)
    no_retry = boto3.client("lambda", config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    with pytest.raises(ClientError) as caught:
        no_retry.invoke(FunctionName="limited", Payload=b'{"n": 2}')
    assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_provisioned_concurrency_initialises_ahead(cloud: LocalCloud, code_dir) -> None:
    cloud.deploy(code_dir(app=BARRIER_APP), name="warm")
    version = cloud.client("lambda").publish_version(FunctionName="warm")["Version"]
    cloud.set_provisioned_concurrency("warm", version, 2)
    assert len(cloud.instances("warm")) == 2
    assert cloud.logs("warm").count("init ran") == 2  # INIT ran at configuration time
    result = cloud.invoke("warm", {"n": 0}, qualifier=version)
    assert not result.cold_start and result.report.init_duration_ms is None
    assert result.result == {"calls": 1, "n": 0}
    spill = invoke_in_threads(cloud, "warm", [{"n": i, "hold": 0.3} for i in range(3)], qualifier=version)
    # Two requests use the provisioned instances; the third spills over to an on-demand cold start.
    assert sorted(r.cold_start for r in spill) == [False, False, True]
    with pytest.raises(Exception, match="\\$LATEST"):
        cloud.set_provisioned_concurrency("warm", "$LATEST", 1)


def test_report_line_format_and_billing(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=COUNTER_APP), name="billing", memory=512)
    cold, warm = fn.invoke(), fn.invoke()
    line = [l for l in cold.log_lines if l.startswith("REPORT")][0]
    assert re.fullmatch(
        r"REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 512 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d{2} ms\t",
        line,
    )
    report = parse_report(line)
    assert report == cold.report
    # Since 2025-08-01 the INIT phase is billed for on-demand functions.
    exact_cold = cold.report.duration_ms + cold.report.init_duration_ms
    assert cold.report.billed_duration_ms in {max(1, math.ceil(exact_cold)), math.ceil(exact_cold + 0.01)}
    assert warm.report.billed_duration_ms in {max(1, math.ceil(warm.report.duration_ms)), math.ceil(warm.report.duration_ms + 0.01)}

    assert [r.request_id for r in fn.reports()] == [cold.request_id, warm.request_id]


def test_billing_rules() -> None:
    from labkit.cloud.awslambda.logs import billed_ms

    assert billed_ms(15.74) == 16
    assert billed_ms(15.74, 130.49) == 147  # INIT billed on an on-demand cold start
    assert billed_ms(0.004) == 1


def test_logging_module_goes_to_the_invocation_log(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(
        code_dir(app="import logging\nlog = logging.getLogger()\ndef handler(e, c):\n    log.warning('careful')\n"),
        name="logs",
    )
    result = fn.invoke()
    line = [l for l in result.log_lines if "careful" in l][0]
    assert re.fullmatch(rf"\[WARNING\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{result.request_id}\tcareful", line)


def test_unhandled_error_has_aws_shape(cloud: LocalCloud, code_dir) -> None:
    cloud.deploy(code_dir(app="def handler(e, c):\n    raise ValueError('boom')\n"), name="fails")
    response = cloud.client("lambda").invoke(FunctionName="fails", Payload=b"{}")
    body = json.loads(response["Payload"].read())
    assert response["FunctionError"] == "Unhandled" and response["StatusCode"] == 200
    assert set(body) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert body["errorMessage"] == "boom" and body["errorType"] == "ValueError"
    assert body["stackTrace"] and body["stackTrace"][0].startswith('  File "/var/task/app.py", line 2, in handler')
    assert not any("labkit" in frame for frame in body["stackTrace"])
    logs = cloud.logs("fails")
    assert any(l.startswith("[ERROR] ValueError: boom") for l in logs)


@pytest.mark.parametrize(
    ("source", "handler", "kind", "message"),
    [
        ("import not_installed_pkg\ndef handler(e, c): pass\n", "app.handler", "Runtime.ImportModuleError",
         "Unable to import module 'app': No module named 'not_installed_pkg'"),
        ("def handler(e, c) pass\n", "app.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'app'"),
        ("def handler(e, c): pass\n", "app.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'app'"),
        ("def handler(e, c): pass\n", "nomodule", "Runtime.MalformedHandlerName", "Bad handler 'nomodule'"),
    ],
)
def test_init_errors_like_the_python_runtime(cloud: LocalCloud, code_dir, source, handler, kind, message) -> None:
    fn = cloud.deploy(code_dir(app=source), name="broken", handler=handler)
    result = fn.invoke()
    assert result.function_error == "Unhandled"
    assert result.result["errorType"] == kind
    assert result.result["errorMessage"].startswith(message)
    assert result.result["requestId"] == result.request_id


def test_failed_init_is_retried_on_the_next_invoke(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app="import not_installed_pkg\n"), name="retry-init", handler="app.handler")
    assert fn.invoke().cold_start and fn.invoke().cold_start
    assert any("Status: error\tError Type: Runtime.ImportModuleError" in l for l in fn.logs())


def test_timeout_interrupts_a_busy_handler(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=COUNTER_APP.replace("return {", "while event.get('spin'): pass\n    return {")), name="slow", timeout=1)
    assert fn.invoke().result["calls"] == 1
    result = fn.invoke({"spin": True})
    assert result.timed_out and result.function_error == "Unhandled"
    assert result.result == {  # AWS names the configured timeout
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds",
    }
    assert 1000 <= result.report.duration_ms < 1100
    assert result.report.status == "timeout" and "Status: timeout" in result.report.line
    assert any(re.fullmatch(rf"\S+Z {result.request_id} Task timed out after 1\.00 seconds", l) for l in result.log_lines)
    after = fn.invoke()
    assert after.cold_start and after.result["calls"] == 1  # the environment was reset


def test_timeout_in_blocking_call_reported_after_the_fact(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app="import time\ndef handler(e, c):\n    time.sleep(1.1)\n    return 'late'\n"), name="sleepy", timeout=1)
    result = fn.invoke()
    assert result.timed_out and result.result["errorType"] == "Sandbox.Timedout"


def test_timeout_after_a_long_blocking_call_says_what_aws_says(cloud: LocalCloud, code_dir) -> None:
    # The handler is only stopped when time.sleep(2) returns (in-process limitation), but the
    # message and REPORT are AWS's: the configured timeout, a Duration of about that timeout.
    fn = cloud.deploy(code_dir(app="import time\ndef handler(e, c):\n    time.sleep(2)\n    return 'late'\n"), name="sleepy", timeout=1)
    result = fn.invoke()
    assert result.timed_out
    assert result.result["errorMessage"] == f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds"
    assert any(l.endswith(f"{result.request_id} Task timed out after 1.00 seconds") for l in result.log_lines)
    assert 1000 <= result.report.duration_ms < 1100, result.report.line
    assert result.report.billed_duration_ms < 1100 + result.report.init_duration_ms


def test_handler_catching_exception_cannot_swallow_the_timeout(cloud: LocalCloud, code_dir) -> None:
    app = "def handler(e, c):\n    try:\n        while True: pass\n    except Exception:\n        return 'swallowed'\n"
    result = cloud.deploy(code_dir(app=app), name="greedy", timeout=1).invoke()
    assert result.timed_out


def test_unserialisable_result_is_a_marshal_error(cloud: LocalCloud, code_dir) -> None:
    result = cloud.deploy(code_dir(app="def handler(e, c):\n    return {1, 2}\n"), name="marshal").invoke()
    assert result.result["errorType"] == "Runtime.MarshalError"


def test_invoking_an_unknown_function_says_so_in_korean(cloud: LocalCloud) -> None:
    from labkit.cloud import CloudUsageError

    with pytest.raises(CloudUsageError) as raised:
        cloud.invoke("없는함수")
    assert str(raised.value).startswith("함수 없는함수를 찾을 수 없습니다.") and "(를)" not in str(raised.value)


def test_every_isolation_mode_has_its_execution_environment() -> None:
    from labkit.cloud.awslambda.models import ISOLATION_MODES
    from labkit.cloud.awslambda.runtime import ENVIRONMENTS

    assert tuple(ENVIRONMENTS) == ISOLATION_MODES
    assert {mode: cls.isolation for mode, cls in ENVIRONMENTS.items()} == {mode: mode for mode in ISOLATION_MODES}
