"""lab03's single-table design on the offline cloud: the table, the DynamoDB calls a request made,
and the REST API methods an authorizer guards.

- `create_table`: the table the seed's serverless.yml declares (`PK`/`SK`, index `GSI1` on
  `GSI1PK`/`GSI1SK`, on-demand).
- `recorded_calls`: every DynamoDB call that reached the offline cloud while the block ran, read
  from moto's own request recorder (`moto.moto_api.recorder`), so a check sees what the handler
  really asked DynamoDB (Query on GSI1, or a Scan) without reading its source.
- `guard_methods`: puts a Lambda authorizer in front of every method of a REST API (moto has no
  `UpdateMethod`, so each method is put again with its integration).

The lock that makes moto's DynamoDB transactions atomic under threads, which lab03's race
check stands on, is part of the offline cloud (`labkit/cloud/dynamodb.py`).
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DynamoCall", "create_table", "recorded_calls", "guard_methods", "rest_api_id"]

_TARGET_PREFIX = "DynamoDB_20120810."
def create_table(cloud: Any, name: str) -> dict:
    """Create the single table (once) with string keys PK/SK and GSI1 (GSI1PK/GSI1SK, all attributes)."""
    ddb = cloud.client("dynamodb")
    try:
        return ddb.describe_table(TableName=name)["Table"]
    except ddb.exceptions.ResourceNotFoundException:
        pass
    return ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("PK", "SK", "GSI1PK", "GSI1SK")],
        GlobalSecondaryIndexes=[{
            "IndexName": "GSI1",
            "KeySchema": [{"AttributeName": "GSI1PK", "KeyType": "HASH"}, {"AttributeName": "GSI1SK", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
    )["TableDescription"]


@dataclass(frozen=True)
class DynamoCall:
    """One DynamoDB API call as DynamoDB received it."""

    operation: str               # "GetItem", "Query", "Scan", "TransactWriteItems", ...
    tables: tuple[str, ...]      # the tables it touched (several for a transaction)
    index: str | None            # IndexName of a Query or Scan, else None
    request: dict                # the request's JSON body

    @property
    def served_by(self) -> str:
        """"Scan", or the key that answered: "table" or the index name."""
        return "Scan" if self.operation == "Scan" else (self.index or "table")

    def __str__(self) -> str:
        return f"{self.operation}({self.index})" if self.index else self.operation


def _tables_of(operation: str, body: dict) -> tuple[str, ...]:
    if "TableName" in body:
        return (body["TableName"],)
    if operation.startswith("Transact"):
        return tuple(op.get("TableName", "") for item in body.get("TransactItems", []) for op in item.values())
    return tuple(body.get("RequestItems", {}))  # BatchGetItem, BatchWriteItem


def _parse(entry: dict) -> DynamoCall | None:
    target = {k.lower(): v for k, v in entry.get("headers", {}).items()}.get("x-amz-target", "")
    if not target.startswith(_TARGET_PREFIX):
        return None
    raw = entry.get("body") or ""
    text = base64.b64decode(raw).decode("utf-8") if entry.get("body_encoded") else raw
    body = json.loads(text or "{}")
    operation = target[len(_TARGET_PREFIX):]
    return DynamoCall(operation, _tables_of(operation, body), body.get("IndexName"), body)


@contextmanager
def recorded_calls(table: str) -> Iterator[list[DynamoCall]]:
    """Record the DynamoDB calls on `table` made while the block runs; the list fills when it ends.

    Every caller's calls are recorded (the handler's and this process's own), so keep other
    DynamoDB calls on the table out of the block.
    """
    from moto.moto_api import recorder

    calls: list[DynamoCall] = []
    with tempfile.TemporaryDirectory(prefix="labkit-ddb-") as folder:
        path = Path(folder, "requests.jsonl")
        saved = recorder._location  # moto reads the file's path from here (MOTO_RECORDER_FILEPATH at import)
        recorder._location = str(path)
        recorder.reset_recording()
        recorder.start_recording()
        try:
            yield calls
        finally:
            recorder.stop_recording()
            recorder._location = saved
            lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            for line in lines:
                call = _parse(json.loads(line))
                if call is not None and table in call.tables:
                    calls.append(call)


def rest_api_id(cloud: Any, name: str) -> str:
    """The id of the REST API called `name`."""
    for api in cloud.client("apigateway").get_rest_apis()["items"]:
        if api["name"] == name:
            return api["id"]
    raise LookupError(f"이름이 {name}인 REST API가 없습니다. API를 만드는 배포 셀을 먼저 실행하십시오.")


def guard_methods(cloud: Any, api_id: str, authorizer_id: str, stage: str = "dev") -> int:
    """Make every method of the REST API use the authorizer (authorizationType CUSTOM), redeploy the
    stage, and return how many methods it guards. Each method keeps its integration."""
    apig = cloud.client("apigateway")
    guarded = 0
    for resource in apig.get_resources(restApiId=api_id)["items"]:
        for method in resource.get("resourceMethods", {}):
            target = {"restApiId": api_id, "resourceId": resource["id"], "httpMethod": method}
            integration = apig.get_integration(**target)
            apig.put_method(**target, authorizationType="CUSTOM", authorizerId=authorizer_id)
            apig.put_integration(**target, type=integration["type"], uri=integration["uri"],
                                 integrationHttpMethod=integration.get("httpMethod", "POST"))
            guarded += 1
    apig.create_deployment(restApiId=api_id, stageName=stage)
    return guarded
