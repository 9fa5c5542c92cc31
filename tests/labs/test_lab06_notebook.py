"""lab06's solution handlers under a failure the 4.6 page describes, and the helpers the lab's package
gives it (slow work on the lab's clock, the webhook receiver).

The solution and the release run end to end in tests/grading/test_lab06_grading.py's one grading batch
(full marks, and zero without a timeout); running them again here would cost the suite ~75 s.
"""
from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import nbformat
import pytest
import requests

from grader.config import ROOT
from workshop.solution import write_handler_files

SOLUTION = ROOT / "solutions" / "lab06" / "lab06.ipynb"


def listening(port: int) -> bool:
    """Whether a server still accepts connections on 127.0.0.1:`port`."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_metadata_describes_the_lab():
    course = nbformat.read(SOLUTION, as_version=4).metadata["course"]
    assert course["lab"] == "lab06" and course["minutes"] == 90
    assert len(course["objectives"]) == 5 and course["keypoints"] and course["title"]


@pytest.fixture
def deployed(tmp_path):
    from labkit import eventsources as es
    from labkit.cloud import local_cloud

    write_handler_files(SOLUTION, tmp_path)
    with local_cloud() as cloud:
        es.table(cloud, "lab06-jobs", "id")
        es.table(cloud, "lab06-idempotency", "id")
        yield cloud, es, tmp_path / "lab06_functions"


def test_a_visibility_timeout_shorter_than_the_work_redelivers_and_the_claim_runs_the_job_once(deployed):
    # The 4.6 page: a visibility timeout shorter than the worker's run makes the message visible again
    # while the job is running. The work takes 3 x 40 s on the lab's clock, the queue hides a message for
    # 60 s: SQS hands the message out again mid-job, and the claim (PENDING -> RUNNING) refuses it.
    cloud, es, functions = deployed
    url, arn = es.queue(cloud, "short-visibility", visibility_timeout=60)
    topic = cloud.client("sns").create_topic(Name="done")["TopicArn"]
    worker = cloud.deploy(str(functions / "worker"), name="lab06-worker", timeout=10,
                          env={"JOBS_TABLE": "lab06-jobs", "TOPIC_ARN": topic, "MAX_RECEIVE": "3"})
    es.mapping(cloud, arn, worker.name, BatchSize=1)
    table = cloud.client("dynamodb")
    table.put_item(TableName="lab06-jobs", Item={"id": {"S": "j-slow"}, "status": {"S": "PENDING"}, "attempts": {"N": "0"},
                                                  "input": {"M": {"pages": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}}}})
    sqs = cloud.client("sqs")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"jobId": "j-slow"}))

    from labkit.jobs import while_working

    polled = []

    def meanwhile() -> None:
        """The first 61 s of the job go by, and the poller (another poller, on AWS) looks at the queue."""
        if not polled:
            cloud.clock.advance(61)
            polled.append(cloud.run_until_idle())

    with while_working(meanwhile):
        cloud.run_until_idle()
    renders = [line for line in worker.logs() if line.startswith("RENDER j-slow")]
    skipped = [line for line in worker.logs() if line.startswith("이미 실행 중이거나 끝난 작업")]
    item = table.get_item(TableName="lab06-jobs", Key={"id": {"S": "j-slow"}})["Item"]
    assert len(renders) == 1 and item["status"]["S"] == "SUCCEEDED" and item["attempts"]["N"] == "1"
    assert len(cloud.sqs_poller.deliveries) >= 2 and skipped  # the message came twice, the job ran once


def test_spend_moves_the_lab_clock_and_says_in_korean_when_no_cloud_runs():
    from labkit.cloud import local_cloud
    from labkit.jobs import spend, while_working

    with pytest.raises(RuntimeError, match="오프라인 클라우드"):
        spend(5)
    with local_cloud() as cloud:
        before, started = cloud.clock.now(), time.perf_counter()
        calls = []
        with while_working(lambda: calls.append(cloud.clock.now())):
            spend(600)
        assert cloud.clock.now() - before >= 600 and time.perf_counter() - started < 5
        assert calls and calls[0] - before < 5  # the watcher ran before the clock moved
        spend(1)
        assert len(calls) == 1  # outside the block it is not called


def test_callback_receiver_answers_with_the_status_its_function_returns_and_500_on_an_exception():
    from labkit.webhooks import CallbackReceiver

    def on_message(headers: dict, body: str) -> int:
        if body == "boom":
            raise ValueError("잘못된 본문")
        return 204 if headers.get("x-amz-sns-message-type") == "Notification" else 200

    with CallbackReceiver(on_message) as receiver:
        assert receiver.url.startswith("http://127.0.0.1:")
        assert requests.post(f"{receiver.url}/a", data="x", headers={"X-Amz-Sns-Message-Type": "Notification"}).status_code == 204
        assert requests.post(receiver.url, data="boom").status_code == 500
        assert [(d.path, d.status) for d in receiver.requests] == [("/a", 204), ("/", 500)]
        assert receiver.requests[1].error == "ValueError: 잘못된 본문"
        port = int(receiver.url.rsplit(":", 1)[1])
    receiver.stop()  # a second stop is harmless
    assert not listening(port)
