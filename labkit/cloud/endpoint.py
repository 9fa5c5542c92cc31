"""The moto endpoint that handler processes talk to (subprocess and snapshot isolation).

A handler running in its own process cannot use the notebook's in-process `mock_aws`. moto's
server, started in the notebook process, answers from the same in-memory backends, so a child
pointed at it with `AWS_ENDPOINT_URL` reads and changes exactly the state the notebook sees.
This is moto's own server app on werkzeug, with three changes that matter here:

- it listens on 127.0.0.1 and a free port, so it is reachable from this machine only;
- accepted connections get TCP_NODELAY: werkzeug writes the headers and the body of a response
  in separate sends, and with Nagle's algorithm and the client's delayed ACK every keep-alive
  request would wait ~40 ms (measured: 113 µs with it, ~44 ms without);
- it does not log every request (werkzeug would, through the root logger).

Children get fake credentials and this endpoint only (see `child_environment`), never a real
AWS endpoint.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

from .core.credentials import fake_aws_environment
from .moto.registry import MotoName

__all__ = ["MotoEndpoint"]


def _request_handler() -> type:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietNoDelayHandler(MotoRequestHandler):
        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            return None

        def log(self, type: str, message: str, *args: Any) -> None:
            if type == "error":
                super().log(type, message, *args)

    return QuietNoDelayHandler


class MotoEndpoint:
    """moto's server app on 127.0.0.1:<free port>, in a daemon thread of this process."""

    def __init__(self) -> None:
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The endpoint URL, starting the server on first use."""
        self.start()
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        with self._lock:
            if self._server is not None:
                return
            from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
            from werkzeug.serving import make_server

            app = DomainDispatcherApplication(create_backend_app)
            self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_request_handler())
            self._thread = threading.Thread(target=self._server.serve_forever, name="labkit-moto-endpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            if self._server is None:
                return
            # serve_forever() looks at the shutdown flag only when its select() returns, every
            # 0.5 s when idle: connect to it while shutdown() waits, so stop() takes ms.
            address = self._server.server_address[:2]
            waiting = threading.Thread(target=self._server.shutdown, daemon=True)
            waiting.start()
            while waiting.is_alive():
                try:
                    socket.create_connection(address, timeout=0.2).close()
                except OSError:
                    pass
                waiting.join(0.005)
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
            self._thread = None

    def child_environment(self, region: str) -> dict[str, str]:
        """What a handler process needs to reach this endpoint, with fake credentials only."""
        return {"AWS_ENDPOINT_URL": self.url, **fake_aws_environment(region)}


# moto's private names this module reads: the moto server's WSGI app and request handler.
PATCHES = (
    MotoName("moto.moto_server.werkzeug_app", "DomainDispatcherApplication", "(create_app)"),
    MotoName("moto.moto_server.werkzeug_app", "create_backend_app", "(service)"),
    MotoName("moto.moto_server.werkzeug_app", "MotoRequestHandler", "(request, client_address, server)"),
)
