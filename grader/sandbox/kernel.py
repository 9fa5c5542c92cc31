"""The Jupyter side of a sandboxed kernel: a kernel manager that starts it cold or warm.

`SandboxedKernelManager` copies the submission's files into a fresh folder, wraps the kernel
command in the `policy.Sandbox`, or asks the worker's warm server (`warm.ForkServer`) to fork
it, and talks to it over Unix sockets. `QuickReadyClient` waits for it without the idle 0.2 s.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Instance
from traitlets import Type as TypeTrait

from labkit.korean import josa

from .policy import Sandbox, die_with_parent, give
from .warm import ForkServer, ForkServerError

# nbgrader's bookkeeping in a submission folder: not the kernel's business.
NBGRADER_FILES = {"timestamp.txt", "submission_secret.txt"}


def start_failure(log: Path) -> str | None:
    """What a sandboxed kernel that died at start could not see, in Korean, from its stderr."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    patterns = [
        (r"bwrap: execvp ([^:\n]+): No such file or directory", "실행 파일 {0}"),
        (r"bwrap: Can't find source path ([^:\n]+)", "{0}"),
        (r"can't open file '([^'\n]+)'", "파일 {0}"),
        (r"No such file or directory: '([^'\n]+)'", "{0}"),
        (r"ModuleNotFoundError: No module named '([^'\n]+)'", "Python 모듈 {0}"),
    ]
    for pattern, what in patterns:
        match = re.search(pattern, text)
        if match:
            thing = what.format(match.group(1))
            return (f"[격리 환경] 커널이 시작하지 못했습니다: 격리 환경 안에서 {josa(thing, '이')} 보이지 않습니다. "
                    "격리 환경에는 시스템 폴더, Python, .venv, labkit만 보이고 /tmp는 새로 만든 빈 폴더입니다. "
                    "과정 폴더나 .venv가 심볼릭 링크를 거친다면 실제 경로(realpath)에서 실행하거나, "
                    "--sandbox none 으로 격리 없이 채점하십시오.")
    last = [l for l in text.splitlines() if l.strip()][-3:]
    if last:
        return "[격리 환경] 커널이 시작하지 못했습니다. 커널이 남긴 오류: " + " / ".join(last)[-400:]
    return None


def _copy_plain(src: Path, dst: Path) -> None:
    """Copy regular files and folders only: no notebooks, no symlinks, no sockets or devices."""
    for item in src.iterdir():
        if item.is_symlink() or item.suffix == ".ipynb" or item.name in NBGRADER_FILES:
            continue
        if item.is_dir():
            (dst / item.name).mkdir()
            _copy_plain(item, dst / item.name)
        elif item.is_file():
            shutil.copyfile(item, dst / item.name)


class QuickReadyClient(AsyncKernelClient):
    """jupyter_client's async client, checking IOPub every 20 ms instead of 200 ms at start.

    `wait_for_ready` sends kernel_info and then waits up to 0.2 s for an IOPub message; the
    first one is usually published before the SUB socket has joined, so every kernel start
    lost 0.2 s idle. The same loop, with a shorter IOPub wait.
    """

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:
                        await self.iopub_channel.get_msg(timeout=0.02)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        return
            if not await self._async_is_alive():
                why = getattr(self.parent, "start_failure", lambda: None)()
                raise RuntimeError("Kernel died before replying to kernel_info" + (f"\n{why}" if why else ""))
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    wait_for_ready = _async_wait_for_ready


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts the kernel inside `sandbox`, talking over Unix sockets.

    The kernel's working folder is a fresh copy of the files nbgrader would run it in, minus
    every notebook: nbgrader's own copy there already holds the hidden tests.
    """

    sandbox = Instance(Sandbox, allow_none=True)
    warm = Instance(ForkServer, allow_none=True)  # this worker's warm-kernel server, or None for a cold kernel
    client_class = DottedObjectName("grader.sandbox.kernel.QuickReadyClient")
    client_factory = TypeTrait(QuickReadyClient, klass=AsyncKernelClient)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # A warm kernel's folders must be inside its server's slot, the only folder it can reach.
        self._box = Path(tempfile.mkdtemp(prefix="grader-kernel-", dir=self.warm.slot if self.warm else None))
        os.chmod(self._box, 0o711)
        self._sock = self._box / "sock"
        self._sock.mkdir()
        self.workdir = self._box / "work"
        self.workdir.mkdir()
        self.transport = "ipc"
        self.ip = str(self._sock / "k")
        self.connection_file = str(self._sock / "kernel.json")

    def start_failure(self) -> str | None:
        """Why the kernel could not start in its sandbox, in Korean (read from its stderr)."""
        log = getattr(self, "_log", None)
        if log:
            log.flush()
        return start_failure(self._box / "kernel.log")

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        box: Sandbox = self.sandbox
        source = kw.pop("cwd", None)
        if source:
            _copy_plain(Path(source), self.workdir)
        for path in (self._sock, self.workdir):
            os.chmod(path, 0o700)
            give(path, box.uid)
        for item in self.workdir.rglob("*"):
            give(item, box.uid)
        give(Path(self.connection_file), box.uid)
        kw["cwd"] = str(self.workdir)
        kw["env"] = box.env(self.workdir)
        self._log = open(self._box / "kernel.log", "wb")
        kw["stdout"] = subprocess.DEVNULL
        kw["stderr"] = self._log
        kw["stdin"] = subprocess.DEVNULL
        # Inside a PID namespace the kernel's parent is the namespace's init, which ipykernel
        # takes for "my parent died"; the sandbox dies with its parent anyway.
        kw["independent"] = True
        kw["preexec_fn"] = die_with_parent
        if self.warm is not None and self.warm.usable and kernel_cmd[:3] == [sys.executable, "-m", "ipykernel_launcher"]:
            try:
                proc = self.warm.spawn(box, kernel_cmd[3:], self.workdir, kw["env"], [self.workdir, self._sock],
                                       self._log.fileno())
            except ForkServerError as exc:
                self.warm.close()  # this worker starts cold kernels from now on
                print(f"[채점기] 미리 띄운 커널을 쓸 수 없어 보통 커널을 씁니다: {exc}", file=sys.stderr)
            else:
                self.provisioner.process, self.provisioner.pid, self.provisioner.pgid = proc, proc.pid, None
                self.provisioner.cwd = str(self.workdir)
                self._reconcile_connection_info(self.provisioner.connection_info)
                return
        await super()._async_launch_kernel(box.wrap(kernel_cmd, self.workdir, self._sock), **kw)

    async def _async_interrupt_kernel(self) -> None:
        # A signal would reach bubblewrap, not the kernel: ask the kernel itself.
        if self.has_kernel:
            msg = self.session.msg("interrupt_request", content={})
            self._connect_control_socket()
            self.session.send(self._control_socket, msg)

    interrupt_kernel = _async_interrupt_kernel

    async def _async_kill_kernel(self, restart: bool = False) -> None:
        pgid = None
        if self.provisioner is not None and getattr(self.provisioner, "pgid", None):
            pgid = self.provisioner.pgid
        try:
            await super()._async_kill_kernel(restart=restart)
        finally:
            if pgid:
                try:
                    os.killpg(pgid, signal.SIGKILL)  # whatever the kernel forked, too
                except (ProcessLookupError, PermissionError):
                    pass

    _kill_kernel = _async_kill_kernel

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        log = getattr(self, "_log", None)
        if log:
            log.close()
        if os.environ.get("GRADER_KEEP_SANDBOX"):  # debugging a sandbox that will not start
            print(f"sandbox kept: {self._box}", file=sys.stderr)
            return
        shutil.rmtree(self._box, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources
