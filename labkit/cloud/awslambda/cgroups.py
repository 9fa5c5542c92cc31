"""CPU and memory limits for execution environments that are processes, by Linux cgroup.

AWS Lambda "allocates CPU power in proportion to the amount of memory configured. ... At 1,769 MB,
a function has the equivalent of one vCPU (one vCPU-second of credits per second)" (AWS Lambda
Developer Guide, "Configure Lambda function memory",
https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). Above 1,769 MB the share
keeps growing with memory, spread over more vCPUs (up to 6 vCPUs at 10,240 MB): only a handler
that uses several threads or processes gains from it.

In subprocess and snapshot isolation each instance's process gets a child cgroup of its own:
- a CPU quota of memory/1,769 of one CPU (CFS bandwidth: `cpu.cfs_quota_us` on cgroup v1,
  `cpu.max` on v2), capped at this machine's cores. It applies from the end of INIT (or the
  restore) on: AWS's published Python cold starts at 128 MB (~80 ms, maxday/lambda-perf) are
  not possible at 7 % of a CPU, so INIT is not throttled here either;
- a memory limit equal to the memory size (`memory.limit_in_bytes` / `memory.max`) from the
  moment the process exists: above it the kernel kills the process (SIGKILL). The invocation
  fails as on AWS: payload `Runtime.ExitError` "Runtime exited with error: signal: killed",
  REPORT `Status: error Error Type: Runtime.OutOfMemory` with Max Memory Used at the memory size;
  the instance is discarded and the next invoke is a cold start.

The cgroups are made under this process's own cgroup (never above it), named
`labkit-<pid>-<n>`, and removed when the instance ends or the cloud stops; a leftover of a
process that died is removed the next time one is made.

Where cgroups cannot be used (not root, macOS, Windows, no writable controller) nothing fails:
`resource_limits()` (public as `labkit.cloud.resource_limits`) says so, with a Korean sentence on what the figures then mean.
"""

from __future__ import annotations

import atexit
import itertools
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["MB_PER_VCPU", "ResourceLimits", "Cgroup", "status", "cpu_share", "confine", "throttle", "release", "live"]

MB_PER_VCPU = 1769  # AWS: one vCPU at 1,769 MB
PERIOD_US = 100_000  # the CFS period (the kernel's default); 128 MB gets 7,236 µs of it
_V1_ROOT = "/sys/fs/cgroup"
_V2_ROOT = "/sys/fs/cgroup"


@dataclass(frozen=True)
class ResourceLimits:
    """Whether this machine limits CPU and memory per execution environment, and how.

    `reason` is a Korean sentence for the lab: what is enforced, or why not and what the
    Duration and Max Memory Used figures then mean.
    """

    enforced: bool
    mechanism: str  # "cgroup v1", "cgroup v2" or "none"
    reason: str
    cores: int

    def __bool__(self) -> bool:
        return self.enforced


def machine_cores() -> int:
    """CPUs this process may run on (affinity, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cpu_share(memory_mb: int, cores: int | None = None) -> float:
    """CPUs an instance of `memory_mb` gets: memory/1,769, capped at the machine's cores."""
    return min(memory_mb / MB_PER_VCPU, float(cores or machine_cores()))


# --------------------------------------------------------------------------- probing


def _own_cgroups() -> dict[str, str]:
    """This process's cgroup per v1 controller, and "" for the v2 (unified) one."""
    found: dict[str, str] = {}
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for c in controllers.split(",") if controllers else [""]:
                    found[c] = path
    except OSError:
        pass
    return found


def _writable_dir(path: str) -> bool:
    return os.path.isdir(path) and os.access(path, os.W_OK)


def _v1_dirs(own: dict[str, str]) -> dict[str, str] | None:
    dirs = {}
    for controller, knob in (("cpu", "cpu.cfs_quota_us"), ("memory", "memory.limit_in_bytes")):
        if controller not in own:
            return None
        base = os.path.join(_V1_ROOT, controller, own[controller].lstrip("/"))
        if not (_writable_dir(base) and os.path.exists(os.path.join(base, knob))):
            return None
        dirs[controller] = base
    return dirs


def _v2_dir(own: dict[str, str]) -> str | None:
    if "" not in own or not os.path.exists(os.path.join(_V2_ROOT, "cgroup.controllers")):
        return None
    base = os.path.join(_V2_ROOT, own[""].lstrip("/"))
    try:
        with open(os.path.join(base, "cgroup.controllers")) as f:
            available = f.read().split()
        if not {"cpu", "memory"} <= set(available) or not _writable_dir(base):
            return None
        with open(os.path.join(base, "cgroup.subtree_control")) as f:
            enabled = set(f.read().split())
        if not {"cpu", "memory"} <= enabled:  # fails while base holds processes (no internal processes rule)
            with open(os.path.join(base, "cgroup.subtree_control"), "w") as f:
                f.write("+cpu +memory")
    except OSError:
        return None
    return base


_probe_lock = threading.Lock()
_probed: tuple[ResourceLimits, Any] | None = None

_NO_FIGURES = (
    "이때 Duration은 메모리 크기와 상관없이 이 컴퓨터의 CPU를 다 쓰고 잰 값이라, 메모리 크기를 바꿔도 거의 변하지 않습니다. "
    "Max Memory Used도 재기만 하므로, 메모리 크기를 넘어도 함수가 종료되지 않습니다."
)


def _probe() -> tuple[ResourceLimits, Any]:
    global _probed
    with _probe_lock:
        if _probed is not None:
            return _probed
        cores = machine_cores()
        if os.environ.get("LABKIT_CGROUPS", "1") == "0":
            result = (ResourceLimits(False, "none", f"환경 변수 LABKIT_CGROUPS=0이 설정되어 있어 CPU와 메모리를 제한하지 않습니다. {_NO_FIGURES}", cores), None)
        elif not sys.platform.startswith("linux"):
            result = (ResourceLimits(False, "none", f"cgroup은 Linux에만 있으므로 이 컴퓨터({sys.platform})에서는 CPU와 메모리를 제한하지 않습니다. {_NO_FIGURES}", cores), None)
        else:
            own = _own_cgroups()
            v1 = _v1_dirs(own)
            v2 = None if v1 else _v2_dir(own)
            if v1:
                result = (ResourceLimits(True, "cgroup v1", _enforced_reason("cgroup v1", cores), cores), ("v1", v1))
            elif v2:
                result = (ResourceLimits(True, "cgroup v2", _enforced_reason("cgroup v2", cores), cores), ("v2", v2))
            else:
                who = "root가 아니어서" if hasattr(os, "geteuid") and os.geteuid() != 0 else "쓸 수 있는 cpu·memory 컨트롤러가 없어서"
                result = (ResourceLimits(False, "none", f"cgroup을 만들 수 없어({who}) CPU와 메모리를 제한하지 않습니다. {_NO_FIGURES}", cores), None)
        _probed = result
        return result


def _enforced_reason(mechanism: str, cores: int) -> str:
    return (
        f"{mechanism}로 실행 환경마다 메모리를 설정한 크기로 제한하고, CPU는 AWS처럼 메모리 1,769 MB에 vCPU 한 개 "
        f"비율로(이 컴퓨터의 코어 {cores}개까지) 나누어 줍니다. 메모리 크기를 넘긴 함수는 AWS처럼 종료됩니다."
    )


def resource_limits(isolation: str = "subprocess") -> ResourceLimits:
    """Whether CPU and memory are limited for instances of this isolation mode, with the reason."""
    limits, _ = _probe()
    if isolation == "inprocess":
        return ResourceLimits(
            False, "none",
            "isolation='inprocess'에서는 함수가 노트북과 같은 프로세스에서 실행되므로 CPU와 메모리를 제한할 수 없습니다. "
            f"제한하려면 isolation='subprocess'나 'snapshot'으로 배포하십시오. {_NO_FIGURES}",
            limits.cores,
        )
    return limits


# --------------------------------------------------------------------------- one cgroup


def _write(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


_counter = itertools.count(1)
_live: set["Cgroup"] = set()
_live_lock = threading.Lock()


class Cgroup:
    """The child cgroup(s) of one instance: a directory per v1 controller, or one v2 directory."""

    def __init__(self, version: str, bases: dict[str, str] | str, memory_mb: int, cores: int) -> None:
        self.version = version
        self.memory_mb = memory_mb
        self.cores = cores
        self.name = f"labkit-{os.getpid()}-{next(_counter)}"
        if version == "v1":
            assert isinstance(bases, dict)
            self.dirs = {c: os.path.join(b, self.name) for c, b in bases.items()}
        else:
            assert isinstance(bases, str)
            self.dirs = {"unified": os.path.join(bases, self.name)}
        self.removed = False

    @property
    def quota_us(self) -> int:
        return max(1000, round(cpu_share(self.memory_mb, self.cores) * PERIOD_US))  # the kernel's minimum is 1 ms

    def create(self) -> None:
        """Make the directories and set the memory limit (the CPU quota comes with `throttle`)."""
        limit = str(self.memory_mb * 1024 * 1024)
        for d in self.dirs.values():
            os.mkdir(d)
        if self.version == "v1":
            mem = self.dirs["memory"]
            _write(os.path.join(mem, "memory.limit_in_bytes"), limit)
            if os.path.exists(os.path.join(mem, "memory.memsw.limit_in_bytes")):
                try:  # with swap, the limit must cover it too, or the process swaps instead of dying
                    _write(os.path.join(mem, "memory.memsw.limit_in_bytes"), limit)
                except OSError:
                    pass
            try:  # charge what the process allocated before it was moved here (its first ms)
                _write(os.path.join(mem, "memory.move_charge_at_immigrate"), "3")
            except OSError:
                pass
        else:
            d = self.dirs["unified"]
            _write(os.path.join(d, "memory.max"), limit)
            try:
                _write(os.path.join(d, "memory.swap.max"), "0")
            except OSError:
                pass

    def add(self, pid: int) -> None:
        for d in self.dirs.values():
            _write(os.path.join(d, "cgroup.procs"), str(pid))

    def throttle(self) -> None:
        """Start the CPU quota (memory/1,769 of a CPU)."""
        if self.version == "v1":
            cpu = self.dirs["cpu"]
            _write(os.path.join(cpu, "cpu.cfs_period_us"), str(PERIOD_US))
            _write(os.path.join(cpu, "cpu.cfs_quota_us"), str(self.quota_us))
        else:
            _write(os.path.join(self.dirs["unified"], "cpu.max"), f"{self.quota_us} {PERIOD_US}")

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process here for going over the memory limit."""
        if self.version == "v1":
            text = _read(os.path.join(self.dirs["memory"], "memory.oom_control"))
            events = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
            if "oom_kill" in events:
                return int(events["oom_kill"]) > 0
            return int(_read(os.path.join(self.dirs["memory"], "memory.failcnt")) or 0) > 0
        text = _read(os.path.join(self.dirs["unified"], "memory.events"))
        events = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
        return int(events.get("oom_kill", 0)) > 0

    def throttled_us(self) -> int:
        """How long the CPU quota held the process back so far (µs), from cpu.stat."""
        path = os.path.join(self.dirs["cpu" if self.version == "v1" else "unified"], "cpu.stat")
        for line in _read(path).splitlines():
            key, _, value = line.partition(" ")
            if key == "throttled_time":  # v1: ns
                return int(value) // 1000
            if key == "throttled_usec":
                return int(value)
        return 0

    def remove(self) -> None:
        """Remove the directories (the process must have ended and been reaped); safe twice."""
        if self.removed:
            return
        for d in self.dirs.values():
            _remove_dir(d)
        self.removed = True
        with _live_lock:
            _live.discard(self)

    def __repr__(self) -> str:
        return f"Cgroup({self.name}, {self.memory_mb} MB, quota {self.quota_us}/{PERIOD_US} µs)"


def _remove_dir(d: str) -> None:
    for attempt in range(50):  # a killed task may take a moment to leave the cgroup
        try:
            os.rmdir(d)
            return
        except FileNotFoundError:
            return
        except OSError:
            if attempt == 0:
                _kill_tasks(d)
            time.sleep(0.01)


def _kill_tasks(d: str) -> None:
    """Kill what is still in a cgroup that has to go (a process this module put there)."""
    for pid in _read(os.path.join(d, "cgroup.procs")).split():
        try:
            os.kill(int(pid), 9)
        except (OSError, ValueError):
            pass


def _sweep(bases: list[str]) -> None:
    """Remove cgroups left by labkit processes that died without cleaning up."""
    for base in bases:
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for name in names:
            parts = name.split("-")
            if len(parts) != 3 or parts[0] != "labkit" or not parts[1].isdigit():
                continue
            owner = int(parts[1])
            if owner == os.getpid():
                continue
            try:
                os.kill(owner, 0)
                continue  # its owner lives
            except ProcessLookupError:
                pass
            except OSError:
                continue
            _remove_dir(os.path.join(base, name))


_swept = False


# --------------------------------------------------------------------------- for the runtime


def confine(pid: int, memory_mb: int, isolation: str = "subprocess") -> Cgroup | None:
    """Put a new instance's process in a cgroup of its own with its memory limit; None where
    cgroups are not available (or anything goes wrong: the instance then runs unlimited)."""
    global _swept
    limits, how = _probe()
    if not limits.enforced or how is None or isolation == "inprocess":
        return None
    version, bases = how
    if not _swept:
        _swept = True
        _sweep(list(bases.values()) if isinstance(bases, dict) else [bases])
    group = Cgroup(version, bases, memory_mb, limits.cores)
    try:
        group.create()
        with _live_lock:
            _live.add(group)
        group.add(pid)
    except OSError:
        group.remove()
        return None
    return group


def throttle(group: Cgroup | None) -> None:
    """The instance finished INIT (or its restore): its CPU quota starts now."""
    if group is not None and not group.removed:
        try:
            group.throttle()
        except OSError:
            pass


def release(group: Cgroup | None) -> None:
    """The instance's process has ended: remove its cgroup."""
    if group is not None:
        group.remove()


def live() -> list[Cgroup]:
    """The cgroups this process has made and not yet removed (for tests and labs)."""
    with _live_lock:
        return sorted(_live, key=lambda g: g.name)


@atexit.register
def _remove_all() -> None:
    for group in live():
        group.remove()


def exited(inst: Any) -> None:
    """An instance's process ended during an invocation: was it killed for its memory?

    If so, mark it (`inst.out_of_memory`, which the REPORT line shows as Runtime.OutOfMemory) and
    report Max Memory Used at the memory size, as AWS does.
    """
    group = getattr(inst, "cgroup", None)
    if group is not None and group.oom_killed():
        inst.out_of_memory = True
        inst.peak_kb = group.memory_mb * 1024
