"""A webhook receiver on this computer: the HTTP endpoint an SNS HTTP subscription posts to.

`CallbackReceiver(on_message)` serves HTTP on 127.0.0.1 on a free port, in a background thread,
and hands every POST to `on_message(headers, body)`; what that returns (an HTTP status) is the
answer SNS gets. The headers are a dict with lower-case names (`x-amz-sns-message-type`, ...), the
body the request's text. Use it as a context manager, or call `stop()`: the server stops and its
port is freed. Every request is kept in `requests` for the lab's checks.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

__all__ = ["CallbackReceiver", "Delivery"]


@dataclass
class Delivery:
    """One POST the receiver got, and the status it answered."""

    path: str
    headers: dict[str, str]
    body: str
    status: int
    error: str | None = None


class CallbackReceiver:
    """An HTTP server on 127.0.0.1 calling `on_message(headers, body) -> status` for each POST."""

    def __init__(self, on_message: Callable[[dict[str, str], str], int], host: str = "127.0.0.1", port: int = 0) -> None:
        self.on_message = on_message
        self.requests: list[Delivery] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", errors="replace")
                headers = {name.lower(): value for name, value in self.headers.items()}
                error = None
                try:
                    status = int(receiver.on_message(headers, body) or 200)
                except Exception as exc:  # the receiver answers 500, as a web framework would
                    status, error = 500, f"{type(exc).__name__}: {exc}"
                receiver.requests.append(Delivery(self.path, headers, body, status, error))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:  # keep the notebook's output clean
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The receiver's base URL, e.g. http://127.0.0.1:40123."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop serving and free the port (calling it twice is harmless)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> "CallbackReceiver":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
