"""Per-learner memory and CPU limits: one cgroup per learner's server, kernels included.

JupyterHub's `Spawner.mem_limit` and `cpu_limit` are only passed on to the server as
MEM_LIMIT/CPU_LIMIT by LocalProcessSpawner (its docs: enforcing them is the spawner's job).
Here they are enforced with the cgroup code the offline cloud's Lambda runtime already uses
(`labkit.cloud.awslambda.cgroups`: v1 or v2, probed once, under this process's own cgroup,
never above it): the memory limit as the memory cgroup's limit (above it the kernel kills the
largest process, usually the kernel of the notebook that ran away, and the learner's server
stays up or JupyterHub shows it stopped), the CPU limit as a CFS quota of `cpu_limit` CPUs.
The server joins its cgroup before it runs a line of its own (in `preexec_fn`), so every
kernel and terminal it starts is inside too. Where cgroups cannot be made (not root, macOS,
no writable controller) the room still starts and says that nothing is limited.
"""
from __future__ import annotations

import os

from labkit.cloud.awslambda import cgroups

PREFIX = "course-hub-"


class LearnerCgroup(cgroups.Cgroup):
    """A learner's cgroup: `mem_limit` bytes of memory and `cpu_limit` CPUs."""

    def __init__(self, version: str, bases, user: str, mem_limit: int, cpu_limit: float) -> None:
        super().__init__(version, bases, max(1, mem_limit // (1024 * 1024)), cgroups.machine_cores())
        self.cpu_limit = cpu_limit
        self.name = f"{PREFIX}{user}"
        self.dirs = {key: os.path.join(os.path.dirname(d), self.name) for key, d in self.dirs.items()}

    @property
    def quota_us(self) -> int:
        return max(1000, round(min(self.cpu_limit, self.cores) * cgroups.PERIOD_US))

    def remove_leftover(self) -> None:
        """A cgroup of this name left by a hub that died: its processes are killed and it goes."""
        for d in self.dirs.values():
            if os.path.isdir(d):
                cgroups._remove_dir(d)

    def join(self) -> None:
        """Move the calling process here (in the child, before exec)."""
        self.add(os.getpid())


def available() -> tuple[bool, str]:
    """(whether learners' limits are enforced, Korean reason)."""
    limits, how = cgroups._probe()  # the one probe of this machine's cgroups (v1/v2, writable)
    if limits.enforced and how is not None:
        return True, f"{limits.mechanism}로 학습자마다 메모리와 CPU를 제한합니다."
    return False, limits.reason.split(" 이때 ")[0].replace("CPU와 메모리를 제한하지 않습니다", "학습자의 메모리와 CPU를 제한하지 않습니다")


def make(user: str, mem_limit: int, cpu_limit: float) -> LearnerCgroup | None:
    """A fresh cgroup for `user`'s server with both limits set; None where cgroups are unavailable."""
    limits, how = cgroups._probe()
    if not limits.enforced or how is None:
        return None
    version, bases = how
    group = LearnerCgroup(version, bases, user, mem_limit, cpu_limit)
    group.remove_leftover()
    try:
        group.create()
        group.throttle()
    except OSError:
        group.remove()
        return None
    return group

