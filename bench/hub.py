"""Benchmark: a room of N simulated learners on `./course hub`, then the instructor grades them all.

Each simulated learner does what a person in the room does, over HTTP on loopback only: logs in
through the hub's login form (the shared password), starts their server, waits until JupyterLab
answers, fetches lab01 from nbgrader's assignment list, types the answers in (the instructor's
solution) and saves, runs the notebook top to bottom through jupyter_server's REST API and the
kernel websocket, and submits. Then the instructor collects and grades every submission with the
course's grader. N learners start at the same moment; each size is measured on the same hub.

Printed: time to a usable server per learner, lab01's run time at each N against one learner
alone, memory per learner (peak RSS of everything the learner's account runs: server, kernel,
the offline cloud), grading time for the room, and the largest N measured whose median lab01
time stays under twice the single-learner time. The load average is printed beside every figure:
on a shared machine other work slows every round.

Bounded: at most --max learners, every round has a deadline (--round-minutes), the whole run a
budget (--budget-minutes); what did not finish in time is reported as such. Everything runs as
root on 127.0.0.1 (the hub makes one system account per learner); at the end the hub, every
server and kernel, the accounts it made and the temporary folder go.

    sudo .venv/bin/python bench/hub.py                       # N = 1, 2, 4, 10, 30
    sudo .venv/bin/python bench/hub.py --sizes 1,3 --round-minutes 10
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import pwd
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout, whichever Python runs it

import nbformat  # noqa: E402
import psutil  # noqa: E402
import requests  # noqa: E402

from grader.config import COURSE_ID, ROOT  # noqa: E402

LAB = "lab01"
PREFIX = "hubbench"
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
PASSWORD = "bench-" + uuid.uuid4().hex[:12]
ADMIN_PASSWORD = uuid.uuid4().hex + uuid.uuid4().hex[:8]
INSTRUCTOR = "instructor"


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers() -> dict[str, str]:
    """lab01's solution cells as a learner would type them (no nbgrader markers), by grade id."""
    nb = nbformat.read(ROOT / "solutions" / LAB / f"{LAB}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: MARKER.sub("", c.source)
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


@dataclass
class Result:
    name: str
    ready_s: float | None = None      # login -> JupyterLab answers
    run_s: float | None = None        # lab01, first cell to last
    cells: int = 0
    cell_errors: int = 0
    submitted: bool = False
    peak_rss_mb: float = 0.0
    error: str = ""


class Learner:
    """One learner's browser: a cookie jar and the XSRF tokens the hub and the server ask for."""

    def __init__(self, base: str, name: str, password: str):
        self.base, self.name, self.password = base, name, password
        self.s = requests.Session()
        self.user = f"{base}user/{name}/"

    def _xsrf(self, path: str) -> str:
        found = [c for c in self.s.cookies if c.name == "_xsrf"]
        exact = [c.value for c in found if c.path.rstrip("/") == path.rstrip("/")]
        near = [c.value for c in found if c.path.startswith(path.rstrip("/"))]
        return (exact or near or [""])[0]

    def login(self) -> None:
        self.s.get(f"{self.base}hub/login", timeout=60).raise_for_status()
        r = self.s.post(f"{self.base}hub/login", data={"username": self.name, "password": self.password,
                                                         "_xsrf": self._xsrf("/hub/")}, timeout=120, allow_redirects=False)
        if r.status_code != 302:
            raise RuntimeError(f"login {self.name}: HTTP {r.status_code}")

    def start(self, deadline: float) -> None:
        """Ask for the server (what /hub/spawn does) and wait until JupyterLab answers through the proxy."""
        self.s.get(f"{self.base}hub/spawn/{self.name}", timeout=120)
        while time.monotonic() < deadline:
            # Until the server is up the proxy sends /user/<name>/ to the hub's spawn-pending page;
            # once it is, the page goes through the hub's OAuth and JupyterLab answers (its _xsrf cookie set).
            lab = self.s.get(f"{self.user}lab", timeout=60)
            if lab.status_code == 200 and f"/user/{self.name}/lab" in lab.url:
                if self.s.get(f"{self.user}api/kernelspecs", timeout=60).status_code == 200:
                    return
            time.sleep(0.5)
        raise TimeoutError(f"{self.name}: server not ready in time")

    def api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"X-XSRFToken": self._xsrf(f"/user/{self.name}/")}
        r = self.s.request(method, f"{self.user}{path}", headers=headers, timeout=kw.pop("timeout", 300), **kw)
        r.raise_for_status()
        return r

    def fetch_and_answer(self, typed: dict[str, str]) -> tuple[str, nbformat.NotebookNode]:
        out = self.api("POST", "assignments/fetch", data={"course_id": COURSE_ID, "assignment_id": LAB}).json()
        if not out.get("success"):
            raise RuntimeError(f"fetch: {out.get('error') or out}"[-300:])
        path = f"{LAB}/{LAB}.ipynb"
        model = self.api("GET", f"api/contents/{path}", params={"content": "1"}).json()
        nb = nbformat.from_dict(model["content"])
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id in typed:
                cell.source = typed[grade_id]
        self.api("PUT", f"api/contents/{path}", json={"type": "notebook", "format": "json", "content": nb})
        return path, nb

    def run(self, path: str, nb: nbformat.NotebookNode, result: Result, deadline: float) -> None:
        sess = self.api("POST", "api/sessions", json={"path": path, "type": "notebook", "name": "",
                                                      "kernel": {"name": "python3"}}).json()
        try:
            asyncio.run(self._execute(sess["kernel"]["id"], [c.source for c in nb.cells if c.cell_type == "code"],
                                      result, deadline))
        finally:
            try:
                self.api("DELETE", f"api/sessions/{sess['id']}", timeout=60)
            except requests.RequestException:
                pass

    async def _execute(self, kernel: str, cells: list[str], result: Result, deadline: float) -> None:
        """Every code cell in order over the kernel websocket, as JupyterLab sends them."""
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        session = uuid.uuid4().hex
        url = self.user.replace("http://", "ws://") + f"api/kernels/{kernel}/channels?session_id={session}"
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.s.cookies)
        ws = await websocket_connect(HTTPRequest(url, headers={"Cookie": cookie}, request_timeout=120,
                                                 connect_timeout=120), max_message_size=64 * 1024 * 1024)
        started = time.monotonic()
        try:
            for code in cells:
                msg_id = uuid.uuid4().hex
                ws.write_message(json.dumps({
                    "header": {"msg_id": msg_id, "username": self.name, "session": session, "msg_type": "execute_request",
                               "version": "5.3", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                    "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                    "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                                "allow_stdin": False, "stop_on_error": False}}))
                replied = idle = False
                while not (replied and idle):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"{self.name}: lab01 did not finish in time")
                    raw = await asyncio.wait_for(ws.read_message(), timeout=left)
                    if raw is None:
                        raise RuntimeError(f"{self.name}: kernel websocket closed")
                    msg = json.loads(raw)
                    if msg.get("parent_header", {}).get("msg_id") != msg_id:
                        continue
                    kind = msg["header"]["msg_type"]
                    if kind == "execute_reply":
                        replied = True
                        result.cell_errors += msg["content"].get("status") != "ok"
                    elif kind == "status" and msg["content"].get("execution_state") == "idle":
                        idle = True
                result.cells += 1
            result.run_s = time.monotonic() - started
        finally:
            ws.close()

    def submit(self) -> None:
        out = self.api("POST", "assignments/submit", data={"course_id": COURSE_ID, "assignment_id": LAB}).json()
        if not out.get("success"):
            raise RuntimeError(f"submit: {out.get('error') or out}"[-300:])


def learner_session(base: str, name: str, typed: dict[str, str], deadline: float, result: Result) -> None:
    t0 = time.monotonic()
    try:
        learner = Learner(base, name, PASSWORD)
        learner.login()
        learner.start(deadline)
        result.ready_s = time.monotonic() - t0
        path, nb = learner.fetch_and_answer(typed)
        learner.run(path, nb, result, deadline)
        learner.submit()
        result.submitted = True
    except Exception as exc:  # one learner's failure is a figure, not the end of the bench
        result.error = f"{type(exc).__name__}: {exc}"[:300]


class MemorySampler(threading.Thread):
    """Peak RSS per learner account (all its processes together), sampled every few seconds."""

    def __init__(self, names: list[str], every: float = 3.0):
        super().__init__(daemon=True)
        self.uids = {pwd.getpwnam(n).pw_uid: n for n in names}
        self.peak = {n: 0.0 for n in names}
        self.every, self.done = every, threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            total: dict[str, float] = {}
            for p in psutil.process_iter(["uids", "memory_info"]):
                try:
                    name = self.uids.get(p.info["uids"].real)
                    if name:
                        total[name] = total.get(name, 0.0) + p.info["memory_info"].rss / 2 ** 20
                except (psutil.Error, AttributeError, TypeError):
                    continue
            for name, mb in total.items():
                self.peak[name] = max(self.peak[name], mb)


class Room:
    """`./course hub` for the bench's roster, in a temporary folder, and the admin's session."""

    def __init__(self, tmp: Path, names: list[str]):
        self.tmp, self.names = tmp, names
        self.course = tmp / "course"
        self.exchange = tmp / "exchange"
        self.hubdir = tmp / "hub"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        self.env = {**os.environ, "COURSE_EXCHANGE": str(self.exchange), "COURSE_HUB_DIR": str(self.hubdir),
                    "HUB_PORT": str(self.port), "HUB_PASSWORD": PASSWORD, "HUB_ADMIN_PASSWORD": ADMIN_PASSWORD,
                    "HUB_INSTRUCTOR": INSTRUCTOR}
        self.proc: subprocess.Popen | None = None

    def grader(self, *args: str, timeout: float = 3600) -> tuple[float, subprocess.CompletedProcess]:
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "grader", "--root", str(self.course), *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"grader {' '.join(args)}: {proc.stdout[-800:]}{proc.stderr[-1500:]}")
        return time.monotonic() - t0, proc

    def prepare(self) -> None:
        self.tmp.chmod(0o755)
        shutil.copytree(ROOT / "solutions" / LAB, self.course / "solutions" / LAB)
        (self.course / "labs").mkdir(parents=True)
        self.exchange.mkdir()
        self.grader("release", LAB, "--exchange")
        roster = self.tmp / "roster.csv"
        with open(roster, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["id", "이름"])
            for i, n in enumerate(self.names, 1):
                w.writerow([n, f"학습자{i:02d}"])
        self.roster = roster

    def start(self) -> None:
        log = open(self.tmp / "hub.out", "wb")  # noqa: SIM115 (lives as long as the hub)
        self.proc = subprocess.Popen([sys.executable, "-m", "workshop.hub", str(self.roster), "--root", str(self.course)],
                                     env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("hub stopped: " + (self.tmp / "hub.out").read_text(errors="replace")[-2000:])
            if "준비되었습니다" in (self.tmp / "hub.out").read_text(errors="replace"):
                return
            time.sleep(1)
        raise TimeoutError("hub not ready in 300 s")

    def admin(self) -> Learner:
        admin = Learner(self.base, INSTRUCTOR, ADMIN_PASSWORD)
        admin.login()
        return admin

    def stop_servers(self, names: list[str]) -> None:
        """Stop the round's servers and give the learners a fresh home for the next round."""
        from workshop.hub.room import Room as HubRoom

        admin = self.admin()
        headers = {"X-XSRFToken": admin._xsrf("/hub/")}
        for n in names:
            admin.s.delete(f"{self.base}hub/api/users/{n}/server", headers=headers, timeout=120)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            users = admin.s.get(f"{self.base}hub/api/users", headers=headers, timeout=60).json()
            if not any(u["name"] in names and u.get("servers") for u in users):
                break
            time.sleep(1)
        hub_room = HubRoom.load(self.hubdir / "state" / "room.json")
        for n in names:
            shutil.rmtree(hub_room.home_of(n) / LAB, ignore_errors=True)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # the hub stops every server, then itself
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                pass
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        for n in self.names:  # anything a learner's account still runs was started by this bench
            try:
                uid = pwd.getpwnam(n).pw_uid
            except KeyError:
                continue
            for p in psutil.process_iter(["uids"]):
                try:
                    if p.info["uids"].real == uid:
                        p.kill()
                except psutil.Error:
                    pass
        from workshop.hub.accounts import remove_account

        for n in self.names:
            remove_account(n)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def fmt(x: float | None, unit: str = "s") -> str:
    return "—" if x is None else f"{x:.1f}{unit}"


def run_round(room: Room, n: int, typed: dict[str, str], minutes: float) -> dict:
    names = room.names[:n]
    results = [Result(name) for name in names]
    deadline = time.monotonic() + minutes * 60
    sampler = MemorySampler(names)
    sampler.start()
    before = load()
    threads = [threading.Thread(target=learner_session, args=(room.base, r.name, typed, deadline, r), daemon=True)
               for r in results]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1.0, deadline - time.monotonic() + 30))
    wall = time.monotonic() - t0
    sampler.done.set()
    for r in results:
        r.peak_rss_mb = round(sampler.peak[r.name], 1)
    row = {
        "n": n, "wall_s": round(wall, 1), "load_before": before, "load_after": load(),
        "ready_median_s": median([r.ready_s for r in results if r.ready_s is not None]),
        "ready_max_s": max([r.ready_s for r in results if r.ready_s is not None], default=None),
        "run_median_s": median([r.run_s for r in results if r.run_s is not None]),
        "run_max_s": max([r.run_s for r in results if r.run_s is not None], default=None),
        "finished": sum(r.run_s is not None for r in results), "submitted": sum(r.submitted for r in results),
        "cell_errors": sum(r.cell_errors for r in results),
        "rss_median_mb": median([r.peak_rss_mb for r in results if r.peak_rss_mb]),
        "errors": sorted({r.error for r in results if r.error})[:3],
        "learners": [r.__dict__ for r in results],
    }
    return row


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1,2,4,10,30", help="learner counts, in order (default 1,2,4,10,30)")
    p.add_argument("--max", type=int, default=30, help="never more learners than this (default 30)")
    p.add_argument("--round-minutes", type=float, default=15, help="deadline of one round (default 15)")
    p.add_argument("--budget-minutes", type=float, default=55, help="no new round after this (default 55)")
    p.add_argument("--json", type=Path, help="also write every figure here")
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        print("root로 실행하십시오: 허브가 학습자마다 시스템 계정을 만듭니다 (sudo .venv/bin/python bench/hub.py).",
              file=sys.stderr)
        return 2
    sizes = [min(int(x), args.max) for x in args.sizes.split(",")]
    names = [f"{PREFIX}{i:02d}" for i in range(1, max(sizes) + 1)]
    typed = answers()
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-", dir="/tmp"))
    room = Room(tmp, names)
    rows, grading = [], {}
    interrupted = False

    def stop_now(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_now)
    try:
        print(f"hub bench {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
              f"{psutil.virtual_memory().total / 2 ** 30:.0f} GB, load {load()}", flush=True)
        room.prepare()
        room.start()
        print(f"hub up on {room.base} (load {load()})", flush=True)
        for n in sizes:
            if time.monotonic() - started > args.budget_minutes * 60:
                print(f"N={n}: skipped, the bench's {args.budget_minutes:g}-minute budget is spent", flush=True)
                continue
            row = run_round(room, n, typed, args.round_minutes)
            rows.append(row)
            base = rows[0]["run_median_s"]
            ratio = row["run_median_s"] / base if base and row["run_median_s"] else None
            row["ratio"] = ratio
            print(f"N={n:>2}: ready median {fmt(row['ready_median_s'])} max {fmt(row['ready_max_s'])}, "
                  f"lab01 median {fmt(row['run_median_s'])} max {fmt(row['run_max_s'])}"
                  f" ({'—' if ratio is None else f'{ratio:.2f}×'} of N=1), finished {row['finished']}/{n}, "
                  f"submitted {row['submitted']}/{n}, cell errors {row['cell_errors']}, "
                  f"peak RSS median {fmt(row['rss_median_mb'], ' MB')}, wall {row['wall_s']:.0f}s, "
                  f"load {row['load_before']} -> {row['load_after']}", flush=True)
            for e in row["errors"]:
                print(f"      error: {e}", flush=True)
            room.stop_servers(names[:n])
        submitted = max((r["submitted"] for r in rows), default=0)
        if submitted:
            t_collect, _ = room.grader("collect", LAB)
            load_before = load()
            t_grade, proc = room.grader("autograde", LAB, "--quiet", timeout=1800)
            from collections import Counter

            from grader.results import ResultStore

            marks = Counter(f"{o.score:g}/{o.max_score:g}" for o in ResultStore(room.course).all(LAB))
            grading = {"submissions": submitted, "collect_s": round(t_collect, 1), "autograde_s": round(t_grade, 1),
                       "load_before": load_before, "load_after": load(), "scores": dict(marks),
                       "report": proc.stdout.strip()[-300:]}
            print(f"grading: collect {t_collect:.1f}s, autograde {t_grade:.1f}s for the room's submissions "
                  f"(load {load_before} -> {load()}): {proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ''}; "
                  f"scores {', '.join(f'{k} ×{v}' for k, v in sorted(marks.items()))}", flush=True)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: stopping everything", flush=True)
    finally:
        room.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    base = rows[0]["run_median_s"] if rows else None
    holding = [r["n"] for r in rows if base and r["run_median_s"] and r["finished"] == r["n"]
               and r["run_median_s"] < 2 * base]
    summary = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cores": os.cpu_count(),
               "memory_gb": round(psutil.virtual_memory().total / 2 ** 30), "rounds": rows, "grading": grading,
               "largest_n_under_2x": max(holding, default=None), "interrupted": interrupted}
    print(f"largest N measured with lab01 under 2× its single-learner time: {summary['largest_n_under_2x']}")
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
