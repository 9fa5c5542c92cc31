"""labkit.singletable, which lab03 stands on: an atomic conditional transaction under threads, and the
record of the DynamoDB calls that reached the offline cloud."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest


@pytest.fixture(scope="module")
def cloud():
    from labkit import singletable
    from labkit.cloud import local_cloud

    with local_cloud() as running:
        singletable.create_table(running, "single")
        singletable.create_table(running, "other")
        yield running


def test_concurrent_transactions_on_one_uniqueness_item_let_exactly_one_through_and_lose_no_write(cloud):
    # moto 5.2.5 alone: a cancelled transaction restores its deep copy of the table, erasing what
    # another thread wrote meanwhile, or raises "dictionary changed size during iteration".
    ddb = cloud.client("dynamodb")
    errors = ddb.exceptions
    pool = ThreadPoolExecutor(4)
    winners = 0
    for round_ in range(25):
        start = threading.Barrier(4)

        def sign_up(n: int, round_: int = round_, start: threading.Barrier = start) -> str:
            start.wait()
            try:
                ddb.transact_write_items(TransactItems=[
                    {"Put": {"TableName": "single", "Item": {"PK": {"S": f"USER#{round_}-{n}"}, "SK": {"S": "PROFILE"}},
                             "ConditionExpression": "attribute_not_exists(PK)"}},
                    {"Put": {"TableName": "single", "Item": {"PK": {"S": f"EMAIL#{round_}"}, "SK": {"S": f"EMAIL#{round_}"},
                                                             "userId": {"S": f"{round_}-{n}"}},
                             "ConditionExpression": "attribute_not_exists(PK)"}},
                ])
                return "won"
            except errors.TransactionCanceledException as exc:
                return str([r["Code"] for r in exc.response["CancellationReasons"]])

        answers = list(pool.map(sign_up, range(4)))
        assert answers.count("won") == 1, answers
        assert answers.count("['None', 'ConditionalCheckFailed']") == 3, answers
        winners += 1
    pool.shutdown()
    items = ddb.scan(TableName="single")["Items"]
    assert len(items) == 2 * winners  # every winner's profile and e-mail item survived the others' rollbacks


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
