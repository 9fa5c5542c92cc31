"""`./course hub`'s checks before anything starts, its Korean errors, and what it says about isolation and limits."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grader.config import ROOT
from labkit.korean import josa
from workshop.hub import limits
from workshop.hub.__main__ import isolation_lines
from workshop.hub.room import Room, RoomError, hub_port, parse_size, unreachable_by_learners, unreachable_parent


def run_hub(tmp_path: Path, roster: str, port: int, *extra: str) -> subprocess.CompletedProcess:
    (tmp_path / "명단.csv").write_text(roster, encoding="utf-8")
    env = {**os.environ, "HUB_PORT": str(port), "COURSE_HUB_DIR": str(tmp_path / "hub"),
           "COURSE_EXCHANGE": str(tmp_path / "exchange")}
    return subprocess.run([sys.executable, "-m", "workshop.hub", str(tmp_path / "명단.csv"), *extra], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_port_in_use_is_refused_in_korean_with_the_fix(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_hub(tmp_path, "id,이름\nkim,김민준\n", port)
    assert done.returncode == 1
    assert f"[오류] 포트 {josa(port, '을')} 이미 다른 프로그램이 쓰고 있습니다" in done.stderr
    assert f"HUB_PORT={port + 1} ./course hub" in done.stderr
    assert not (tmp_path / "hub").exists()  # nothing made before the checks pass


def test_a_bad_roster_stops_the_room_before_any_account_is_made(tmp_path):
    done = run_hub(tmp_path, "id,이름\nkim,김민준\nkim,김철수\n홍길동,홍길동\n", free_port())
    assert done.returncode == 1, done.stdout
    assert "3번째 줄: kim은 이미 앞 줄에 있습니다" in done.stderr and "4번째 줄: ID 홍길동은" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "hub").exists()


def test_a_port_left_in_time_wait_by_a_stopped_hub_is_free():
    """Restarting right after Ctrl+C: the proxy binds with SO_REUSEADDR, so TIME_WAIT is no reason to refuse."""
    from workshop.start import port_is_free as plain_bind

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as node (the proxy) listens
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    conn.close()  # the server side closes first: its end of the connection waits in TIME_WAIT
    time.sleep(0.1)
    client.close()
    server.close()
    time.sleep(0.2)
    assert not plain_bind(port)  # what refused the restart before
    os.environ["HUB_PORT"] = str(port)
    try:
        assert hub_port() == port
    finally:
        del os.environ["HUB_PORT"]


def test_sizes_for_memory_limits():
    assert parse_size("2G") == 2 * 1024 ** 3 and parse_size("512M") == 512 * 1024 ** 2
    assert parse_size("1.5GB") == int(1.5 * 1024 ** 3) and parse_size("800m") == 800 * 1024 ** 2
    for bad in ("lots", "-1G", "0", "2X"):
        with pytest.raises(RoomError, match="메모리 크기를 읽지 못했습니다"):
            parse_size(bad)


def room(isolated: bool) -> Room:
    return Room(port=8100, course=str(ROOT), folder="/tmp/x", exchange="/tmp/e", isolated=isolated,
                mem_limit=1024 ** 3, cpu_limit=0.5, idle_minutes=20)


def test_without_root_the_room_says_what_is_and_is_not_isolated():
    text = "\n".join(isolation_lines(room(isolated=False)))
    assert "root가 아니라서" in text and "격리되는 것: 로그인과 주소" in text
    assert "격리되지 않는 것: 파일" in text and "다른 학습자의 폴더" in text and "sudo ./course hub" in text
    assert "20분 동안 쓰지 않은 서버는 끕니다" in text
    isolated = "\n".join(isolation_lines(room(isolated=True)))
    assert "격리되지 않는 것" not in isolated and "시스템 계정과 홈 폴더" in isolated


def test_a_folder_learners_cannot_pass_through_is_found():
    top = Path(tempfile.mkdtemp(prefix="hub-reach-", dir="/tmp"))  # pytest's tmp_path sits under a 0700 folder
    try:
        os.chmod(top, 0o755)
        private = top / "private"
        (private / "hub" / "home").mkdir(parents=True)
        os.chmod(private, 0o700)
        assert unreachable_parent(private / "hub" / "home") == private
        os.chmod(private, 0o711)
        assert unreachable_parent(private / "hub" / "home") is None
    finally:
        shutil.rmtree(top)


def test_a_course_python_under_a_private_folder_stops_the_room_with_the_fix(monkeypatch):
    """A clone in root's home (0700): every learner's server would fail to import Jupyter."""
    top = Path(tempfile.mkdtemp(prefix="hub-reach-", dir="/tmp"))
    try:
        os.chmod(top, 0o755)
        private = top / "home"
        (private / "course" / ".venv").mkdir(parents=True)
        os.chmod(private, 0o700)
        here = Room(port=8100, course=str(private / "course"), folder=str(top / "hub"), exchange=str(top / "e"),
                    isolated=True, mem_limit=1024 ** 3, cpu_limit=0.5, idle_minutes=20)
        monkeypatch.setattr(sys, "prefix", str(private / "course" / ".venv"))
        message = unreachable_by_learners(here)
        assert message is not None and f"chmod o+x {private}" in message and ".venv" in message
        assert "모두가 지나갈 수 있는 곳(예: /srv, /opt)에 새로 받으십시오" in message
        os.chmod(private, 0o711)
        assert unreachable_by_learners(here) is None
    finally:
        shutil.rmtree(top)


def test_a_learners_cgroup_holds_its_memory_and_cpu_limits_and_kills_what_goes_over():
    enforced, why = limits.available()
    if not enforced:
        pytest.skip(why)
    group = limits.make("hubtest-limits", 96 * 1024 ** 2, 0.5)
    assert group is not None
    try:
        if group.version == "v1":
            assert int(Path(group.dirs["memory"], "memory.limit_in_bytes").read_text()) == 96 * 1024 ** 2
            assert int(Path(group.dirs["cpu"], "cpu.cfs_quota_us").read_text()) == 50_000
        else:
            assert Path(group.dirs["unified"], "cpu.max").read_text().split() == ["50000", "100000"]
        # A learner's process (joined before exec, as the spawner does) that takes 300 MB is killed.
        greedy = subprocess.run([sys.executable, "-c", "x = bytearray(300 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])"],
                                preexec_fn=group.join, capture_output=True, timeout=60)
        assert greedy.returncode == -9 and group.oom_killed()
        small = subprocess.run([sys.executable, "-c", "x = bytearray(8 * 1024 * 1024)"], preexec_fn=group.join, timeout=60)
        assert small.returncode == 0
    finally:
        group.remove()
    assert not any(Path(d).exists() for d in group.dirs.values())


def test_a_password_too_short_for_jupyterhub_is_refused_before_it_starts(tmp_path):
    (tmp_path / "명단.csv").write_text("id,이름\nkim,김민준\n", encoding="utf-8")
    env = {**os.environ, "HUB_PORT": str(free_port()), "COURSE_HUB_DIR": str(tmp_path / "hub"),
           "COURSE_EXCHANGE": str(tmp_path / "exchange"), "HUB_PASSWORD": "short"}
    done = subprocess.run([sys.executable, "-m", "workshop.hub", str(tmp_path / "명단.csv")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "[오류] HUB_PASSWORD는 8자 이상이어야 합니다" in done.stderr and "지금은 5자입니다" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "hub" / "state" / "jupyterhub.log").exists()


def test_a_command_line_mistake_is_explained_in_korean(tmp_path):
    env = {**os.environ, "HUB_CPU_LIMIT": "한 개"}
    done = subprocess.run([sys.executable, "-m", "workshop.hub"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "[오류] 명령을 잘못 썼습니다" in done.stderr and "도움말: ./course hub -h" in done.stderr
    assert "숫자가 아닙니다" in done.stderr or "다음 인자가 필요합니다: 명단.csv" in done.stderr


def test_under_sudo_the_commands_it_suggests_carry_sudo_with_the_variables_after_it(tmp_path, monkeypatch):
    """sudo resets the environment: `HUB_PORT=8101 sudo ./course hub` keeps 8100, and `./course grade` without
    sudo cannot open the gradebook the root hub made (grader/work, 0700)."""
    from workshop.hub.__main__ import summary

    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setenv("SUDO_USER", "teacher")
    monkeypatch.setenv("HUB_PASSWORD", "learners-pw")
    monkeypatch.setenv("HUB_ADMIN_PASSWORD", "i" * 32)
    monkeypatch.setenv("COURSE_EXCHANGE", "/srv/x")
    text = summary(Room(port=8100, course=str(ROOT), folder=str(tmp_path), exchange="/srv/x"), [])
    assert "  sudo COURSE_EXCHANGE=/srv/x ./course grade collect lab00" in text, text
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        monkeypatch.setenv("HUB_PORT", str(busy.getsockname()[1]))
        with pytest.raises(RoomError, match=r"지정하십시오: sudo HUB_PORT=\d+ ./course hub 명단.csv"):
            hub_port()
    monkeypatch.delenv("SUDO_USER")
    assert "  COURSE_EXCHANGE=/srv/x ./course grade collect" in summary(
        Room(port=8100, course=str(ROOT), folder=str(tmp_path), exchange="/srv/x"), [])


def test_a_jupyterhub_left_by_a_killed_hub_command_is_named_with_how_to_stop_it(tmp_path):
    """kill -9 on ./course hub leaves JupyterHub (its own session) serving and holding the room's lock."""
    from workshop.hub.room import LOCK

    state = tmp_path / "hub" / "state"
    state.mkdir(parents=True)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    lock = state / LOCK
    lock.write_text(f"포트 8100, pid {gone.pid}, JupyterHub pid PLACEHOLDER")
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1]); "
                               "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)", str(lock)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        lock.write_text(f"포트 8100, pid {gone.pid}, JupyterHub pid {holder.pid}")
        (tmp_path / "명단.csv").write_text("id,이름\nkim,김민준\n", encoding="utf-8")
        env = {**os.environ, "COURSE_HUB_DIR": str(tmp_path / "hub"), "HUB_PORT": str(free_port())}
        done = subprocess.run([sys.executable, "-m", "workshop.hub", str(tmp_path / "명단.csv")], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert f"허브 명령(pid {gone.pid})은 끝났지만 JupyterHub(pid {holder.pid})가 아직" in done.stderr, done.stderr
        assert f"kill {holder.pid} 로 끄면" in done.stderr
    finally:
        holder.kill()
        holder.wait()
