"""A room of three learners, end to end: `./course hub`, a real browser, the nbgrader exchange, the grader.

The hub command brings up JupyterHub for a roster of three (Korean names). Chromium logs in as
each learner, opens nbgrader's assignment list, fetches lab00 and submits it: one full solution,
one learner twice (a blank notebook first, then the solution: the latest counts), one partial
answer after the deadline. One learner's server is killed (as the kernel's OOM killer would)
and comes back from the hub's Korean "server stopped" page. The instructor releases, collects,
grades with the course's grader (sandboxed, parallel) and returns feedback; each learner sees
their own feedback in their own assignment list and is refused everyone else's, by the hub (403)
and by the file system (their own account). Screenshots go to test-artifacts/hub/.

Needs root (the hub makes the learners' accounts), useradd and /usr/bin/chromium. Loopback only;
every process is stopped at the end, on failure too.
"""
from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import nbformat
import pytest

from grader.config import ROOT
from workshop.browser_checks import CHROMIUM, CHROMIUM_ARGS, chromium_missing_reason, hangul_boxes
from workshop.hub.__main__ import stop_hub
from workshop.hub.accounts import remove_account
from workshop.hub.room import Room, unreachable_by_learners

from grading.helpers import PARTIAL_SCORES, answered, partial_answers

SHOTS = ROOT / "test-artifacts" / "hub"
NAMES = ("김민준", "이서연", "박서준")
PASSWORD = "room-" + uuid.uuid4().hex[:10]
ADMIN_PASSWORD = "instructor-" + uuid.uuid4().hex  # JupyterHub wants 32 characters or more
LAB_TIMEOUT_MS = 120_000  # three servers starting at once on two busy cores


def _requirements() -> str | None:
    if os.geteuid() != 0:
        return "허브가 학습자 계정을 만들려면 root 권한이 필요해 건너뜁니다 (sudo ./course test tests/hub)."
    if not shutil.which("useradd"):
        return "useradd 가 없어 건너뜁니다."
    return chromium_missing_reason()


def _layout_reason() -> str | None:
    """Why this checkout's layout cannot host a room (its .venv under a folder learners cannot pass), or None.

    A fact of where the clone sits, not a defect: the test is skipped with the hub's own Korean message.
    """
    probe = Room(port=0, course=str(ROOT), folder="/tmp", exchange="/tmp", isolated=True,
                 mem_limit=1, cpu_limit=1, idle_minutes=1)
    message = unreachable_by_learners(probe)
    return "이 클론에서는 강의실 허브를 띄울 수 없어 건너뜁니다: " + message if message else None


@pytest.fixture(scope="module")
def room():
    """The hub command, running for three learners; stopped (and its accounts removed) afterwards."""
    reason = _requirements()
    if reason:
        (pytest.fail if os.environ.get("COURSE_REQUIRE_BROWSER") == "1" and os.geteuid() == 0 else pytest.skip)(reason)
    layout = _layout_reason()
    if layout:
        pytest.skip(layout)
    top = Path(tempfile.mkdtemp(prefix="hub-e2e-", dir="/tmp"))
    os.chmod(top, 0o711)  # learners pass through to their homes and the exchange, and list nothing
    course = top / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copytree(ROOT / "solutions" / "lab00", course / "solutions" / "lab00")
    (course / "labs").mkdir()
    (course / "grader").mkdir()
    (course / "tests").mkdir()  # as a clone has: answers to the labs in the project's tests
    (course / "tests" / "test_lab00_grading.py").write_text("ANSWER = 'print(\"안녕하세요, 서버리스!\")'\n")
    os.chmod(course, 0o755)  # as a clone is (the instructor's repository, with git's umask)
    for cmd in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "course"]):
        subprocess.run(["git", "-C", str(course), *cmd], check=True, capture_output=True)  # the history has solutions/
    tag = uuid.uuid4().hex[:5]
    ids = [f"h{tag}{letter}" for letter in "abc"]
    roster = top / "명단.csv"
    roster.write_text("학번,이름\n" + "".join(f"{i},{n}\n" for i, n in zip(ids, NAMES)), encoding="utf-8")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HUB_PORT": str(port), "HUB_PASSWORD": PASSWORD, "HUB_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "COURSE_HUB_DIR": str(top / "hub"), "COURSE_EXCHANGE": str(top / "exchange"), "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    hub = subprocess.Popen([sys.executable, "-m", "workshop.hub", str(roster), "--root", str(course)], cwd=ROOT,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in hub.stdout:
            lines.append(line)
            if "준비되었습니다" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    info = {"top": top, "course": course, "ids": ids, "names": dict(zip(ids, NAMES)), "port": port, "env": env,
            "base": f"http://127.0.0.1:{port}", "hub": hub, "lines": lines, "started": started}
    try:
        assert ready.wait(90), "허브가 90초 안에 준비되지 않았습니다:\n" + "".join(lines)
        info["ready_after"] = time.monotonic() - started
        yield info
    finally:
        stop_hub(hub, signal.SIGINT, 60)  # Ctrl+C: the command stops JupyterHub, which stops the servers
        log = top / "hub" / "state" / "jupyterhub.log"
        if log.is_file():  # kept for a failure's post-mortem (test-artifacts/ is git-ignored)
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, SHOTS / "jupyterhub.log")
        leftovers = kill_processes_of(ids)
        for user in ids:
            remove_account(user)
            subprocess.run(["groupdel", user], capture_output=True)
        shutil.rmtree(top, ignore_errors=True)
        info["leftovers"] = leftovers


def processes_of(users: list[str]) -> list[int]:
    uids = set()
    for user in users:
        try:
            uids.add(pwd.getpwnam(user).pw_uid)
        except KeyError:
            pass
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in uids:
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def kill_processes_of(users: list[str]) -> list[int]:
    """Kill (by pid) what still runs as the test's learners; return those pids."""
    left = processes_of(users)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return left


def grade(info: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "grader", "--root", str(info["course"]), *args], cwd=ROOT,
                          env=info["env"], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"grader {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def loopback_only(context) -> list[str]:
    outside: list[str] = []

    def guard(route):
        if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    context.route("**/*", guard)
    return outside


def log_in(page, base: str, user: str, password: str = PASSWORD) -> None:
    page.goto(base + "/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", password)
    page.click("#login_submit")


def assignment_list(page) -> list[str]:
    """Open nbgrader's assignment list from its menu (in Korean: serverless-workshop-korean); return the menu's items."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    items = [t for t in page.locator(".lm-Menu-itemLabel").all_inner_texts() if t.strip()]
    page.locator(".lm-Menu-itemLabel", has_text="과제 목록").click()
    page.locator("#released_assignments_list, #fetched_assignments_list").first.wait_for()
    return items


def assert_assignment_list_in_korean(page) -> None:
    """Every label nbgrader writes in English is Korean, drawn as glyphs, with times in the browser's zone."""
    panel = page.locator("#assignments")
    deadline = time.monotonic() + 10
    while "Released" in panel.inner_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    text = panel.inner_text()
    for label in ("과정:", "받을 수 있는 과제", "받은 과제", "제출한 과제"):
        assert label in text, text
    for english in ("Released", "Downloaded", "Submitted assignments", "Fetch", "Submit", "There are no", " UTC"):
        assert english not in text, (english, text)
    assert not hangul_boxes(panel)["boxes"]
    assert page.locator(".lm-TabBar-tabLabel", has_text="과제").count() >= 1
    assert "Assignments" not in page.locator(".jp-StatusBar-TextItem").all_inner_texts()


def write_as(user: str, path: Path, nb) -> None:
    """What the learner typed and saved (written for them, owned by them)."""
    nbformat.write(nb, path)
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def submit(page, count: int) -> None:
    page.locator("#fetched_assignments_list button", has_text="제출").click()
    page.locator("#submitted_assignments_list .list_item .col-md-12 ~ div, #submitted_assignments_list li, "
                 "#submitted_assignments_list .list_item div div").first.wait_for()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", page.locator("#submitted_assignments_list").inner_text())) >= count:
            return
        time.sleep(0.3)
    raise AssertionError(f"제출 {count}번째가 과제 목록에 나타나지 않았습니다: {page.locator('#submitted_assignments_list').inner_text()}")


def inbound_times(info: dict, user: str) -> list[str]:
    inbound = info["top"] / "exchange" / "serverless-workshop" / "inbound"
    return sorted(p.name.split("+")[2] for p in inbound.iterdir() if p.name.startswith(f"{user}+lab00+"))


def as_learner(user: str, *cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", user, "--", *cmd], capture_output=True, text=True, timeout=30)


def test_three_learners_fetch_submit_and_each_sees_only_their_own_feedback(room):
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    t0 = time.monotonic()
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        phases[name] = time.monotonic() - t0 - sum(phases.values())

    base, ids, course = room["base"], room["ids"], room["course"]
    a, b, c = ids
    homes = room["top"] / "hub" / "home"
    summary = "".join(room["lines"])
    assert "학습자 3명" in summary and PASSWORD in summary and "교환 폴더" in summary
    assert "시스템 계정과 홈 폴더" in summary, summary

    # The instructor releases lab00 into the exchange while the learners log in.
    released: dict[str, str] = {}
    releasing = threading.Thread(target=lambda: released.update(out=grade(room, "release", "lab00", "--exchange")))
    releasing.start()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        pages = {}
        try:
            outside = []
            for user in ids:
                context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ko-KR",
                                              timezone_id="Asia/Seoul")
                context.set_default_timeout(60_000)
                outside.append(loopback_only(context))
                pages[user] = context.new_page()
            # Login page: Korean, and drawn in the course's font (this machine has no Korean font).
            pages[a].goto(base + "/hub/login")
            heading = pages[a].locator(".auth-form-header h1")
            assert "로그인" in heading.inner_text()
            drawn = hangul_boxes(pages[a].locator("#login-main"))
            shot(pages[a], "01-login.png")
            assert drawn["checked"] and not drawn["boxes"], drawn
            log_in(pages[a], base, a, "wrong-password")
            assert "로그인하지 못했습니다" in pages[a].locator(".login_error").inner_text()
            for user in ids:  # all three spawn at once, as in a room
                log_in(pages[user], base, user)
            spawning, pending = pages[c], None  # the last to log in; JupyterHub shows this page after 10 s of spawning
            try:
                spawning.wait_for_url("**/spawn-pending/**", timeout=20_000)
                spawning.locator("#progress-log .progress-log-event").first.wait_for(state="attached", timeout=20_000)
                pending = spawning.evaluate("document.querySelector('#progress-bar').closest('.container').textContent")
                drawn = hangul_boxes(spawning.locator(".container").first)
                shot(spawning, "01b-spawn-pending.png")
            except PlaywrightError:  # the server was up first (within slow_spawn_timeout, or while reading the page)
                pass
            if pending is not None:
                assert "서버를 준비하고 있습니다" in pending and "서버 끄기" in pending and "서버를 요청했습니다" in pending, pending
                for english in ("Server requested", "Spawning server", "Event log", "Stop Server", "Complete"):
                    assert english not in pending, english
                assert not drawn["boxes"], drawn
            for user in ids:
                pages[user].wait_for_url(f"**/user/{user}/lab**", timeout=LAB_TIMEOUT_MS)
                pages[user].locator(".jp-LabShell").wait_for(timeout=LAB_TIMEOUT_MS)
            room["servers_up_after"] = time.monotonic() - t0
            phase("login page, 3 logins and servers")
            menubar = pages[a].locator(".lm-MenuBar-content").inner_text()
            assert "파일" in menubar and "Nbgrader" in menubar, menubar
            pages[a].locator(".jp-DirListing-itemText", has_text="labs").wait_for()
            shot(pages[a], "02-jupyterlab.png")
            assert not hangul_boxes(pages[a].locator(".lm-MenuBar-content"))["boxes"]
            # The instructor's nbgrader tools are not the learners'.
            formgrader = pages[a].request.get(f"{base}/user/{a}/formgrader")
            assert formgrader.status == 404, formgrader.status

            releasing.join(120)
            assert "교환 폴더로 내보냈습니다" in released.get("out", ""), released
            mine = {user: homes / user / "lab00" / "lab00.ipynb" for user in ids}
            for user in ids:  # the three fetch at once
                assert assignment_list(pages[user]) == ["과제 목록"]  # no formgrader, no course list
                pages[user].locator("#released_assignments_list button", has_text="받기").click()
            for user in ids:
                pages[user].locator("#fetched_assignments_list button", has_text="제출").wait_for()
                assert mine[user].is_file() and mine[user].stat().st_uid == pwd.getpwnam(user).pw_uid
            shot(pages[a], "03-fetched.png")
            phase("release wait, 3 fetches")


            write_as(a, mine[a], answered(course))
            submit(pages[a], 1)
            submit(pages[b], 1)                       # b: the blank release first...
            write_as(b, mine[b], answered(course))
            time.sleep(1.1)                           # (nbgrader's timestamps: a later second)
            submit(pages[b], 2)                       # ...then the solution: the latest counts
            time.sleep(1.1)
            write_as(c, mine[c], answered(course, partial_answers()))
            submit(pages[c], 1)                       # c: after the deadline set below
            shot(pages[b], "04-submitted-twice.png")
            assert_assignment_list_in_korean(pages[b])
            (last_on_time,) = inbound_times(room, b)[-1:]
            # nbgrader's "… UTC" times are shown in the browser's zone (Asia/Seoul here), as the feedback page does
            seoul = datetime.strptime(last_on_time, "%Y-%m-%d %H:%M:%S.%f %Z").replace(tzinfo=timezone.utc).astimezone(
                ZoneInfo("Asia/Seoul")).strftime("%Y-%m-%d %H:%M:%S")
            assert seoul in pages[b].locator("#submitted_assignments_list").inner_text()
            (late,) = inbound_times(room, c)
            assert inbound_times(room, a)[0] < last_on_time < late

            phase("4 submissions")
            # c (done submitting) runs the notebook's first cell: a kernel of the course's environment, as c, in c's cgroup.
            pages[c].goto(f"{base}/user/{c}/lab/tree/lab00/lab00.ipynb")
            # JupyterLab may ask which kernel to use ("커널 선택") for a notebook written outside it, and a
            # Shift+Enter before the kernel is connected does nothing: try again, a few times.
            choose = pages[c].locator(".jp-Dialog .jp-mod-accept")
            output = pages[c].locator(".jp-OutputArea-output", has_text="안녕하세요, 서버리스!").first
            for attempt in range(6):
                pages[c].locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").or_(choose).first.wait_for(
                    timeout=LAB_TIMEOUT_MS)
                if choose.count():
                    choose.click()
                    continue
                pages[c].locator(".jp-CodeCell .cm-line", has_text="안녕하세요").first.click()
                pages[c].keyboard.press("Shift+Enter")
                try:
                    output.wait_for(timeout=8_000)
                    break
                except Exception:  # playwright's TimeoutError: not run yet
                    pass
            output.wait_for(timeout=5_000)
            shot(pages[c], "03b-kernel.png")
            assert not hangul_boxes(output.locator("pre").first)["boxes"]
            kernels = [pid for pid in processes_of([c]) if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes()]
            assert kernels and all(f"course-hub-{c}" in Path(f"/proc/{pid}/cgroup").read_text() for pid in kernels)
            phase("c's kernel")
            # b's server dies (as at the memory limit); the hub says so in Korean and starts it again.
            (server,) = [pid for pid in processes_of([b]) if b"jupyterhub.singleuser" in Path(f"/proc/{pid}/cmdline").read_bytes()]
            os.kill(server, signal.SIGKILL)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                pages[b].goto(f"{base}/user/{b}/lab")
                if pages[b].locator("#start").count():
                    break
                if "서버가 응답하지 않습니다" in pages[b].locator("body").inner_text():  # before the hub polls it
                    shot(pages[b], "05a-server-down.png")
                    assert not hangul_boxes(pages[b].locator(".error").first)["boxes"]
                time.sleep(1)
            page_text = pages[b].locator("body").inner_text()
            shot(pages[b], "05-server-stopped.png")
            assert "내 서버가 꺼져 있습니다" in page_text and "그대로 있습니다" in page_text, page_text
            assert not hangul_boxes(pages[b].locator(".container").first)["boxes"]
            pages[b].click("#start")  # b's server comes back while the instructor grades
            phase("b's server killed, Korean page")

            # The instructor: a deadline between b's last and c's submission, late penalty per day.
            due = late.replace(" UTC", "")
            due = due[:-7] if "." in due else due  # the whole second c submitted in: c is late, b is not
            (course / "grader" / "grading.toml").write_text(
                'timezone = "Asia/Seoul"\n[late]\npenalty = "per_day"\npercent_per_day = 10\ngrace_minutes = 0\n'
                f'[due]\nlab00 = "{due.replace(" ", "T")}+00:00"\n', encoding="utf-8")
            assert "3명의 제출물" in grade(room, "collect", "lab00")
            graded = grade(room, "autograde", "lab00", "--quiet")
            assert "✔ 3개를" in graded, graded
            grade(room, "feedback", "lab00", "--exchange")
            phase("collect, autograde, feedback")
            pages[b].wait_for_url(f"**/user/{b}/lab**", timeout=LAB_TIMEOUT_MS)
            pages[b].locator(".jp-LabShell").wait_for(timeout=LAB_TIMEOUT_MS)

            # c's raw score less 10 % of the lab's 7 points for the (started) day late
            expected = {a: "7 / 7점", b: "7 / 7점", c: f"{sum(PARTIAL_SCORES.values()) - 0.7:g} / 7점"}
            for user in ids:  # the three fetch their feedback at once
                assignment_list(pages[user])
                pages[user].locator("#submitted_assignments_list button", has_text="피드백 받기").click()
            for user in ids:
                page = pages[user]
                page.locator("#submitted_assignments_list a", has_text="피드백 보기").first.wait_for()
                (stamp,) = [p.name for p in (homes / user / "lab00" / "feedback").iterdir()][-1:]
                url = f"{base}/user/{user}/files/lab00/feedback/{urllib.parse.quote(stamp)}/lab00.html"
                page.goto(url)
                body = page.locator("body").inner_text()
                shot(page, f"06-feedback-{user[-1]}.png")
                assert f"채점 결과 · {user}" in page.title(), page.title()
                assert expected[user] in body, (user, body[:400])
                assert ("늦은 제출 감점" in body) == (user == c), body[:400]
                assert not any(other in body for other in ids if other != user)
                drawn = hangul_boxes(page.locator("body"))
                assert drawn["checked"] and not drawn["boxes"], drawn
                # Everyone else's: refused by the hub and by the file system.
                for other in ids:
                    if other == user:
                        continue
                    theirs = page.request.get(url.replace(f"/user/{user}/", f"/user/{other}/"), max_redirects=0)
                    assert theirs.status in (302, 403), (user, other, theirs.status)
                    assert b"lab00 " not in theirs.body()
                    read = as_learner(user, "cat", str(homes / other / "lab00" / "lab00.ipynb"))
                    assert read.returncode != 0 and "Permission denied" in read.stderr, read
            pages[a].goto(f"{base}/user/{b}/lab")
            shot(pages[a], "07-someone-elses-server.png")
            assert "볼 수 없는 페이지입니다" in pages[a].locator("body").inner_text()
            feedback_dir = room["top"] / "exchange" / "serverless-workshop" / "feedback"
            listing = as_learner(a, "ls", str(feedback_dir))
            assert listing.returncode != 0 and "Permission denied" in listing.stderr
            # The instructor logs in with their own password, as the only admin; the culler runs as a service.
            teacher = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ko-KR")
            outside.append(loopback_only(teacher))
            admin = teacher.new_page()
            admin.goto(base + "/hub/login?next=%2Fhub%2Fadmin")
            admin.fill("#username_input", "instructor")
            admin.fill("#password_input", PASSWORD)
            admin.click("#login_submit")
            assert "로그인하지 못했습니다" in admin.locator(".login_error").inner_text()  # the learners' password
            admin.fill("#username_input", "instructor")
            admin.fill("#password_input", ADMIN_PASSWORD)
            admin.click("#login_submit")
            admin.wait_for_url("**/hub/admin**")
            users = {u["name"]: u for u in admin.request.get(base + "/hub/api/users").json()}
            assert set(users) == {*ids, "instructor"} and users["instructor"]["admin"]
            assert not any(users[u]["admin"] for u in ids)
            assert "idle-culler" in admin.request.get(base + "/hub/api/services").json()
            admin.locator("text=" + ids[0]).first.wait_for()
            shot(admin, "08-instructor-admin.png")
            nav = hangul_boxes(admin.locator("nav").first)  # the admin page loads its own Bootstrap after ours
            assert nav["checked"] and not nav["boxes"], nav
            learner_view = pages[a].request.get(base + "/hub/api/users")  # a learner sees at most themselves
            assert learner_view.status == 403 or {u["name"] for u in learner_view.json()} <= {a}, learner_view.text()
            phase("feedback fetched and checked, others refused, instructor")
            assert outside == [[], [], [], []], outside
        except BaseException:
            for user, page in pages.items():
                try:
                    shot(page, f"failed-{user[-1]}.png")
                except Exception:
                    pass
            raise
        finally:
            browser.close()
    room["flow_seconds"] = time.monotonic() - t0
    print(f"\nhub ready after {room['ready_after']:.1f}s; 3 servers usable after {room['servers_up_after']:.1f}s; "
          f"whole flow {room['flow_seconds']:.1f}s; " + ", ".join(f"{k} {v:.1f}s" for k, v in phases.items()))


def test_learners_cannot_read_the_hidden_tests_through_git_or_the_projects_tests(room):
    """The course folder is a clone (0755): solutions/ is private, and so must be git's copy of it and tests/."""
    learner, course = room["ids"][0], room["course"]
    shown = as_learner(learner, "env", f"HOME={room['top']}", "git", "-c", "safe.directory=*", "-C", str(course),
                       "show", "HEAD:solutions/lab00/lab00.ipynb")
    assert shown.returncode != 0 and "BEGIN HIDDEN TESTS" not in shown.stdout, shown.stdout[:300]
    read = as_learner(learner, "cat", str(course / "tests" / "test_lab00_grading.py"))
    assert read.returncode != 0 and "Permission denied" in read.stderr, read
    assert as_learner(learner, "ls", str(course / "solutions")).returncode != 0


def test_a_second_hub_on_the_same_folder_is_refused_and_leaves_the_first_running(room):
    """HUB_PORT=<another> ./course hub again (as the port-in-use error suggests): it would share the first's
    database and stop every learner's server when it stops."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    before = processes_of(room["ids"])
    second = subprocess.run([sys.executable, "-m", "workshop.hub", str(room["top"] / "명단.csv"), "--root", str(room["course"])],
                            cwd=ROOT, env={**room["env"], "HUB_PORT": str(port)}, capture_output=True, text=True, timeout=60)
    assert second.returncode == 1, second.stdout[-600:]
    assert "[오류] 이 폴더(" in second.stderr and "강의실 허브가 이미 실행 중입니다" in second.stderr, second.stderr
    assert f"포트 {room['port']}" in second.stderr and "COURSE_HUB_DIR" in second.stderr
    assert room["hub"].poll() is None and set(before) <= set(processes_of(room["ids"]))


def test_stopping_the_hub_ends_every_learner_process_and_cgroup(room):
    """Ctrl+C on the hub command: JupyterHub stops each server; nothing of a learner is left running."""
    from workshop.hub.limits import PREFIX

    hub = room["hub"]
    hub.send_signal(signal.SIGINT)
    hub.wait(timeout=60)
    assert hub.returncode == 0
    assert "허브와 학습자 서버를 끕니다" in "".join(room["lines"])
    deadline = time.monotonic() + 10
    while processes_of(room["ids"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_of(room["ids"]) == []
    left = [p for p in Path("/sys/fs/cgroup").rglob(f"{PREFIX}h*") if any(i in p.name for i in room["ids"])]
    assert left == [], left
