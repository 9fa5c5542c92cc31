"""DynamoDB on the offline cloud is atomic under threads, as DynamoDB is (labkit/cloud/dynamodb.py)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest


@pytest.fixture(scope="module")
def cloud():
    from labkit.cloud import local_cloud

    with local_cloud() as running:
        running.client("dynamodb").create_table(
            TableName="single", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}, {"AttributeName": "SK", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}])
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
