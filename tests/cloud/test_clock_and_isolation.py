"""The runtime's clock, and the in-process isolation pieces on their own."""

from __future__ import annotations

import os
import threading
import time

import pytest

from labkit.cloud import CloudUsageError, LocalCloud
from labkit.cloud.core.clock import Clock, Timers
from labkit.cloud.awslambda.inprocess import InvocationTimeout, LayeredEnviron, ModuleSpace, Watchdog, current


def test_clock_advances_without_waiting_and_never_backwards() -> None:
    clock = Clock()
    before = clock.now()
    clock.advance(3600)
    assert 3600 <= clock.now() - before < 3601
    with pytest.raises(CloudUsageError, match="뒤로"):
        clock.advance(-1)
    with pytest.raises(CloudUsageError, match="숫자로"):
        clock.advance("60")  # type: ignore[arg-type]


def test_timers_run_in_due_order_only_when_due() -> None:
    clock = Clock()
    timers = Timers(clock)
    ran: list[str] = []
    timers.call_later(20, lambda: ran.append("b"))
    timers.call_later(10, lambda: ran.append("a"))
    assert timers.run_due() == 0
    clock.advance(15)
    assert timers.run_due() == 1 and ran == ["a"]
    clock.advance(10)
    timers.run_due()
    assert ran == ["a", "b"] and timers.next_due() is None


def test_moto_sqs_reads_the_runtime_clock(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert len(sqs.receive_message(QueueUrl=url).get("Messages", [])) == 1
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    cloud.clock.advance(61)
    assert len(sqs.receive_message(QueueUrl=url).get("Messages", [])) == 1


def test_module_space_supports_packages_and_relative_imports(code_dir) -> None:
    folder = code_dir(
        **{
            "pkg.__init__": "from .core import VALUE\n",
            "pkg.core": "from . import util\nVALUE = util.double(21)\n",
            "pkg.util": "def double(x):\n    return 2 * x\n",
            "app": "import pkg\nfrom pkg.util import double\nimport json\n",
        }
    )
    one, two = ModuleSpace(str(folder)), ModuleSpace(str(folder))
    app1, app2 = one.load("app"), two.load("app")
    assert app1.pkg.VALUE == 42 and app1.double(1) == 2
    assert app1.pkg is not app2.pkg  # each instance has its own module objects
    assert app1.json is app2.json  # the standard library is shared with the host


def test_layered_environ_is_per_thread() -> None:
    env = LayeredEnviron(dict(os.environ))
    env["HOST"] = "h"
    seen: dict[str, object] = {}

    def worker() -> None:
        current.env = {"ONLY": "mine"}
        seen["only"], seen["host"] = env.get("ONLY"), env.get("HOST")
        env["NEW"] = "n"
        del env["HOST"]
        seen["deleted"] = "HOST" in env
        current.env = None

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == {"only": "mine", "host": "h", "deleted": False}
    assert "ONLY" not in env and "NEW" not in env and env["HOST"] == "h"


def test_watchdog_interrupts_only_its_own_thread() -> None:
    dog = Watchdog()
    try:
        entry = dog.arm(time.monotonic() + 0.05)
        with pytest.raises(InvocationTimeout):
            while True:
                pass
        assert dog.disarm(entry)
        quiet = dog.arm(time.monotonic() + 0.05)
        assert not dog.disarm(quiet)
        time.sleep(0.1)  # a disarmed deadline must never fire later
    finally:
        dog.stop()


def test_nested_invocation_from_a_handler(cloud: LocalCloud, code_dir) -> None:
    cloud.deploy(code_dir(app="def handler(e, c):\n    print('inner ran')\n    return e['n'] * 2\n"), name="inner")
    outer = """
import json, boto3
lam = boto3.client("lambda")
def handler(event, context):
    print("outer ran")
    response = lam.invoke(FunctionName="inner", Payload=json.dumps({"n": 21}))
    return json.loads(response["Payload"].read())
"""
    result = cloud.deploy(code_dir(app=outer), name="outer").invoke()
    assert result.result == 42
    assert "outer ran" in result.log_lines and "inner ran" not in result.log_lines
    assert "inner ran" in cloud.logs("inner")


def test_keep_alive_policy_is_pluggable_and_sees_idle_times(code_dir) -> None:
    class Recording:
        def __init__(self) -> None:
            self.idle: list[float] = []

        def keep_alive_seconds(self, function_name: str) -> float:
            return 60.0

        def observe_idle(self, function_name: str, idle_seconds: float) -> None:
            self.idle.append(round(idle_seconds))

    policy = Recording()
    with LocalCloud(keep_alive=policy) as cloud:
        fn = cloud.deploy(code_dir(app="def handler(e, c):\n    return 1\n"), name="p")
        fn.invoke()
        cloud.clock.advance(30)
        assert not fn.invoke().cold_start
        cloud.clock.advance(90)
        assert fn.invoke().cold_start
    assert policy.idle == [30, 90]
