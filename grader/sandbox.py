"""Run a student's kernel in a sandbox: no network, a private filesystem view, bounded resources.

nbgrader runs submitted code with the grader's own rights (its FAQ says so). Here only the
kernel is moved into a sandbox; nbgrader, the gradebook and the scoring stay in the trusted
process that drives the kernel over Unix sockets in a folder shared with the sandbox.

Backends, best first (`detect_backend`):

- ``bwrap`` (bubblewrap): new network, PID, IPC and mount namespaces; the kernel sees only
  the system folders, the Python install and `labkit` (read-only), a private `/tmp` and its own
  working folder. Grading as root, the kernel also drops to an unprivileged uid, one per worker.
- ``unshare`` (util-linux): new network, PID, IPC and mount namespaces; the course's
  `solutions/` and `grader/work/` and the grading folders are hidden under empty tmpfs mounts
  and every other mount is read-only, except the kernel's own folder. Other files stay
  readable (say, the grader's home folder), so this is the weaker fallback.
- ``none``: resource limits and time limits only. Use a dedicated grading account.

In every backend the kernel runs under rlimits (address space, processes, file size, CPU).
The address-space limit is per process, not per submission (no cgroup).

With bwrap, batch workers fork their kernels from a warm server inside the same kind of
sandbox (`grader.forkserver`, `grader.zygote`); each fork gets fresh namespaces of its own.
"""
from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import Any as AnyTrait
from traitlets import DottedObjectName
from traitlets import Type as TypeTrait

from labkit.cloud.credentials import fake_aws_environment
from labkit.korean import josa

from .config import Limits

BACKENDS = ("bwrap", "unshare", "none")
# nbgrader's bookkeeping in a submission folder: not the kernel's business.
NBGRADER_FILES = {"timestamp.txt", "submission_secret.txt"}
# Uids the kernels run as when grading as root: one per worker so their process limits and
# files never mix. Far above any real account.
SANDBOX_UID_BASE = 2_000_000

# Runs inside the sandbox just before the kernel: apply the limits, then become the kernel.
_LIMITER = (
    "import json,os,resource,sys\n"
    "for k,v in json.loads(sys.argv[1]).items():\n"
    "    resource.setrlimit(getattr(resource,k),(v,v))\n"
    "os.execv(sys.argv[2],sys.argv[2:])"
)


class SandboxUnavailable(RuntimeError):
    """The requested backend cannot run on this machine; the message is Korean."""


def _probe(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.lru_cache(maxsize=None)
def backend_works(backend: str) -> bool:
    """Whether `backend` can start a process here (cached: each probe forks)."""
    if backend == "none":
        return True
    if backend == "bwrap":
        bwrap = shutil.which("bwrap")
        if not bwrap:
            return False
        user = [] if os.geteuid() == 0 else ["--unshare-user"]
        return _probe([bwrap, *user, "--unshare-net", "--unshare-pid", "--ro-bind", "/", "/",
                       "--proc", "/proc", "--dev", "/dev", "true"])
    if backend == "unshare":
        unshare = shutil.which("unshare")
        if not unshare:
            return False
        user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
        return _probe([unshare, *user, "--net", "--pid", "--fork", "--mount", "true"])
    return False


def detect_backend(wanted: str | None = None) -> str:
    """The backend to use: `wanted`, else $GRADER_SANDBOX, else the best that works here."""
    wanted = wanted or os.environ.get("GRADER_SANDBOX") or None
    if wanted:
        if wanted not in BACKENDS:
            raise SandboxUnavailable(f"알 수 없는 격리 방식입니다: {wanted} (bwrap, unshare, none 중 하나를 쓰십시오)")
        if not backend_works(wanted):
            raise SandboxUnavailable(
                f"격리 방식 {josa(wanted, '을')} 이 컴퓨터에서 쓸 수 없습니다. "
                "bubblewrap은 'sudo apt-get install bubblewrap'으로 설치합니다.")
        return wanted
    for backend in BACKENDS:
        if backend_works(backend):
            return backend
    return "none"


def describe(backend: str) -> str:
    """One Korean line for the instructor: what this backend protects and what it does not."""
    return {
        "bwrap": "bubblewrap 격리: 네트워크 차단, 과정 폴더·성적부·다른 학생 제출물 접근 불가, 자원 제한",
        "unshare": "unshare 격리(bubblewrap 없음): 네트워크 차단, solutions/·grader/work/ 숨김, 자원 제한. "
                   "그 밖의 파일은 보일 수 있으니 bubblewrap을 설치하십시오",
        "none": "격리 없음: 시간·자원 제한만 적용합니다. 제출된 코드가 채점하는 계정의 권한으로 실행되니 "
                "채점 전용 계정에서 실행하거나 bubblewrap을 설치하십시오",
    }[backend]


@dataclass
class Sandbox:
    """How to wrap one kernel command. Built by the trusted grader, one per submission."""

    backend: str
    limits: Limits = field(default_factory=Limits)
    uid: int | None = None                        # switch to this uid (bwrap, as root)
    hide: list[Path] = field(default_factory=list)  # folders to hide (unshare backend)

    def __post_init__(self) -> None:
        if self.backend != "bwrap" or os.geteuid() != 0:
            self.uid = None  # only a root-started bubblewrap can hand the kernel another uid

    def rlimits(self) -> dict[str, int]:
        lim = self.limits
        values = {
            "RLIMIT_AS": lim.memory_mb * 2**20,
            "RLIMIT_FSIZE": lim.max_file_mb * 2**20,
            "RLIMIT_CPU": lim.notebook_timeout + 30,
            "RLIMIT_CORE": 0,
        }
        # The process limit counts per user. Without a namespace of its own (or as root, who is
        # exempt) it would count the grader's own processes too, so it is set only where it
        # bounds the sandbox alone.
        if self.backend == "bwrap" and (self.uid is not None or os.geteuid() != 0):
            values["RLIMIT_NPROC"] = lim.max_processes
        if self.backend == "unshare" and os.geteuid() != 0:
            values["RLIMIT_NPROC"] = lim.max_processes
        return values

    def env(self, home: Path) -> dict[str, str]:
        """A clean environment: nothing of the grader's (no tokens, no real AWS settings)."""
        venv_bin = str(Path(sys.executable).parent)
        return {
            "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": "/tmp" if self.backend == "bwrap" else str(home),
            "TMPDIR": "/tmp" if self.backend == "bwrap" else str(home),
            "LANG": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8",
            "MPLBACKEND": "Agg",
            # glibc gives each new thread a 64 MB malloc arena of address space; RLIMIT_AS counts
            # it as memory, so a kernel with ~20 threads (lab02's bursts) reached 1.6 GB of 2 GB
            # without using it and a burst's threads failed to start. Two arenas: ~0.7 GB.
            "MALLOC_ARENA_MAX": "2",
            **fake_aws_environment(),
            "NBGRADER_EXECUTION": "autograde",
        }

    def wrap(self, kernel_cmd: list[str], workdir: Path, sockdir: Path) -> list[str]:
        """The full command: sandbox, then the limiter, then the kernel."""
        inner = [sys.executable, "-c", _LIMITER, json.dumps(self.rlimits()), *kernel_cmd]
        if self.backend == "bwrap":
            return self._bwrap(inner, workdir, sockdir)
        if self.backend == "unshare":
            return self._unshare(inner, workdir, sockdir)
        return inner

    def _drop_privileges(self) -> list[str]:
        if self.uid is None:
            return []
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]

    def _bwrap(self, inner: list[str], workdir: Path, sockdir: Path) -> list[str]:
        return self.bwrap_command(inner, [workdir, sockdir], workdir)

    def bwrap_command(self, inner: list[str], writable: list[Path], chdir: Path) -> list[str]:
        """bubblewrap around `inner`: read-only system and Python, `writable` folders, no network."""
        args = ["bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--hostname", "sandbox"]
        if os.geteuid() != 0:
            args += ["--unshare-user"]
        args += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
        for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            path = Path("/") / top
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        # The private /tmp goes first: mounted after the binds below, it would cover a course
        # checked out under /tmp (as CI and `git clone` into mktemp do) and hide its venv.
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--size", str(self.limits.tmp_mb * 2**20), "--perms", "1777", "--tmpfs", "/tmp",
                 "--perms", "1777", "--tmpfs", "/dev/shm"]
        made: set[Path] = {Path("/"), Path("/usr"), Path("/etc"), Path("/tmp")}

        def mkdirs(target: Path) -> list[str]:
            # bwrap makes missing parents 0700, which an unprivileged uid cannot cross.
            out = []
            for parent in reversed(target.parents):
                if parent not in made:
                    made.add(parent)
                    out += ["--perms", "0755", "--dir", str(parent)]
            return out

        bound = [Path("/usr"), Path("/etc")]
        for ro in _readonly_paths():
            if any(ro == m or m in ro.parents for m in bound):
                continue
            args += mkdirs(ro) + ["--ro-bind", str(ro), str(ro)]
            made.add(ro)
            bound.append(ro)
        for rw in writable:
            args += mkdirs(rw) + ["--bind", str(rw), str(rw)]
            bound.append(rw)
        # The grader reaches Python by the paths it was started with (`sys.executable`, the
        # course's .pth entries); where those pass through a symbolic link (into /tmp, say,
        # which is fresh in here), the same link is made in the sandbox.
        for link, target in _links():
            if link in made or any(b == link or b in link.parents for b in bound):
                continue
            args += mkdirs(link) + ["--symlink", target, str(link)]
            made.add(link)
        args += ["--chdir", str(chdir)]
        if self.uid is not None:
            args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        return args + self._drop_privileges() + inner

    def _unshare(self, inner: list[str], workdir: Path, sockdir: Path) -> list[str]:
        user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
        # In a mount namespace of its own: hide each secret folder under an empty tmpfs, make
        # every mount read-only, give back write access to the kernel's two folders, then drop
        # every capability so the student's code cannot undo any of it.
        script = (
            'w="$1"; s="$2"; shift 2; '
            'while [ "$1" != -- ]; do mount -t tmpfs -o size=4k,mode=000 none "$1"; shift; done; shift; '
            "awk '{print $5}' /proc/self/mountinfo | while read -r m; do "
            'mount -o remount,bind,ro "$m" 2>/dev/null; done; '
            'for d in "$w" "$s"; do mount --bind "$d" "$d" && mount -o remount,bind,rw "$d" || exit 97; done; '
            'cd "$w" || exit 97; exec "$@"'
        )
        hide = [str(p) for p in self.hide if p.is_dir()]
        drop = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
        return ["unshare", *user, "--net", "--pid", "--ipc", "--uts", "--mount", "--fork",
                "--kill-child", "--mount-proc", "sh", "-c", script, "sandbox", str(workdir),
                str(sockdir), *hide, "--", *drop, *inner]


def _links() -> list[tuple[Path, str]]:
    """Symbolic links on the way to the interpreter, the venv, labkit and the import path."""
    paths = [Path(sys.executable), Path(sys.prefix), Path(sys.base_prefix)]
    spec = importlib.util.find_spec("labkit")
    if spec and spec.submodule_search_locations:
        paths += [Path(p) for p in spec.submodule_search_locations]
    paths += [Path(p) for p in sys.path if p and os.path.isabs(p) and os.path.isdir(p)]
    found: dict[Path, str] = {}
    for path in paths:
        current = Path("/")
        for part in path.parts[1:]:
            current = current / part
            if current.is_symlink():
                found.setdefault(current, os.readlink(current))
                current = Path(os.path.realpath(current))
    top = {Path("/") / t for t in ("bin", "sbin", "lib", "lib32", "lib64", "libx32")}  # made above
    return sorted((k, v) for k, v in found.items() if k not in top)


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
    import re

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


def _readonly_paths() -> list[Path]:
    """What the kernel needs to see: the Python install, the venv and the labkit package."""
    paths = {Path(os.path.realpath(sys.base_prefix)), Path(os.path.realpath(sys.prefix))}
    spec = importlib.util.find_spec("labkit")
    if spec and spec.submodule_search_locations:
        paths.update(Path(os.path.realpath(p)) for p in spec.submodule_search_locations)
    # A folder inside another is covered by the outer bind.
    ordered = sorted(paths, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for p in ordered:
        if not any(k == p or k in p.parents for k in kept):
            kept.append(p)
    return kept


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


def _die_with_parent() -> None:
    """In the child before exec: if the grader dies (crash, Ctrl-C), the kernel dies too."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the grader kills the process group on shutdown instead


def _give(path: Path, uid: int | None) -> None:
    if uid is not None:
        os.chown(path, uid, uid)


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

    sandbox = AnyTrait(None)
    warm = AnyTrait(None)
    client_class = DottedObjectName("grader.sandbox.QuickReadyClient")
    client_factory = TypeTrait(QuickReadyClient, klass=AsyncKernelClient)  # a grader.forkserver.ForkServer, or None for a cold kernel

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
            _give(path, box.uid)
        for item in self.workdir.rglob("*"):
            _give(item, box.uid)
        _give(Path(self.connection_file), box.uid)
        kw["cwd"] = str(self.workdir)
        kw["env"] = box.env(self.workdir)
        self._log = open(self._box / "kernel.log", "wb")
        kw["stdout"] = subprocess.DEVNULL
        kw["stderr"] = self._log
        kw["stdin"] = subprocess.DEVNULL
        # Inside a PID namespace the kernel's parent is the namespace's init, which ipykernel
        # takes for "my parent died"; the sandbox dies with its parent anyway.
        kw["independent"] = True
        kw["preexec_fn"] = _die_with_parent
        if self.warm is not None and self.warm.usable and kernel_cmd[:3] == [sys.executable, "-m", "ipykernel_launcher"]:
            from .forkserver import ForkServerError

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


def make_private(path: Path) -> None:
    """Let the sandbox uid pass through `path` to its own folder but not list or read it."""
    mode = os.stat(path).st_mode
    os.chmod(path, (stat.S_IMODE(mode) & 0o700) | 0o011)
