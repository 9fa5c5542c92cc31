"""Warm kernels: one server per worker forks each submission's kernel with the heavy imports done.

A cold kernel pays for Python, ipykernel, IPython, boto3 and moto on every submission (about
0.7 s of CPU, most of a lab00 submission once its own cells are light). `zygote.py` runs
inside the worker's bubblewrap sandbox, imports those once and forks a kernel per submission
into a sandbox of its own (fresh namespaces, `/tmp`, limits; see its docstring), so the
guarantees of a cold bwrap kernel hold: no network, a private working copy, time, memory and
output limits, nothing of the course, the gradebook or another submission in sight.

Used only for the bwrap backend in batch workers. Anything unexpected (no user namespaces in
the sandbox, a server that died) turns it off for the worker, which starts cold kernels as
before; set GRADER_WARM_KERNELS=0 to never use it.

Imports only `policy` (the kernel manager in `kernel` imports this module, never the reverse).
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .policy import Sandbox, die_with_parent, give, readonly_paths

ZYGOTE_SOURCE = (Path(__file__).with_name("zygote.py")).read_text(encoding="utf-8")
START_TIMEOUT = 60


class ForkServerError(RuntimeError):
    """The warm-kernel server cannot give a kernel; the caller starts a cold one."""


def enabled() -> bool:
    return os.environ.get("GRADER_WARM_KERNELS", "1") != "0"


class ForkedKernel:
    """What jupyter_client's provisioner needs of a `Popen`, for a kernel forked by the server.

    The kernel's reaper and its parent hold the write end of a pipe: end of file on it means
    everything of the submission has exited.
    """

    stdin = stdout = stderr = None

    def __init__(self, server: ForkServer, pid: int, status_fd: int):
        self.server, self.pid, self._status, self.returncode = server, pid, status_fd, None
        self._data = b""
        self.cpu_seconds: float | None = None  # the kernel's, when it ended by itself

    def poll(self) -> int | None:
        while self.returncode is None and select.select([self._status], [], [], 0)[0]:
            chunk = os.read(self._status, 64)
            if chunk:
                self._data += chunk
                continue
            os.close(self._status)
            code, _, cpu = self._data.decode("ascii", "replace").partition(" ")
            self.returncode = int(code) if code.lstrip("-").isdigit() else -signal.SIGKILL
            self.cpu_seconds = float(cpu) if cpu.replace(".", "", 1).isdigit() else None
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("forked kernel", timeout)
            select.select([self._status], [], [], 0.05)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        # Interrupts go as messages (SandboxedKernelManager); any other signal ends the kernel.
        if self.poll() is None and signum != signal.SIGINT:
            self.server.kill(self.pid)
            # Usually gone within milliseconds: wait here rather than in the provisioner's
            # 0.1 s polling loop.
            try:
                self.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    terminate = kill


class ForkServer:
    """The trusted side of one `zygote.py` process."""

    def __init__(self, box: Sandbox):
        self.box = box
        self.usable = True
        self.slot = Path(tempfile.mkdtemp(prefix="grader-warm-"))
        os.chmod(self.slot, 0o711)
        give(self.slot, box.uid)
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        inner = [sys.executable, "-c", ZYGOTE_SOURCE, str(theirs.fileno())]
        # A session of its own, as jupyter_client gives a cold kernel: a Ctrl-C or a closed terminal
        # reaches the grader (which stops between grades), never a kernel half-way through a check.
        # The server stays the sandbox's uid 0 with the capabilities to build each kernel's
        # namespaces; each kernel drops to `box.uid` (grading as root) and loses them all.
        server_box = Sandbox(box.backend, box.limits, uid=None, hide=box.hide)
        caps = ["CAP_SYS_ADMIN", "CAP_SETPCAP"] + (["CAP_SETUID", "CAP_SETGID"] if box.uid is not None else [])
        cmd = server_box.bwrap_command(inner, [self.slot], self.slot)
        cmd[1:1] = [arg for cap in caps for arg in ("--cap-add", cap)]
        self._log = open(self.slot.parent / f"{self.slot.name}.log", "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
                                     env=box.env(self.slot), cwd=self.slot, pass_fds=(theirs.fileno(),),
                                     preexec_fn=die_with_parent, start_new_session=True)
        theirs.close()
        self._ready = False

    def ready(self) -> None:
        """Wait for the server's imports to finish; raise ForkServerError if it could not start."""
        if not self._ready:
            self._sock.settimeout(START_TIMEOUT)
            hello = self._recv()
            if not hello.get("ok"):
                raise ForkServerError(hello.get("error", "warm-kernel server failed"))
            self._ready = True

    def _request(self, req: dict, fds: list[int] = (), timeout: float = 30) -> dict:
        self.ready()
        self._sock.settimeout(timeout)
        try:
            socket.send_fds(self._sock, [json.dumps(req).encode()], list(fds))
        except OSError as exc:
            raise ForkServerError(f"warm-kernel server gone: {exc}") from None
        reply = self._recv()
        if not reply.get("ok"):
            raise ForkServerError(reply.get("error", "warm-kernel server refused"))
        return reply

    def _recv(self) -> dict:
        try:
            msg = self._sock.recv(1 << 16)
        except OSError as exc:
            raise ForkServerError(f"warm-kernel server did not answer: {exc}") from None
        if not msg:
            raise ForkServerError("warm-kernel server exited")
        return json.loads(msg)

    def spawn(self, box: Sandbox, argv: list[str], cwd: Path, env: dict[str, str], binds: list[Path],
              stderr_fd: int) -> ForkedKernel:
        """Fork a kernel running `python -m ipykernel_launcher <argv>` in `cwd` under `box`'s limits.

        Of the worker's files only `binds` (the kernel's working and socket folders) are visible.
        """
        status_r, status_w = os.pipe()
        # The kernel's fresh /tmp would cover a course (and its venv) checked out under /tmp, as
        # CI does: those read-only folders are bound again on top of it.
        under_tmp = [str(p) for p in readonly_paths() if Path("/tmp") in p.parents]
        req = {"op": "spawn", "argv": argv, "cwd": str(cwd), "env": env, "binds": [str(b) for b in binds],
               "ro_binds": under_tmp,
               "rlimits": box.rlimits(), "tmp_bytes": box.limits.tmp_mb * 2**20, "uid": box.uid}
        try:
            reply = self._request(req, [stderr_fd, status_w])
        except Exception:
            os.close(status_r)
            raise
        finally:
            os.close(status_w)
        return ForkedKernel(self, reply["pid"], status_r)

    def kill(self, pid: int) -> None:
        try:
            self._request({"op": "kill", "pid": pid})
        except ForkServerError:
            self.close()  # the server is gone, and every kernel it forked with it

    def close(self) -> None:
        """Stop the server (its kernels die with it); this worker starts cold kernels from now on."""
        self.usable = False
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._sock.close()
        self._log.close()  # the slot folder stays: a cold kernel may be starting in it (batch clean-up removes it)


_servers: dict[tuple, ForkServer] = {}


def server_for(box: Sandbox) -> ForkServer | None:
    """This process's server for `box`'s uid and /tmp size, started on first use; None when off."""
    if box.backend != "bwrap" or not enabled():
        return None
    key = (box.uid, box.limits.tmp_mb, tempfile.gettempdir())
    server = _servers.get(key)
    if server is None:
        try:
            server = _servers[key] = ForkServer(box)
        except OSError as exc:
            print(f"[채점기] 미리 띄운 커널을 쓸 수 없어 보통 커널을 씁니다: {exc}", file=sys.stderr)
            return None
    return server if server.usable else None
