"""A REST API's MOCK integration: API Gateway answers from the integration itself, no backend.

What the Serverless Framework's `cors: true` (and the console's "Enable CORS") generate for the
OPTIONS method: a request template `{"statusCode": 200}` picks the integration status; the
integration response whose `selectionPattern` matches it (else the one without a pattern) gives
the method's status, its headers from `responseParameters` (`method.response.header.X` = `'literal'`)
and its body from `responseTemplates` (empty for CORS). Templates are not evaluated as VTL: a
literal template is the body as written.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .models import ApiRequest, ApiResponse, header, json_response

__all__ = ["mock_response"]

_STATUS = re.compile(r"[\"']?statusCode[\"']?\s*:\s*[\"']?(\d{3})")
_HEADER = "method.response.header."


def mock_response(integration: Any, request: ApiRequest) -> ApiResponse:
    """The answer of a MOCK integration to one request."""
    status = _integration_status(integration.request_templates or {}, header(request.headers, "content-type"))
    chosen = _integration_response(integration.integration_responses or {}, status)
    if chosen is None:  # API Gateway finds no integration response to map: a configuration error
        return json_response(500, {"message": "Internal server error"})
    headers = [("Content-Type", "application/json")]
    for name, value in (chosen.response_parameters or {}).items():
        if name.startswith(_HEADER) and isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == "'":
            headers.append((name[len(_HEADER):], value[1:-1]))
    templates = chosen.response_templates or {}
    body = templates.get("application/json") if "application/json" in templates else next(iter(templates.values()), None)
    return ApiResponse(int(chosen.status_code), headers, (body or "").encode())


def _integration_status(templates: dict[str, Any], content_type: str | None) -> int:
    """The status a MOCK integration's request template sets (`{"statusCode": 200}`); 200 without one."""
    kind = (content_type or "application/json").split(";")[0].strip().lower()
    template = templates.get(kind, templates.get("application/json"))
    if template is None and templates:
        template = next(iter(templates.values()))
    if isinstance(template, dict):
        template = json.dumps(template)
    match = _STATUS.search(str(template or ""))
    return int(match.group(1)) if match else 200


def _integration_response(responses: dict[str, Any], status: int) -> Any:
    """The integration response a status selects: a matching selectionPattern, else the default one."""
    default = None
    for response in responses.values():
        pattern = response.selection_pattern
        if not pattern:
            default = default or response
        elif re.fullmatch(pattern, str(status)):
            return response
    return default
