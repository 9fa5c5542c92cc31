"""JupyterHub's LocalProcessSpawner for the room: a learner's own account, home, limits and Jupyter.

Each learner's server runs as their system account (root only; `Room.isolated`), starts in
their home, joins their cgroup (memory and CPU limits) before it runs anything of its own,
and opens JupyterLab in Korean with the course's fonts and nbgrader's assignment list. The
instructor's server (the admin) runs as the hub's own account in the course folder.
"""
from __future__ import annotations

import os
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Any, Unicode

from . import launch, limits
from .python_env import jupyter_paths
from .room import Room

# What the learners' JupyterLab must not offer: the instructor's nbgrader tools (JupyterLab's
# side is already off in the venv's page_config.json, `./course`); the assignment list stays.
INSTRUCTOR_ONLY = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list",
                   "nbgrader.server_extensions.validate_assignment")
LAB_FLAGS = ["--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]


class RoomSpawner(LocalProcessSpawner):
    room_file = Unicode(config=True, help="state/room.json written by `python -m workshop.hub`")
    cgroup = Any(None, allow_none=True)

    @property
    def room(self) -> Room:
        return Room.load(Path(self.room_file))

    def _is_instructor(self) -> bool:
        return self.user.name == self.room.instructor

    def _runs_as_learner(self) -> bool:
        return self.room.isolated and not self._is_instructor()

    def get_args(self) -> list[str]:
        room = self.room
        args = super().get_args()
        if self._is_instructor():
            root_dir, extra = room.course, []
            if os.geteuid() == 0:
                extra.append("--allow-root")
        else:
            root_dir = str(room.home_of(self.user.name))
            extra = [f"--ServerApp.jpserver_extensions={name}=False" for name in INSTRUCTOR_ONLY]
        return [*args, f"--ServerApp.root_dir={root_dir}", *LAB_FLAGS, *extra]

    def user_env(self, env: dict) -> dict:
        if self._runs_as_learner():
            return super().user_env(env)  # HOME, SHELL of the learner's account
        env["USER"] = self.user.name
        env["HOME"] = self.room.course if self._is_instructor() else str(self.room.home_of(self.user.name))
        return env

    def get_env(self) -> dict:
        env = super().get_env()
        env.update(jupyter_paths())
        if not self._is_instructor():  # `python`, `jupyter` in a terminal: the learner's interpreter
            env["PATH"] = os.pathsep.join([str(Path(self.room.learner_python).parent), "/usr/local/bin", "/usr/bin", "/bin"])
        env.setdefault("LANG", "C.UTF-8")
        # Labs must never reach real AWS: the same fake credentials `./course` exports.
        from labkit.cloud.core.credentials import fake_aws_environment

        env.update(fake_aws_environment())
        for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            env.pop(key, None)
        return env

    def make_preexec_fn(self, name: str):
        group = self.cgroup
        as_learner = set_user_setuid(name) if self._runs_as_learner() else None
        home = None if as_learner else (self.room.course if self._is_instructor() else str(self.room.home_of(name)))

        def preexec() -> None:
            if group is not None:
                group.join()  # as root, before the uid changes: kernels and terminals inherit it
            if as_learner is not None:
                as_learner()
            else:
                os.chdir(home)

        return preexec

    async def start(self):
        room = self.room
        python = room.course_python if self._is_instructor() else room.learner_python
        self.cmd = [python, "-c", launch("jupyterhub.singleuser.app:main")]
        if not self._is_instructor():
            from .accounts import prepare_home
            from .roster import Learner

            prepare_home(room, Learner(self.user.name, room.names().get(self.user.name, ""), 0))
            self.cgroup = limits.make(self.user.name, room.mem_limit, room.cpu_limit)
        self.mem_limit, self.cpu_limit = room.mem_limit, room.cpu_limit  # MEM_LIMIT/CPU_LIMIT for the server
        return await super().start()

    async def poll(self):
        status = await super().poll()
        if status is not None and self.cgroup is not None:
            if self.cgroup.oom_killed():
                self.log.warning("%s의 서버가 메모리 한도(%d MB)를 넘어 종료되었습니다.", self.user.name,
                                 self.cgroup.memory_mb)
            self._release_cgroup()
        return status

    async def stop(self, now: bool = False):
        await super().stop(now=now)
        self._release_cgroup()

    def _release_cgroup(self) -> None:
        if self.cgroup is not None:
            self.cgroup.remove()  # kills what the server left behind (a kernel, a terminal)
            self.cgroup = None
