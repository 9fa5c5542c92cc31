"""The local cloud as a learner starts it: credentials, region, deploy, logs."""

from __future__ import annotations

import os
import sys
import threading
import types

import boto3
import pytest

from labkit.cloud import CloudUsageError, DeployError, LocalCloud, local_cloud, package
from labkit.cloud.awslambda.packaging import function_source


def greet(event, context):
    return {"greeting": f"hello {event['name']}"}


TITLE = "dr"


def polite(event, context):
    return {"greeting": f"{TITLE} {os.path.basename(event['name'])}"}


def test_fake_credentials_and_region_replace_real_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "real-profile")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://real.example.com")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/home/someone/.aws/credentials")
    before = dict(os.environ)
    with local_cloud() as cloud:
        assert "AWS_PROFILE" not in os.environ
        assert "AWS_ENDPOINT_URL" not in os.environ
        assert os.environ["AWS_ACCESS_KEY_ID"] != "AKIAREALKEY"
        assert os.environ["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
        assert os.environ["AWS_CONFIG_FILE"] == os.devnull
        assert cloud.region == "ap-northeast-2"
        assert boto3.client("sts").get_caller_identity()["Account"] == "123456789012"
        assert boto3.client("sqs").meta.region_name == "ap-northeast-2"
    assert dict(os.environ) == before


def test_stop_restores_stdout_and_the_environment() -> None:
    """(moto's patched names: test_moto_integration.py::test_stop_restores_every_patched_name_to_its_original)"""
    cloud = LocalCloud()
    assert type(sys.stdout).__name__ == "ThreadOutput"
    cloud.stop()
    assert type(sys.stdout).__name__ != "ThreadOutput"
    assert type(os.environ).__name__ == "_Environ"


def test_a_second_cloud_replaces_the_first() -> None:
    first = LocalCloud()
    with pytest.warns(UserWarning):
        second = LocalCloud()
    assert not first.running and second.running
    second.stop()


def test_a_cloud_not_yet_started_says_to_call_start() -> None:
    """The runtime is made by start(): before it, a Korean CloudUsageError, not an AttributeError on None."""
    cloud = LocalCloud(start=False)
    calls = {
        "function": lambda: cloud.function("x"),
        "instances": lambda: cloud.instances("x"),
        "set_provisioned_concurrency": lambda: cloud.set_provisioned_concurrency("x", "1", 1),
        "runtime": lambda: cloud.runtime,
    }
    for name, call in calls.items():
        with pytest.raises(CloudUsageError, match=r"cloud\.start\(\)") as raised:
            call()
        assert "시작" in str(raised.value), name
    assert not cloud.running


def test_deploy_a_notebook_function_and_invoke_it(cloud: LocalCloud) -> None:
    fn = cloud.deploy(greet, name="greet")
    result = fn.invoke({"name": "kim"})
    assert result.result == {"greeting": "hello kim"}
    config = cloud.client("lambda").get_function(FunctionName="greet")["Configuration"]
    assert config["Handler"] == "lambda_function.greet"
    assert config["Runtime"].startswith("python3")


def test_function_source_carries_imports_and_constants() -> None:
    source = function_source(polite)
    assert "import os" in source and "TITLE = 'dr'" in source
    assert "def polite" in source


def test_function_source_refuses_objects_it_cannot_carry() -> None:
    client = object()

    def uses_client(event, context):
        return client

    with pytest.raises(DeployError, match="바깥 함수의 변수"):
        package(uses_client)


_LOCK = threading.Lock()


def _uses_lock(event, context):
    return _LOCK.locked()


def test_function_source_names_what_it_cannot_carry_with_one_particle() -> None:
    with pytest.raises(DeployError) as caught:
        package(_uses_lock)
    assert "전역 이름 '_LOCK'의 값(lock 객체)은 함수 소스와 함께 옮길 수 없습니다" in str(caught.value)
    with pytest.raises(DeployError) as caught:
        function_source(len)
    assert str(caught.value).startswith("<built-in function len>은 파이썬 함수가 아니라")


def test_deploy_from_folder_with_helper_module(cloud: LocalCloud, code_dir) -> None:
    folder = code_dir(
        app="""
        from helper import shout
        def handler(event, context):
            return shout(event["word"])
        """,
        helper="""
        def shout(word):
            return word.upper() + "!"
        """,
    )
    fn = cloud.deploy(folder, name="shout")
    assert fn.invoke({"word": "hey"}).result == "HEY!"


def test_deploy_from_module(cloud: LocalCloud, code_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = code_dir(mymod="def lambda_handler(event, context):\n    return 'from module'\n")
    monkeypatch.syspath_prepend(str(folder))
    import importlib

    module = importlib.import_module("mymod")
    assert isinstance(module, types.ModuleType)
    fn = cloud.deploy(module)
    assert fn.name == "mymod"
    assert fn.invoke().result == "from module"


def test_folder_without_clear_handler_asks_for_one(code_dir) -> None:
    folder = code_dir(a="def handler(e, c): pass\n", b="def handler(e, c): pass\n")
    with pytest.raises(DeployError, match="handler="):
        package(folder)


def test_redeploy_updates_code_and_replaces_instances(cloud: LocalCloud, code_dir) -> None:
    cloud.deploy(code_dir(app="def handler(e, c):\n    return 1\n"), name="f")
    assert cloud.invoke("f").result == 1
    cloud.deploy(code_dir(app="def handler(e, c):\n    return 2\n"), name="f")
    second = cloud.invoke("f")
    assert second.result == 2 and second.cold_start


def test_bad_memory_is_refused_in_korean(cloud: LocalCloud) -> None:
    with pytest.raises(DeployError, match="128~10240"):
        cloud.deploy(greet, memory=64)


def test_env_that_is_not_a_dict_is_refused_in_korean(cloud: LocalCloud) -> None:
    with pytest.raises(DeployError, match="env는 .*dict"):
        cloud.deploy(greet, env=["STAGE=dev"])


def test_unknown_function_is_explained_in_korean(cloud: LocalCloud) -> None:
    from labkit.cloud import FunctionNotFound

    with pytest.raises(FunctionNotFound, match="찾을 수 없습니다"):
        cloud.invoke("nope")


def _echo(event, context):
    return event


def test_an_event_that_is_not_json_is_explained_in_korean(cloud: LocalCloud) -> None:
    from labkit.cloud import CloudUsageError

    handle = cloud.deploy(_echo, name="echo")
    with pytest.raises(CloudUsageError, match="JSON으로 바꿀 수 없습니다.*set은 list로"):
        handle.invoke({"ids": {1, 2}})
    assert handle.invoke({"ids": [1, 2]}).result == {"ids": [1, 2]}


class Tally:
    def __init__(self) -> None:
        self.items: list[str] = []


def tally_handler(event, context):
    tally = Tally()
    tally.items.extend(shout_all(event["words"]))
    return tally.items


def shout_all(words):
    return [w.upper() for w in words]


def test_notebook_function_brings_its_helpers_and_classes(cloud: LocalCloud) -> None:
    source = function_source(tally_handler)
    assert "class Tally" in source and "def shout_all" in source
    assert cloud.deploy(tally_handler, name="tally").invoke({"words": ["a", "b"]}).result == ["A", "B"]
