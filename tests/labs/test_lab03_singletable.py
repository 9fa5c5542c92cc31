"""labkit.singletable, which lab03 stands on: the record of the DynamoDB calls that reached the offline
cloud. (Atomic transactions under threads: tests/cloud/test_dynamodb_concurrency.py.)"""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def cloud():
    from labkit import singletable
    from labkit.cloud import local_cloud

    with local_cloud() as running:
        singletable.create_table(running, "single")
        singletable.create_table(running, "other")
        yield running


def test_recorded_calls_name_the_operation_and_index_of_each_call_on_the_table(cloud):
    from labkit import singletable

    ddb = cloud.client("dynamodb")
    with singletable.recorded_calls("single") as calls:
        ddb.get_item(TableName="single", Key={"PK": {"S": "USER#0-0"}, "SK": {"S": "PROFILE"}})
        ddb.query(TableName="single", IndexName="GSI1", KeyConditionExpression="GSI1PK = :e",
                  ExpressionAttributeValues={":e": {"S": "EMAIL#x"}})
        ddb.scan(TableName="single")
        ddb.scan(TableName="other")  # another table: not this record
        assert calls == []           # filled when the block ends
    assert [str(c) for c in calls] == ["GetItem", "Query(GSI1)", "Scan"]
    assert [c.served_by for c in calls] == ["table", "GSI1", "Scan"]
    assert calls[1].request["KeyConditionExpression"] == "GSI1PK = :e"
    # Outside a block nothing is recorded, and a transaction counts for each table it touches.
    with singletable.recorded_calls("other") as later:
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "other", "Item": {"PK": {"S": "a"}, "SK": {"S": "b"}}}}])
    assert [c.operation for c in later] == ["TransactWriteItems"] and later[0].tables == ("other",)
