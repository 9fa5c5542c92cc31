"""lab03's finished API driven by curl, a client that is not the notebook, through `cloud.serve_api`.

The handler files the solution writes with `%%writefile` are taken from the notebook and deployed
as its cells deploy them (the REST API `lab03-users`, and `lab03-secure` behind the TOKEN
authorizer). curl then makes the requests the lab's checks make, and gets the same answers.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from grader.config import ROOT
from workshop.solution import write_handler_files

SOLUTION = ROOT / "solutions" / "lab03" / "lab03.ipynb"
ROUTES = ["POST /users", "GET /users", "GET /users/{id}", "PUT /users/{id}", "DELETE /users/{id}",
          "POST /users/{id}/orders", "GET /users/{id}/orders", "GET /me"]

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl이 없습니다")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(open base URL, base URL behind the authorizer, cloud) served over real HTTP on 127.0.0.1."""
    from labkit import eventsources as es
    from labkit import singletable
    from labkit.cloud import local_cloud

    folders = write_handler_files(SOLUTION, tmp_path_factory.mktemp("lab03-handlers"))
    assert {"db.py", "errors.py", "app.py", "users.py", "changes.py", "orders.py"} <= {p.name for p in folders["api"].iterdir()}
    with local_cloud() as cloud:
        singletable.create_table(cloud, "lab03-users")
        api = cloud.deploy(str(folders["api"]), name="lab03-api", timeout=10,
                           env={"TABLE_NAME": "lab03-users", "PAGE_SECRET": "curl-test"})
        auth = cloud.deploy(str(folders["authorizer"]), name="lab03-authorizer")
        es.rest_api(cloud, "lab03-users", api.arn, ROUTES)
        es.rest_api(cloud, "lab03-secure", api.arn, ROUTES)
        secure = singletable.rest_api_id(cloud, "lab03-secure")
        authorizer = cloud.client("apigateway").create_authorizer(
            restApiId=secure, name="lab03-token", type="TOKEN", identitySource="method.request.header.Authorization",
            authorizerUri=f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{auth.arn}/invocations",
            authorizerResultTtlInSeconds=0)["id"]
        assert singletable.guard_methods(cloud, secure, authorizer) == len(ROUTES)
        yield (cloud.serve_api(singletable.rest_api_id(cloud, "lab03-users"), "dev"), cloud.serve_api(secure, "dev"), cloud)


def curl(method: str, url: str, payload: object = None, headers: dict[str, str] | None = None) -> tuple[int, dict, object]:
    """One request with the curl program: (status, lower-cased headers, JSON body or None)."""
    command = ["curl", "-s", "-i", "-X", method, url, "--max-time", "30"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if payload is not None:
        command += ["-H", "Content-Type: application/json",
                    "--data-binary", payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)]
    raw = subprocess.run(command, capture_output=True, check=True, timeout=60).stdout.decode("utf-8")
    head, _, text = raw.replace("\r\n", "\n").partition("\n\n")
    lines = head.splitlines()
    status = int(lines[0].split()[1])
    found = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    return status, {k.lower(): v for k, v in found.items()}, body


def korean(body: object) -> bool:
    return isinstance(body, dict) and bool(re.search("[가-힣]", str(body.get("message", ""))))


def test_curl_gets_the_lab_answers_for_users(served):
    base, _, _ = served
    status, headers, user = curl("POST", f"{base}/users", {"email": " Curl@Example.com ", "name": "터미널"},
                                 {"Origin": "https://shop.example.com"})
    assert status == 201 and set(user) == {"id", "email", "name", "version", "createdAt"}
    assert user["email"] == "curl@example.com" and user["name"] == "터미널" and user["version"] == 1
    assert headers["content-type"].startswith("application/json")
    assert headers["access-control-allow-origin"] == "https://shop.example.com"  # CORSConfig, as @middy/http-cors
    assert curl("GET", f"{base}/users/{user['id']}")[::2] == (200, user)
    assert curl("GET", f"{base}/users?email=CURL%40example.com")[::2] == (200, user)
    status, _, duplicate = curl("POST", f"{base}/users", {"email": "curl@example.com", "name": "둘째"})
    assert status == 409 and korean(duplicate)
    for bad in ['{"email": 7, "name": "x"}', "{not json", "[1, 2]", '{"email": "a@b.co"}']:
        status, _, answer = curl("POST", f"{base}/users", bad)
        assert status == 400 and korean(answer), bad
    status, _, missing = curl("GET", f"{base}/users/u-000000000000")
    assert status == 404 and korean(missing)
    # Optimistic locking, then delete: the e-mail is free again.
    status, _, renamed = curl("PUT", f"{base}/users/{user['id']}", {"name": "터미널2", "version": 1})
    assert status == 200 and renamed["version"] == 2
    assert curl("PUT", f"{base}/users/{user['id']}", {"name": "늦음", "version": 1})[0] == 409
    assert curl("PUT", f"{base}/users/u-000000000000", {"name": "없음", "version": 1})[0] == 404
    assert curl("DELETE", f"{base}/users/{user['id']}")[0] == 204
    assert curl("GET", f"{base}/users/{user['id']}")[0] == 404
    assert curl("POST", f"{base}/users", {"email": "curl@example.com", "name": "다시"})[0] == 201


def test_curl_pages_through_orders_and_a_tampered_token_gets_400(served):
    base, _, _ = served
    _, _, user = curl("POST", f"{base}/users", {"email": "pages@example.com", "name": "주문"})
    made = [curl("POST", f"{base}/users/{user['id']}/orders", {"total": 1000 * n, "createdAt": f"2026-11-0{n}T09:00:00Z"})[2]
            for n in range(1, 6)]
    newest_first = sorted((o["createdAt"], o["orderId"]) for o in made)[::-1]
    seen, token = [], None
    for _ in range(5):
        status, _, page = curl("GET", f"{base}/users/{user['id']}/orders?limit=2" + (f"&next={token}" if token else ""))
        assert status == 200 and len(page["orders"]) <= 2
        seen += [(o["createdAt"], o["orderId"]) for o in page["orders"]]
        token = page["next"]
        if not token:
            break
    assert seen == newest_first
    _, _, first = curl("GET", f"{base}/users/{user['id']}/orders?limit=2")
    tampered = first["next"][:-3] + ("A" if first["next"][-3] != "A" else "B") + first["next"][-2:]
    for bad in [tampered, "garbage", first["next"][:8]]:
        status, _, answer = curl("GET", f"{base}/users/{user['id']}/orders?next={bad}")
        assert status == 400 and korean(answer), bad
    assert curl("GET", f"{base}/users/{user['id']}/orders?limit=0")[0] == 400


def test_curl_behind_the_authorizer_is_refused_before_the_function_runs(served):
    _, secure, cloud = served
    before = len(cloud.reports("lab03-api"))
    assert curl("GET", f"{secure}/me")[0] == 401                                          # no header: not even the authorizer
    assert curl("GET", f"{secure}/me", headers={"Authorization": "Bearer nobody"})[0] == 401  # raise Exception("Unauthorized")
    assert curl("GET", f"{secure}/me", headers={"Authorization": "Bearer token-revoked"})[0] == 403  # Deny
    assert len(cloud.reports("lab03-api")) == before
    status, _, me = curl("GET", f"{secure}/me", headers={"Authorization": "Bearer token-kim"})
    assert (status, me) == (200, {"userId": "u-kim", "scope": "orders:read"})             # the authorizer's context
    assert curl("GET", f"{secure}/users/u-000000000000", headers={"Authorization": "Bearer token-lee"})[0] == 404
