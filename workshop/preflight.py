"""`./course preflight`: the instructor's pre-flight check before a workshop.

Each check prints one Korean line (통과/실패 and, on failure, what to do). The last checks do
real work: the offline cloud answers with the network blocked, the site builds, and every lab's
solution grades to full marks through nbgrader in a throw-away copy of the course.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from grader.config import ROOT  # the course root, defined once

from .start import port_from_env, port_is_free

MIN_PYTHON = (3, 11)
MIN_NODE = (20, 19)
VENDOR_FILES = (
    "node_modules/mermaid/dist/mermaid.min.js",
    "node_modules/iframe-worker/shim/index.js",
    "node_modules/pretendard/dist/web/variable/woff2/PretendardVariable.woff2",
)


@dataclass
class Result:
    name: str
    ok: bool
    detail: str
    seconds: float = 0.0


class CheckFailed(Exception):
    """A failed pre-flight check; the message says what to do."""


def check_python() -> str:
    if sys.version_info[:2] < MIN_PYTHON:
        raise CheckFailed(f"Python {sys.version.split()[0]} 입니다. 3.11 이상으로 .venv를 다시 만드십시오 (rm -rf .venv 후 ./course start).")
    return f"Python {sys.version.split()[0]} ({sys.executable})"


def check_packages() -> str:
    wrong = []
    pins = 0
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if not m:
            continue
        pins += 1
        name, want = m.groups()
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = "없음"
        if have != want:
            wrong.append(f"{name} {have} (고정 버전 {want})")
    if wrong:
        raise CheckFailed("고정 버전과 다른 패키지가 있습니다: " + ", ".join(wrong[:5]) + ". rm .venv/.course-stamp 후 ./course start 로 다시 설치하십시오.")
    return f"고정된 패키지 {pins}개가 모두 requirements.lock 과 같습니다 (moto {metadata.version('moto')})"


def check_node() -> str:
    node = shutil.which("node")
    if not node:
        raise CheckFailed("Node.js가 없습니다. Node.js 20.19 이상을 설치하십시오.")
    version = subprocess.run([node, "-p", "process.versions.node"], capture_output=True, text=True).stdout.strip()
    if tuple(int(x) for x in version.split(".")[:2]) < MIN_NODE:
        raise CheckFailed(f"Node.js {version} 입니다. 20.19 이상이 필요합니다.")
    missing = [f for f in VENDOR_FILES if not (ROOT / f).exists()]
    if missing:
        raise CheckFailed(f"사이트 자산이 없습니다: {', '.join(missing)}. ./course start 로 npm ci 를 실행하십시오.")
    return f"Node.js {version}, 사이트 자산(mermaid, iframe-worker, Pretendard) 있음"


def check_ports() -> str:
    busy = []
    ports = {name: port_from_env(name, default) for name, default in (("SITE_PORT", 8000), ("LAB_PORT", 8888))}
    for name, port in ports.items():
        if not port_is_free(port):
            busy.append(f"{port} ({name})")
    if busy:
        raise CheckFailed(f"이미 쓰이는 포트가 있습니다: {', '.join(busy)}. 실행 중인 ./course start 를 끄거나 SITE_PORT/LAB_PORT로 다른 포트를 지정하십시오.")
    return "포트 " + ", ".join(str(p) for p in ports.values()) + " 비어 있음"


@contextlib.contextmanager
def network_blocked() -> Iterator[list[str]]:
    """Refuse every non-loopback connection for the duration, recording what was attempted."""
    attempts: list[str] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(str(host))
            raise OSError(f"preflight: 외부 연결 차단 ({host})")
        return real_connect(self, address)

    socket.socket.connect = guarded  # type: ignore[method-assign]
    try:
        yield attempts
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]


def check_offline_cloud() -> str:
    import boto3
    from moto import mock_aws

    if os.environ.get("AWS_PROFILE"):
        raise CheckFailed("AWS_PROFILE 이 설정되어 있어 진짜 AWS 계정 설정을 읽을 수 있습니다. ./course 로 실행하면 자동으로 지웁니다.")

    with network_blocked() as attempts, mock_aws():
        s3 = boto3.client("s3", region_name="ap-northeast-2")
        s3.create_bucket(Bucket="preflight", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
        s3.put_object(Bucket="preflight", Key="안녕.txt", Body="서버리스".encode())
        body = s3.get_object(Bucket="preflight", Key="안녕.txt")["Body"].read().decode()
        key_id = s3._request_signer._credentials.access_key
    if body != "서버리스":
        raise CheckFailed("오프라인 클라우드가 올린 객체를 그대로 돌려주지 않았습니다. moto 설치를 확인하십시오.")
    if attempts:
        raise CheckFailed(f"오프라인 클라우드가 외부로 연결하려 했습니다: {attempts}")
    return f"moto로 S3 버킷·객체를 만들고 읽었습니다 (외부 연결 0건, 가짜 자격 증명 {key_id})"


def check_site() -> str:
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", out],
            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        )
        if proc.returncode != 0:
            raise CheckFailed("사이트 빌드(--strict)가 실패했습니다:\n" + (proc.stderr or proc.stdout).strip()[-800:])
        pages = len(list(Path(out).rglob("*.html")))
    return f"사이트를 --strict 로 빌드했습니다 (HTML {pages}쪽)"


def check_lab_grades(labs: list[str] | None = None) -> str:
    """Every lab's solution, graded by nbgrader in a throw-away copy, must score full marks.

    The labs are graded at the same time, each in a process of its own (nbgrader's converters
    change the working folder, so threads of one process cannot), as many at once as the
    grader's default number of jobs.
    """
    from grader.batch import default_jobs

    sources = {p.name: p for p in sorted((ROOT / "solutions").iterdir()) if p.is_dir()}
    unknown = sorted(set(labs or []) - set(sources))
    if unknown:
        raise CheckFailed(f"없는 실습입니다: {', '.join(unknown)}. 있는 실습: {', '.join(sources)}")
    chosen = [sources[lab] for lab in (labs or sources)]
    with ThreadPoolExecutor(max_workers=min(default_jobs(), len(chosen))) as pool:
        scores = list(pool.map(_grade_in_a_process, chosen))
    return "실습 풀이를 nbgrader로 채점해 모두 만점을 받았습니다: " + ", ".join(scores)


def _grade_in_a_process(source: Path) -> str:
    code = f"from workshop.preflight import _grade_solution; print(_grade_solution({str(source)!r}))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0:
        failure = re.search(r"^workshop\.preflight\.CheckFailed: (.*)", proc.stderr, re.M)
        raise CheckFailed(failure.group(1) if failure else
                          f"{source.name} 풀이를 채점하지 못했습니다:\n{proc.stderr.strip()[-1500:]}")
    return lines[-1]


def _grade_solution(source: Path | str) -> str:
    source = Path(source)
    from grader.autograde import autograde, submit
    from grader.release import release_in_copy

    lab = source.name
    with tempfile.TemporaryDirectory() as tmp:
        course = release_in_copy(lab, Path(tmp) / "course")
        submit(lab, "preflight", sorted(source.glob("*.ipynb")), course)
        grade = autograde(lab, "preflight", course)
    # A written answer (lab07) waits for the instructor: full marks means every autograded point.
    manual = sum(c.points for c in grade.outcome.cells if c.kind == "answer") if grade.outcome else 0
    autograded = grade.max_score - manual
    if grade.score != autograded:
        raise CheckFailed(f"{lab} 풀이가 자동 채점 {grade.score:g}/{autograded:g}점을 받았습니다. "
                          "커널이나 moto 설치를 확인하십시오.")
    return f"{lab} {grade.score:g}/{autograded:g}" + (f"(손으로 채점할 {manual:g}점 제외)" if manual else "")


def check_disk() -> str:
    free_gb = shutil.disk_usage(ROOT).free / 1e9
    if free_gb < 1:
        raise CheckFailed(f"남은 디스크가 {free_gb:.1f} GB 입니다. 1 GB 이상 비우십시오.")
    return f"남은 디스크 {free_gb:.0f} GB"


CHECKS: list[tuple[str, Callable[[], str]]] = [
    ("Python", check_python),
    ("패키지 버전", check_packages),
    ("Node.js와 사이트 자산", check_node),
    ("포트", check_ports),
    ("디스크", check_disk),
    ("오프라인 클라우드", check_offline_cloud),
    ("사이트 빌드", check_site),
    ("실습 실행과 채점", check_lab_grades),
]


def run(checks: list[tuple[str, Callable[[], str]]] = CHECKS) -> list[Result]:
    results = []
    for name, func in checks:
        started = time.perf_counter()
        try:
            detail, ok = func(), True
        except CheckFailed as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # a broken environment must still yield a report, not a traceback
            detail, ok = f"예상하지 못한 오류: {type(exc).__name__}: {exc}", False
        result = Result(name, ok, detail, time.perf_counter() - started)
        print(f"{'✔ 통과' if ok else '✘ 실패'}  {name}: {detail} ({result.seconds:.1f}초)", flush=True)
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    """`./course preflight [lab ...]`: every check; with labs named, only their solutions are graded."""
    labs = list(sys.argv[1:] if argv is None else argv)
    if any(arg.startswith("-") for arg in labs):
        print("사용법: ./course preflight [실습 ...]   예: ./course preflight lab00 lab01 (없으면 모든 실습을 채점)")
        return 2
    checks = [(name, (lambda: check_lab_grades(labs)) if check is check_lab_grades and labs else check)
              for name, check in CHECKS]
    print("워크숍 전 점검을 시작합니다.\n")
    results = run(checks)
    failed = [r for r in results if not r.ok]
    print()
    if failed:
        print(f"점검 {len(results)}개 중 {len(failed)}개 실패: 위의 ✘ 줄에 적힌 대로 고친 뒤 다시 점검하십시오.")
        return 1
    print(f"점검 {len(results)}개 모두 통과: 워크숍을 시작해도 됩니다.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
