"""A DynamoDB stream record with binary attributes reaches Lambda as AWS sends it: base64 text.

DynamoDB's JSON (and so Lambda's stream event) carries B and BS values as base64 strings, at the
top level and inside maps and lists. moto keeps them as bytes, which stopped the stream poller
with "Object of type bytes is not JSON serializable" before any handler ran.
"""

from __future__ import annotations

import base64
import json

from labkit.cloud import LocalCloud

RECORDER = """
import json
def handler(event, context):
    print("SEEN " + json.dumps(event))
"""


def test_binary_attributes_arrive_base64_encoded_at_every_depth(cloud: LocalCloud, code_dir) -> None:
    ddb = cloud.client("dynamodb")
    ddb.create_table(TableName="files", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "B"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    stream = ddb.describe_table(TableName="files")["Table"]["LatestStreamArn"]
    cloud.deploy(code_dir(app=RECORDER), name="recorder", handler="app.handler")
    cloud.client("lambda").create_event_source_mapping(EventSourceArn=stream, FunctionName="recorder",
                                                       StartingPosition="TRIM_HORIZON")
    key = {"id": {"B": b"\x00\x01"}}
    ddb.put_item(TableName="files", Item={**key, "data": {"B": b"\x00\xff"}, "parts": {"BS": [b"\x01", b"\x02"]},
                                          "meta": {"M": {"thumb": {"B": b"\xfe"}, "list": {"L": [{"B": b"\x7f"}]}}}})
    ddb.update_item(TableName="files", Key=key, UpdateExpression="SET #d = :b",
                    ExpressionAttributeNames={"#d": "data"}, ExpressionAttributeValues={":b": {"B": b"\x10"}})
    cloud.run_until_idle()

    seen = [json.loads(line[5:]) for line in cloud.logs("recorder") if line.startswith("SEEN ")]
    records = [r for event in seen for r in event["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    insert, modify = records[0]["dynamodb"], records[1]["dynamodb"]
    assert insert["Keys"] == {"id": {"B": b64(b"\x00\x01")}}
    assert insert["NewImage"]["data"] == {"B": b64(b"\x00\xff")}
    assert sorted(insert["NewImage"]["parts"]["BS"]) == [b64(b"\x01"), b64(b"\x02")]
    assert insert["NewImage"]["meta"] == {"M": {"thumb": {"B": b64(b"\xfe")}, "list": {"L": [{"B": b64(b"\x7f")}]}}}
    assert modify["OldImage"]["data"] == {"B": b64(b"\x00\xff")} and modify["NewImage"]["data"] == {"B": b64(b"\x10")}
