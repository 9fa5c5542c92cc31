"""The two ways a request reaches `ApiGateway.handle`: over real HTTP, and from `requests` in-process.

- `serve()`: a real HTTP server on 127.0.0.1 that a browser or curl can reach (werkzeug's, as for
  the moto endpoint): bodies sent with Content-Length or chunked (`curl -T -`, `requests` with a
  generator) arrive whole, and a body over API Gateway's 10 MB quota is answered 413 without
  being read whole.
- `requests_callback()`: moto's `responses` mock routes every `requests` call to an execute-api
  URL here (moto's own router cannot invoke Lambda proxies and is switched off; patches.py
  registers the callback).
"""

from __future__ import annotations

import re
import threading
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from .models import ApiRequest, ApiResponse, json_response

__all__ = ["EXECUTE_API", "MAX_REQUEST_BYTES", "Handle", "serve", "requests_callback"]

EXECUTE_API = re.compile(r"https?://([A-Za-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(/[^?#]*)?(?:\?([^#]*))?")
# API Gateway's request payload quota (REST and HTTP APIs: 10 MB, not adjustable); over it the
# request never reaches the integration.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
_TOO_LARGE = (413, {"message": "Request Too Long"})

Handle = Callable[[str, ApiRequest], ApiResponse]  # ApiGateway.handle(api_id, request)


def serve(handle: Handle, api_id: str, port: int = 0) -> Any:
    """Start a threaded werkzeug server for one API on 127.0.0.1 (port 0: a free one); the caller shuts it down."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", port, _wsgi_app(handle, api_id), threaded=True, request_handler=_request_handler())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"api-{api_id}", daemon=True).start()
    return server


def requests_callback(handle: Handle) -> Callable[[Any], tuple[int, dict[str, str], bytes]]:
    """The `responses` callback for execute-api URLs: a prepared `requests` request in, its answer out."""

    def callback(prepared: Any) -> tuple[int, dict[str, str], bytes]:
        match = EXECUTE_API.match(str(prepared.url))
        if match is None:  # pragma: no cover - the URL pattern guarantees a match
            return 404, {}, b""
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode()
        request = ApiRequest(
            method=str(prepared.method), path=match.group(3) or "/", query=match.group(4) or "",
            headers=[(k, v) for k, v in prepared.headers.items()], body=body,
        )
        response = handle(match.group(1), request)
        headers: dict[str, str] = {}
        for name, value in response.headers:  # `responses` takes one value per header name
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return response.status, headers, response.body

    return callback


def _request_handler() -> type:
    """werkzeug's request handler, quiet, and keeping what WSGI loses: the request target as
    sent and the header names as the client spelled them (REST APIs pass them on so)."""
    from werkzeug.serving import WSGIRequestHandler

    class GatewayRequestHandler(WSGIRequestHandler):
        def make_environ(self) -> dict[str, Any]:
            environ = super().make_environ()
            environ["labkit.target"] = self.path
            environ["labkit.headers"] = list(self.headers.items())
            return environ

        def log_request(self, *args: Any, **kwargs: Any) -> None:  # no stderr noise in notebooks
            return None

        def log(self, type: str, message: str, *args: Any) -> None:
            if type == "error":
                super().log(type, message, *args)

    return GatewayRequestHandler


def _wsgi_app(handle: Handle, api_id: str) -> Callable[..., Any]:
    """The WSGI application of `serve`: one HTTP request in, `handle()`, its answer out."""
    from http import HTTPStatus

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = _read_body(environ)
        response = json_response(*_TOO_LARGE) if body is None else handle(api_id, _request(environ, body))
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        headers_out = [(n, v) for n, v in response.headers if n.lower() not in ("content-length", "connection")]
        headers_out.append(("Content-Length", str(len(response.body))))
        start_response(f"{response.status} {reason}".rstrip(), headers_out)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [response.body]

    return app


def _read_body(environ: dict[str, Any]) -> bytes | None:
    """The whole body (Content-Length or chunked: werkzeug de-chunks it); None over the quota,
    which is never read whole. A stream stops at its limit without an error, hence one byte more
    than the quota."""
    from werkzeug.exceptions import RequestEntityTooLarge
    from werkzeug.wsgi import get_input_stream

    try:
        body = get_input_stream(environ, max_content_length=MAX_REQUEST_BYTES + 1).read()
    except RequestEntityTooLarge:
        return None
    return None if len(body) > MAX_REQUEST_BYTES else body


def _request(environ: dict[str, Any], body: bytes) -> ApiRequest:
    headers = environ["labkit.headers"]
    if any(name.lower() == "transfer-encoding" for name, _ in headers):
        # API Gateway reads the whole body before it calls the integration: it passes a length,
        # not the client's framing.
        headers = [(n, v) for n, v in headers if n.lower() != "transfer-encoding"] + [("Content-Length", str(len(body)))]
    # http.server decodes the request line as Latin-1; a client that sends raw UTF-8 (curl with
    # a Korean query) gets its bytes percent-encoded, as a browser would.
    target = quote(environ["labkit.target"].encode("latin-1"), safe="/?&=%:+,;@!$'()*[]~#")
    split = urlsplit(target)
    return ApiRequest(environ["REQUEST_METHOD"], split.path or "/", split.query, headers, body, environ.get("REMOTE_ADDR", "127.0.0.1"))
