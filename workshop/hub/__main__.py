"""`./course hub 명단.csv`: start the workshop room and keep it up until Ctrl+C."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # see workshop/hub/__init__.py

from grader.config import COURSE_ID, ROOT  # noqa: E402
from grader.exchange import exchange_root, prepare_exchange  # noqa: E402

from . import limits  # noqa: E402
from .accounts import check_accounts, is_root, prepare_home, protect_course_tree  # noqa: E402
from .python_env import PythonEnvError, learner_python  # noqa: E402
from . import launch  # noqa: E402
from .room import (HOST, Room, RoomError, _held, already_running, free_port, hold_room, hub_dir, hub_ip, hub_port,  # noqa: E402
                   instructor_password, learner_password, learners_of, make_folders, note_jupyterhub, parse_size, running_message, sudo,
                   unreachable_by_learners)
from .roster import HubRosterError, read_learners  # noqa: E402

CONFIG = Path(__file__).resolve().parent / "jupyterhub_config.py"
PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"


def build_parser() -> argparse.ArgumentParser:
    from grader.__main__ import Parser  # Korean headings and error lines, as ./course grade

    class HubParser(Parser):
        def error(self, message: str):
            for english, korean in {**self.TRANSLATIONS, "invalid float value": "숫자가 아닙니다"}.items():
                message = message.replace(english, korean)
            self.print_usage(sys.stderr)
            self.exit(2, f"[오류] 명령을 잘못 썼습니다: {message}\n       도움말: ./course hub -h\n")

    p = HubParser(prog="./course hub", description=(
        "워크숍 강의실: 명단의 학습자마다 JupyterLab 서버를 주는 JupyterHub를 띄웁니다."))
    p.add_argument("csv", type=Path, metavar="명단.csv", help="id,이름 열이 있는 명단 (./course grade roster 와 같은 형식)")
    p.add_argument("--root", type=Path, default=ROOT, metavar="폴더", help="과정 폴더 (기본: 이 저장소)")
    p.add_argument("--instructor", default=os.environ.get("HUB_INSTRUCTOR", "instructor"), metavar="ID",
                   help="강사(관리자)의 로그인 ID (기본: instructor)")
    p.add_argument("--memory", default=os.environ.get("HUB_MEM_LIMIT", "2G"), metavar="크기",
                   help="학습자 한 명의 메모리 한도 (기본 2G)")
    p.add_argument("--cpus", type=float, default=os.environ.get("HUB_CPU_LIMIT", "1"), metavar="개",
                   help="학습자 한 명의 CPU 한도 (기본 1)")
    p.add_argument("--idle-minutes", type=int, default=os.environ.get("HUB_IDLE_MINUTES", "60"), metavar="분",
                   help="이만큼 쓰지 않은 서버를 끕니다 (기본 60)")
    return p


def caller_path(path: Path) -> Path:
    """A relative path on the command line is the instructor's (./course changes to the repository)."""
    from grader.__main__ import caller_dir

    return path if path.is_absolute() else (caller_dir() / path).resolve()


def plan(args: argparse.Namespace) -> tuple[Room, list[str]]:
    """Check everything and set up the room's folders, accounts and homes; (room, Korean notes)."""
    notes: list[str] = []
    if not os.access(PROXY, os.X_OK):
        raise RoomError(f"configurable-http-proxy가 없습니다 ({PROXY}). ./course test tests/labkit -q 처럼 "
                        "./course 명령을 한 번 실행하면 npm ci 가 설치합니다.")
    running = already_running(hub_dir())  # before the port: a second hub on another port would take over the first's servers
    if running:
        raise RoomError(running_message(hub_dir(), running))
    ip = hub_ip()
    port = hub_port(ip)
    course = caller_path(args.root)
    if not (course / "labs").is_dir():
        raise RoomError(f"{course}에 labs/ 폴더가 없습니다. --root 에 과정 폴더를 주십시오.")
    learners = read_learners(caller_path(args.csv), reserved={args.instructor})
    isolated = is_root()
    if isolated:
        check_accounts(learners)
    if args.cpus <= 0:
        raise RoomError("--cpus 는 0보다 커야 합니다 (예: 0.5, 1, 2).")
    folder = hub_dir()
    room = Room(port=port, ip=ip, course=str(course), folder=str(folder), exchange=str(exchange_root()),
                learners=learners_of(learners), instructor=args.instructor, mem_limit=parse_size(args.memory),
                cpu_limit=args.cpus, idle_minutes=max(1, args.idle_minutes), isolated=isolated,
                course_python=str(Path(sys.prefix) / "bin" / "python"),
                proxy_api_port=free_port(), hub_api_port=free_port())
    make_folders(room)
    hold_room(room)
    learner_password(room)  # a password too short stops here, not inside JupyterHub's start
    instructor_password(room)
    if isolated:
        blocked = unreachable_by_learners(room)
        if blocked:
            raise RoomError(blocked)
    try:
        room.learner_python, note = learner_python(folder) if isolated else (room.course_python, None)
    except PythonEnvError as exc:
        raise RoomError(str(exc)) from None
    if note:
        notes.append(note)
    if isolated:
        notes += protect_course_tree(course)
    prepare_exchange(Path(room.exchange))
    for person in learners:
        prepare_home(room, person)
    room.save()
    return room, notes


def roster_into_gradebook(room: Room, csv: Path) -> str:
    """The same roster in the course's gradebook (`./course grade roster`): names in exports, 0 for no-shows."""
    from grader.roster import import_roster

    report = import_roster(Path(room.course), csv)
    return f"성적부에도 명단을 넣었습니다 (새로 {len(report.added)}명, 이름 바꿈 {len(report.renamed)}명)."


def isolation_lines(room: Room) -> list[str]:
    enforced, why = limits.available()
    mem = f"{room.mem_limit / 1024 ** 3:g} GB"
    lines = []
    if room.isolated:
        lines.append("• 학습자마다 시스템 계정과 홈 폴더(권한 700)가 있어, 다른 학습자의 파일·제출물·피드백을 읽을 수 없습니다.")
    else:
        lines += [
            "[주의] root가 아니라서 학습자마다 시스템 계정을 만들 수 없습니다.",
            "       격리되는 것: 로그인과 주소. 허브는 다른 학습자의 서버 주소(/user/<ID>/)를 열어 주지 않습니다.",
            "       격리되지 않는 것: 파일. 모든 서버가 이 계정으로 실행되므로 터미널이나 코드로 다른 학습자의 폴더,",
            "       제출물, 피드백을 읽을 수 있고, nbgrader는 제출자를 이 계정 이름으로 기록합니다.",
            "       채점하는 과제라면 sudo ./course hub 로 실행하십시오 (강사 가이드 → 강의실 허브).",
        ]
    if enforced:
        lines.append(f"• {why} (한 명에 메모리 {mem}, CPU {room.cpu_limit:g}개)")
    else:
        lines.append(f"[주의] {why}")
    lines.append(f"• {room.idle_minutes}분 동안 쓰지 않은 서버는 끕니다 (jupyterhub-idle-culler). 파일은 그대로 남습니다.")
    return lines


def start_hub(room: Room) -> subprocess.Popen:
    env = {**os.environ, "COURSE_HUB_ROOM": str(room.state / "room.json")}
    env.pop("JUPYTERHUB_API_TOKEN", None)
    log = open(room.state / "jupyterhub.log", "ab")  # noqa: SIM115 (lives as long as the hub)
    return subprocess.Popen([sys.executable, "-c", launch("jupyterhub.app:main"), "-f", str(CONFIG)], cwd=room.state, env=env,
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            pass_fds=tuple(_held))  # the room's lock lives as long as JupyterHub, too


def wait_ready(room: Room, hub: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.poll() is not None:
            tail = (room.state / "jupyterhub.log").read_text(errors="replace").splitlines()[-8:]
            raise RoomError("JupyterHub가 시작하자마자 멈췄습니다. 기록의 마지막 줄:\n       "
                            + "\n       ".join(tail) + f"\n       전체 기록: {room.state / 'jupyterhub.log'}")
        try:
            here = HOST if room.ip in ("0.0.0.0", "::") else room.ip
            with urllib.request.urlopen(f"http://{here}:{room.port}/hub/api/", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RoomError(f"JupyterHub가 {timeout:.0f}초 안에 응답하지 않았습니다. {room.state / 'jupyterhub.log'}를 확인하십시오.")


def stop_hub(hub: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 40) -> None:
    """`sig` (JupyterHub stops every learner's server and the proxy), then SIGKILL to what is left of its group."""
    if hub.poll() is None:
        hub.send_signal(sig)
        try:
            hub.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(hub.pid, signal.SIGKILL)
    except OSError:
        pass
    hub.wait()


def _stop_on_signal(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def summary(room: Room, notes: list[str]) -> str:
    grade = "./course grade" + ("" if Path(room.course) == ROOT else f" --root {room.course}")
    exch = sudo() + ("" if os.environ.get("COURSE_EXCHANGE") is None else f"COURSE_EXCHANGE={room.exchange} ")
    lines = [
        "", f"강의실 허브가 준비되었습니다: {room.url}",
        f"  학습자 {len(room.learners)}명: 명단의 ID와 공유 비밀번호 {learner_password(room)}",
        f"  강사(관리자): ID {room.instructor}, 비밀번호 {instructor_password(room)}",
        f"  허브 상태와 학습자 홈: {room.folder}",
        f"  nbgrader 교환 폴더: {room.exchange} (과정 ID {COURSE_ID})",
        *isolation_lines(room), *(f"• {n}" for n in notes),
        *([] if room.ip == HOST else [
            "[주의] 교육장 네트워크에 열었습니다. 비밀번호가 암호화되지 않은 HTTP로 오가므로 믿을 수 있는 내부망에서만 쓰십시오."]),
        "",
        "과제 흐름 (다른 터미널에서):",
        f"  {exch}{grade} release lab00 --exchange    # 학습자의 과제 목록(Assignments)에 올립니다",
        f"  {exch}{grade} collect lab00              # 제출물을 모읍니다 (두 번 낸 학습자는 마지막 것)",
        f"  {exch}{grade} autograde lab00            # 격리된 환경에서 병렬로 채점합니다",
        f"  {exch}{grade} feedback lab00 --exchange   # 각자의 과제 목록으로 피드백을 돌려줍니다",
        "", "끝내려면 Ctrl+C를 누르십시오 (학습자 서버도 모두 끕니다).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    hub = None
    try:
        room, notes = plan(args)
        hub = start_hub(room)
        note_jupyterhub(hub.pid)
        notes.append(roster_into_gradebook(room, caller_path(args.csv)))  # while JupyterHub starts
        wait_ready(room, hub)
        print(summary(room, notes), flush=True)
        while hub.poll() is None:
            time.sleep(0.5)
        print(f"\n[오류] JupyterHub가 멈췄습니다. {room.state / 'jupyterhub.log'}를 확인하십시오.", file=sys.stderr)
        return 1
    except (RoomError, HubRosterError) as exc:
        print(f"\n[오류] {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n허브와 학습자 서버를 끕니다.", flush=True)
        return 0
    finally:
        if hub is not None:
            stop_hub(hub)


if __name__ == "__main__":
    sys.exit(main())
