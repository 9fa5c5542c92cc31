"""The room's settings and its saved state, in one folder outside the repository's tracked files.

`$COURSE_HUB_DIR` (default `workspace/hub/`, which git ignores) holds:
- `state/` (0700, the hub's account only): JupyterHub's sqlite database, cookie secret, the
  proxy's auth token, the passwords, `room.json` (what `jupyterhub_config.py` reads), logs;
- `home/<id>/` (0700, the learner's own): each learner's workspace, under a folder (0711) that
  every account may pass through but not list.
Passwords are made once and kept, so a restarted hub lets learners in with the same password.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.config import ROOT
from labkit.korean import josa
from workshop.start import StartError, port_from_env

from .roster import Learner

HOST = "127.0.0.1"
DEFAULT_PORT = 8100
STATE_MODE, PASS_THROUGH = 0o700, 0o711
SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$", re.I)


class RoomError(Exception):
    """The room cannot start as asked; the message is Korean and says how to fix it."""


def hub_dir() -> Path:
    return Path(os.environ.get("COURSE_HUB_DIR") or ROOT / "workspace" / "hub").absolute()


def parse_size(text: str) -> int:
    """Bytes of '2G', '512M', '1.5GB' (binary units); RoomError for anything else."""
    m = SIZE.match(str(text).strip())
    if not m or float(m.group(1)) <= 0:
        raise RoomError(f"메모리 크기를 읽지 못했습니다: {text!r}. 2G, 512M처럼 숫자와 단위(K, M, G)로 적으십시오.")
    return int(float(m.group(1)) * 1024 ** "BKMGT".index((m.group(2) or "B").upper()))


@dataclass
class Room:
    """Everything the hub needs to know, saved as `state/room.json` for `jupyterhub_config.py`."""

    port: int
    course: str                 # the course tree whose labs/ learners get (grader's --root)
    folder: str                 # $COURSE_HUB_DIR
    exchange: str               # nbgrader's exchange root
    learners: list[dict] = field(default_factory=list)  # {"id", "name"}
    instructor: str = "instructor"
    mem_limit: int = 2 * 1024 ** 3
    cpu_limit: float = 1.0
    idle_minutes: int = 60
    isolated: bool = True       # root: one system account per learner
    learner_python: str = ""    # interpreter of the learners' servers
    course_python: str = ""     # the course's .venv (the instructor's server, the culler)
    proxy_api_port: int = 0
    hub_api_port: int = 0
    ip: str = HOST              # where learners' browsers reach the room (HUB_IP; loopback unless asked)

    @property
    def state(self) -> Path:
        return Path(self.folder) / "state"

    @property
    def homes(self) -> Path:
        return Path(self.folder) / "home"

    def home_of(self, user: str) -> Path:
        return self.homes / user

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}/"

    def names(self) -> dict[str, str]:
        return {p["id"]: p["name"] for p in self.learners}

    def save(self) -> Path:
        path = self.state / "room.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: Path) -> "Room":
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


def make_folders(room: Room) -> None:
    """State private to the hub's account; homes reachable by each learner and no one else."""
    for folder, mode in ((Path(room.folder), PASS_THROUGH), (room.state, STATE_MODE), (room.homes, PASS_THROUGH)):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, mode)


LOCK = "hub.lock"
_held: list[int] = []  # the lock's file descriptor, kept open for the life of this process (and JupyterHub's)


def already_running(folder: Path) -> str | None:
    """What the hub already running on `folder` wrote in its lock ("포트 8100, pid 123"), or None if none runs."""
    import fcntl

    path = Path(folder) / "state" / LOCK
    if not path.is_file():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return path.read_text(encoding="utf-8").strip() or "?"
    finally:
        os.close(fd)
    return None


def hold_room(room: Room) -> int:
    """Lock `state/hub.lock` for as long as this hub runs; RoomError in Korean if another hub holds it.

    Two hubs on one folder share JupyterHub's database and the learners' servers: stopping the
    second (Ctrl+C) stops every server of the first. flock goes away with the process, so a hub
    killed with kill -9 leaves no stale lock behind.
    """
    import fcntl

    path = room.state / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise RoomError(running_message(Path(room.folder), path.read_text(encoding="utf-8").strip() or "?")) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"포트 {room.port}, pid {os.getpid()}".encode())
    _held.append(fd)
    return fd


def note_jupyterhub(pid: int) -> None:
    """Add JupyterHub's pid to the lock: it outlives a command killed with kill -9 and keeps the lock."""
    for fd in _held:
        text = f"{os.pread(fd, 200, 0).decode()}, JupyterHub pid {pid}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode(), 0)


def running_message(folder: Path, who: str) -> str:
    from grader.batch import pid_alive as _alive

    command = re.search(r"(?<!JupyterHub )pid (\d+)", who)
    jupyterhub = re.search(r"JupyterHub pid (\d+)", who)
    if command and jupyterhub and not _alive(int(command.group(1))) and _alive(int(jupyterhub.group(1))):
        jh = jupyterhub.group(1)
        return (f"이 폴더({folder})의 허브 명령(pid {command.group(1)})은 끝났지만 JupyterHub(pid {jh})가 아직 "
                f"학습자 서버와 함께 실행 중입니다. {sudo()}kill {jh} 로 끄면(학습자 서버도 함께 꺼지고 파일은 남습니다) "
                "다시 실행할 수 있습니다.")
    return (f"이 폴더({folder})의 강의실 허브가 이미 실행 중입니다 ({who}). 같은 폴더로 허브를 하나 더 띄우면 "
            "두 허브가 학습자 서버를 함께 쓰다가, 하나를 끌 때 모든 학습자의 서버가 꺼집니다. 그 허브를 쓰거나 "
            "Ctrl+C로 끈 뒤 다시 실행하십시오. 다른 강의실이라면 COURSE_HUB_DIR 를 다른 폴더로 지정하십시오.")


def unreachable_parent(folder: Path) -> Path | None:
    """The first folder above `folder` that other accounts cannot pass through (no o+x), or None."""
    for parent in reversed(Path(folder).absolute().parents):
        if parent.exists() and not parent.stat().st_mode & 0o001:
            return parent
    return None


def unreachable_by_learners(room: Room) -> str | None:
    """Korean: the first folder learners' accounts need but cannot pass through, and the fix; or None.

    Their homes and the exchange, and the course's Python packages (`sys.prefix`): a clone under
    a 0700 folder (root's home) starts a hub whose every learner server fails to import Jupyter.
    """
    places = [(Path(room.homes), "COURSE_HUB_DIR 를 다른 곳으로 지정하십시오"),
              (Path(room.exchange), "COURSE_EXCHANGE 를 다른 곳으로 지정하십시오"),
              (Path(sys.prefix), "과정을 모두가 지나갈 수 있는 곳(예: /srv, /opt)에 새로 받으십시오(.venv는 만든 위치를 기억하므로 폴더를 옮기면 동작하지 않습니다)")]
    for path, elsewhere in places:
        blocked = unreachable_parent(path)
        if blocked:
            return (f"학습자 계정이 {blocked} 폴더를 지나갈 수 없어 {path}에 닿지 못합니다. "
                    f"chmod o+x {blocked} 로 지나가게 하거나 {elsewhere}.")
    return None


def hub_port(ip: str = HOST) -> int:
    """HUB_PORT (default 8100), free on `ip`; RoomError in Korean otherwise."""
    try:
        port = port_from_env("HUB_PORT", DEFAULT_PORT)
    except StartError as exc:  # the same wording as ./course start
        raise RoomError(str(exc)) from None
    if not port_is_free(port, ip):
        raise RoomError(f"포트 {josa(port, '을')} 이미 다른 프로그램이 쓰고 있습니다. 허브가 이미 실행 중인지 확인하거나 "
                        f"다른 포트를 지정하십시오: {sudo()}HUB_PORT={port + 1} ./course hub 명단.csv")
    return port


def sudo() -> str:
    """'sudo ' when this command runs under sudo: the commands it suggests need it too, with variables after it.

    sudo resets the environment (env_reset), so `HUB_PORT=8101 sudo ./course hub` keeps port 8100, and a
    `./course grade` without sudo cannot open the gradebook the root hub made (grader/work, 0700).
    """
    return "sudo " if os.environ.get("SUDO_USER") and hasattr(os, "geteuid") and os.geteuid() == 0 else ""


def hub_ip() -> str:
    """HUB_IP: 127.0.0.1 unless the instructor opens the room to the classroom's network."""
    import ipaddress

    raw = os.environ.get("HUB_IP", HOST)
    try:
        ipaddress.ip_address(raw)
    except ValueError:
        raise RoomError(f"HUB_IP={raw!r}: IP 주소가 아닙니다. 이 컴퓨터만이면 127.0.0.1, 교육장 네트워크에 열려면 "
                        "이 컴퓨터의 주소(예: 192.168.0.10)나 0.0.0.0을 지정하십시오.") from None
    return raw


def port_is_free(port: int, ip: str = HOST) -> bool:
    """Whether nothing listens on 127.0.0.1:`port`.

    Unlike `workshop.start.port_is_free`, with SO_REUSEADDR: the proxy binds that way, so the
    TIME_WAIT connections a hub stopped a moment ago leaves behind must not count as "in use".
    """
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((ip, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A free loopback port for the hub's own API and the proxy's (never the room's port)."""
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def secret_file(room: Room, name: str, make) -> str:
    """The secret kept in `state/<name>`, made by `make()` the first time (0600)."""
    path = room.state / name
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    return value


def _password(room: Room, env: str, minimum: int, file: str, make, rule: str) -> str:
    given = os.environ.get(env)
    if given is None:
        return secret_file(room, file, make)
    if len(given) < minimum:
        raise RoomError(f"{env}는 {minimum}자 이상이어야 합니다 (JupyterHub의 {rule} 규칙). 지금은 {len(given)}자입니다.")
    return given


def learner_password(room: Room) -> str:
    """The learners' shared password: $HUB_PASSWORD, else made once (JupyterHub wants 8+ characters)."""
    return _password(room, "HUB_PASSWORD", 8, "learner_password",
                     lambda: "-".join(secrets.token_hex(2) for _ in range(3)), "공유 비밀번호")


def instructor_password(room: Room) -> str:
    """The instructor's own password: $HUB_ADMIN_PASSWORD, else made once (32+ characters)."""
    return _password(room, "HUB_ADMIN_PASSWORD", 32, "instructor_password",
                     lambda: secrets.token_urlsafe(24), "관리자 비밀번호")


def learners_of(people: list[Learner]) -> list[dict]:
    return [{"id": p.id, "name": p.name} for p in people]
