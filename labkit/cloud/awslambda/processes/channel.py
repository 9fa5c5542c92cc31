"""The parent's end of a worker process's socket: the bootstrap's frames, read with a deadline.

The frame codec is the bootstrap's (`encode_frame`, `take_frame`), so both ends share one.
"""

from __future__ import annotations

import collections
import math
import os
import select
import socket
import time
from typing import TYPE_CHECKING, Any, Callable

from ..bootstrap.labkit_bootstrap import encode_frame, take_frame

if TYPE_CHECKING:
    from ..inprocess import Capture

__all__ = ["SPIN_SECONDS", "WorkerChannel", "WorkerGone", "WorkerTimeout"]

SPIN_SECONDS = 0.0002  # how long recv() polls before it blocks (see WorkerChannel.recv)


class WorkerGone(Exception):
    """The worker process closed its socket (it exited or crashed)."""


class WorkerTimeout(Exception):
    """No answer from the worker before the deadline."""


class WorkerChannel:
    """The parent's end of a worker's socket: framed `marshal` messages, reads with a deadline.

    With `fds=True` reads also collect file descriptors passed as SCM_RIGHTS (a plain read
    would drop them), in arrival order, in `self.fds`: the zygote's channel carries spares.
    """

    def __init__(self, sock: socket.socket, *, fds: bool = False) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.buffer = bytearray()
        self._poll = select.poll()
        self._poll.register(self.fd, select.POLLIN)
        self._chunk = bytearray(1 << 16)  # reused: a fresh 256 KiB bytes per read costs µs
        self.fds: collections.deque[int] | None = collections.deque() if fds else None

    def send(self, message: tuple) -> None:
        try:
            self.sock.sendall(encode_frame(message))
        except OSError as exc:  # EPIPE / ECONNRESET: the process has gone
            raise WorkerGone() from exc

    def send_with_fds(self, message: tuple, fds: list[int]) -> None:
        socket.send_fds(self.sock, [encode_frame(message)], fds)

    def recv(self, deadline: float | None) -> tuple:
        """The next frame; raises WorkerTimeout at `deadline` (monotonic), WorkerGone on EOF."""
        spin_until = None
        buffer = self.buffer
        while True:
            message = take_frame(buffer)
            if message is not None:
                return message
            if spin_until is None:
                spin_until = time.perf_counter() + SPIN_SECONDS
            if time.perf_counter() < spin_until:
                # A warm worker usually answers within tens of µs: polling for a moment saves
                # the scheduler's wake-up of a blocked parent, a large part of the round trip.
                if self._poll.poll(0):
                    self._read()
                continue
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._poll.poll(math.ceil(remaining * 1000)):
                    if deadline - time.monotonic() <= 0:
                        raise WorkerTimeout()
                    continue
            self._read()

    def recv_until(self, tag: str, deadline: float | None, capture: "Capture", other: Callable[[tuple], None] | None = None) -> tuple:
        """The next frame tagged `tag` ("ready", "done"); the "log" frames before it go to
        `capture`, any other frame to `other` (or nowhere). Raises as `recv` does."""
        events = capture.events
        while True:
            frame = self.recv(deadline)
            kind = frame[0]
            if kind == tag:
                return frame
            if kind == "log":
                events.append((frame[1], frame[2]))
            elif other is not None:
                other(frame)

    def _read(self) -> None:
        """One read from the socket into the buffer; WorkerGone on EOF."""
        try:
            if self.fds is None:
                count = os.readv(self.fd, [self._chunk])
                data: Any = self._chunk[:count] if count < len(self._chunk) else self._chunk
            else:
                data, fds, _, _ = socket.recv_fds(self.sock, len(self._chunk), 8)
                self.fds.extend(fds)
                count = len(data)
        except OSError as exc:
            raise WorkerGone() from exc
        if not count:
            raise WorkerGone()
        self.buffer += data

    def poll_frame(self) -> tuple | None:
        """A frame that has already arrived, or None: never waits."""
        while True:
            message = take_frame(self.buffer)
            if message is not None:
                return message
            if not self._poll.poll(0):
                return None
            self._read()

    def close(self) -> None:
        if self.fds:
            for fd in self.fds:
                os.close(fd)
            self.fds.clear()
        self.sock.close()
