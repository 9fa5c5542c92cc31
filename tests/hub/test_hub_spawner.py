"""What each server of the room is started with: the learner's home and tools, the instructor's course folder."""
from __future__ import annotations

import pwd
from pathlib import Path
from types import SimpleNamespace

import pytest

from labkit.cloud.core.credentials import fake_aws_environment
from workshop.hub.room import Room
from workshop.hub.spawner import INSTRUCTOR_ONLY, RoomSpawner


def spawner(tmp_path: Path, user: str, isolated: bool) -> RoomSpawner:
    room = Room(port=8100, course=str(tmp_path / "course"), folder=str(tmp_path / "hub"), exchange=str(tmp_path / "ex"),
                learners=[{"id": "kim", "name": "김민준"}, {"id": "nobody", "name": ""}], isolated=isolated,
                learner_python="/srv/hub/python/bin/python", course_python="/course/.venv/bin/python")
    room.state.mkdir(parents=True)
    room.save()
    hub = SimpleNamespace(public_host="", url="http://127.0.0.1:9/hub/", api_url="http://127.0.0.1:9/hub/api",
                          base_url="/hub/")
    return RoomSpawner(user=SimpleNamespace(name=user, url=f"/user/{user}/", escaped_name=user, server=None), hub=hub,
                       room_file=str(room.state / "room.json"))


@pytest.mark.parametrize("isolated", [True, False])
def test_a_learner_starts_in_their_home_without_the_instructors_tools(tmp_path, isolated):
    s = spawner(tmp_path, "nobody", isolated)  # `nobody`: an account every Linux has, for the isolated case
    args = s.get_args()
    assert f"--ServerApp.root_dir={tmp_path / 'hub' / 'home' / 'nobody'}" in args
    for extension in INSTRUCTOR_ONLY:
        assert f"--ServerApp.jpserver_extensions={extension}=False" in args
    assert "--allow-root" not in args
    env = s.get_env()
    assert env["HOME"] == (pwd.getpwnam("nobody").pw_dir if isolated else str(tmp_path / "hub" / "home" / "nobody"))
    assert env["PATH"].split(":")[0] == "/srv/hub/python/bin"  # `python` in a terminal is the learner's
    assert env["JUPYTER_PATH"].endswith("share/jupyter") and env["JUPYTERLAB_DIR"].endswith("share/jupyter/lab")
    assert {k: env[k] for k in fake_aws_environment()} == fake_aws_environment()
    assert "AWS_PROFILE" not in env


def test_the_instructor_starts_in_the_course_with_nbgrader_whole(tmp_path):
    s = spawner(tmp_path, "instructor", isolated=True)
    args = s.get_args()
    assert f"--ServerApp.root_dir={tmp_path / 'course'}" in args
    assert not [a for a in args if "jpserver_extensions" in a]
    assert s.get_env()["HOME"] == str(tmp_path / "course")
