"""The runtime's CloudWatch Logs writing: a lab that deletes a function's log group or log stream
gets it back at the next invocation, as Lambda does (`LogWriter.write`'s recovery path, which the
warm path skips while the stream exists)."""

from __future__ import annotations

from labkit.cloud import LocalCloud

APP = """
def handler(event, context):
    print("hello from", context.aws_request_id)
    return {"ok": True}
"""


def _invocation_lines(cloud: LocalCloud, name: str, request_id: str) -> list[str]:
    lines = cloud.logs(name)
    return [line for line in lines if request_id in line]


def test_deleted_log_group_and_stream_come_back_at_the_next_invoke(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=APP), name="logged")
    first = fn.invoke()
    logs = cloud.client("logs")
    (stream,) = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/aws/lambda/logged")["logStreams"]]

    logs.delete_log_stream(logGroupName="/aws/lambda/logged", logStreamName=stream)
    second = fn.invoke()
    assert not second.cold_start and second.ok
    assert [line.split(" RequestId")[0].split()[0] for line in cloud.logs("logged")] == ["START", "hello", "END", "REPORT"]
    assert len(_invocation_lines(cloud, "logged", second.request_id)) == 4
    assert not _invocation_lines(cloud, "logged", first.request_id)  # went with the deleted stream

    logs.delete_log_group(logGroupName="/aws/lambda/logged")
    third = fn.invoke()
    assert third.ok
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/logged")["logStreams"]
    assert [s["logStreamName"] for s in streams] == [stream]  # the same instance, the same stream name
    lines = cloud.logs("logged")
    assert lines[0] == f"START RequestId: {third.request_id} Version: $LATEST"
    assert lines[1] == f"hello from {third.request_id}"
    assert lines[-1].startswith(f"REPORT RequestId: {third.request_id}\t")
