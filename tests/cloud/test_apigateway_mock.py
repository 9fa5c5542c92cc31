"""A REST API's MOCK integration made with boto3 answers from its integration response, over real HTTP."""

from __future__ import annotations

import requests

from labkit.cloud import LocalCloud


def test_mock_integration_answers_with_the_selected_integration_response(cloud: LocalCloud) -> None:
    apig = cloud.client("apigateway")
    api = apig.create_rest_api(name="mock")["id"]
    root = apig.get_resources(restApiId=api)["items"][0]["id"]
    health = apig.create_resource(restApiId=api, parentId=root, pathPart="health")["id"]
    gone = apig.create_resource(restApiId=api, parentId=root, pathPart="gone")["id"]
    for resource, status in ((health, 200), (gone, 410)):
        method = {"restApiId": api, "resourceId": resource, "httpMethod": "GET"}
        apig.put_method(**method, authorizationType="NONE")
        apig.put_integration(**method, type="MOCK", requestTemplates={"application/json": f'{{"statusCode": {status}}}'})
        apig.put_integration_response(**method, statusCode="200", responseTemplates={"application/json": '{"ok": true}'},
                                      responseParameters={"method.response.header.X-Mock": "'yes'"})
        apig.put_integration_response(**method, statusCode="410", selectionPattern="4\\d\\d", responseTemplates={"application/json": ""})
    apig.create_deployment(restApiId=api, stageName="dev")
    base = cloud.serve_api(api)

    ok = requests.get(f"{base}/health", timeout=30)
    assert (ok.status_code, ok.text, ok.headers["X-Mock"]) == (200, '{"ok": true}', "yes")
    assert ok.headers["Content-Type"] == "application/json"
    missing = requests.get(f"{base}/gone", timeout=30)  # the request template's 410 selects the 4\d\d response
    assert (missing.status_code, missing.content) == (410, b"")
    assert "X-Mock" not in missing.headers
