"""Benchmark: grade N submissions of lab00 with stock `nbgrader autograde` and with `python -m grader`.

Same machine, same run, same submissions (a mix of full, partial and blank answers), each
measured `--runs` times on fresh copies. Both run as a command line, so both pay their
imports. Prints the figures and checks that every student got the same score for every
question from both. The load average is printed around each run: on a shared machine other
work slows both sides.

    .venv/bin/python bench/grading.py            # 40 submissions, the grader's default workers, 2 runs
    .venv/bin/python bench/grading.py -n 10 -j 2 --runs 1
    GRADER_WARM_KERNELS=0 .venv/bin/python bench/grading.py   # cold kernels, for comparison
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's grader, whichever Python runs it

from grader.config import ROOT  # noqa: E402
from grader.gradebook import scores  # noqa: E402
from grader.release import release_in_copy  # noqa: E402

MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
PARTIAL = {
    "task2_solution": ('GREETING = "안녕하세요, 서버리스!"\n\ndef read_text(bucket, key):\n'
                       '    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()\n\n'
                       's3.put_object(Bucket=BUCKET, Key="hello.txt", Body=GREETING.encode("utf-8"))'),
    "task3_solution": ('def list_keys(bucket, prefix=""):\n'
                       '    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"])'),
}


def submissions(course: Path, n: int) -> dict[str, nbformat.NotebookNode]:
    """n notebooks: 40% full marks, 30% partial, 30% blank, in a fixed order."""
    source = nbformat.read(ROOT / "solutions/lab00/lab00.ipynb", as_version=4)
    full = {c.metadata["nbgrader"]["grade_id"]: MARKER.sub("", c.source)
            for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    kinds = {"full": full, "partial": {**full, **PARTIAL}, "blank": {}}
    plan = (["full"] * 4 + ["partial"] * 3 + ["blank"] * 3) * (n // 10 + 1)
    out = {}
    for i, kind in enumerate(plan[:n]):
        nb = nbformat.read(course / "labs/lab00/lab00.ipynb", as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in kinds[kind]:
                cell.source = kinds[kind][gid]
        out[f"{kind}-{i:02d}"] = nb
    return out


def place(course: Path, subs: dict[str, nbformat.NotebookNode]) -> None:
    for student, nb in subs.items():
        dest = course / "grader/work/submitted" / student / "lab00"
        dest.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dest / "lab00.ipynb")


def timed(cmd: list[str], cwd: Path) -> float:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"{cmd[:3]} 실패:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return seconds


def fresh_courses(base: Path, folder: Path, subs: dict[str, nbformat.NotebookNode]) -> tuple[Path, Path]:
    """Two copies of the released course with the same submissions, nothing graded yet."""
    stock, ours = folder / "stock", folder / "ours"
    for course in (stock, ours):
        shutil.copytree(base, course)
        place(course, subs)
    # Stock nbgrader with its default autograde pipeline; the course's config gives it only the
    # folders, the kernel name and the cell timeout, as the project's nbgrader_config.py does.
    (stock / "nbgrader_config.py").write_text(
        "from grader.config import course_config\n"
        f"get_config().merge(course_config({str(stock)!r}))\n")
    return stock, ours


def same_scores(stock: Path, ours: Path, subs: dict) -> bool:
    a, b = scores(stock, "lab00"), scores(ours, "lab00")
    differ = sorted(s for s in subs if a.get(s) != b.get(s))
    totals = {kind: sorted({sum(v or 0 for v in b[s].values()) for s in subs if s.startswith(kind)})
              for kind in ("full", "partial", "blank")}
    print(f"  점수 (종류별 총점): {totals}")
    if differ or set(a) != set(subs):
        print(f"  [불일치] 점수가 다른 학생: {differ}")
        for s in differ[:3]:
            print(f"    {s}: nbgrader {a.get(s)}\n    {' ' * len(s)}  grader   {b.get(s)}")
        return False
    print(f"  ✔ {len(subs)}명 모두 문항별 점수가 같습니다.")
    return True


def main() -> int:
    from grader.batch import default_jobs

    parser = argparse.ArgumentParser(description="lab00 채점 벤치마크: nbgrader autograde 대 python -m grader")
    parser.add_argument("-n", type=int, default=40, help="제출물 수 (기본 40)")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help=f"우리 채점기의 동시 작업 수 (기본: 채점기의 기본값, 이 컴퓨터에서 {default_jobs()})")
    parser.add_argument("--runs", type=int, default=2, help="두 채점기를 번갈아 잴 횟수 (기본 2)")
    parser.add_argument("--keep", action="store_true", help="임시 과정 폴더를 남깁니다")
    args = parser.parse_args()
    jobs = args.jobs or default_jobs()
    warm = os.environ.get("GRADER_WARM_KERNELS", "1") != "0"

    tmp = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    ok, ratios = True, []
    try:
        base = release_in_copy("lab00", tmp / "base")
        subs = submissions(base, args.n)
        print(f"제출물 {args.n}개 (full/partial/blank), CPU {os.cpu_count()}코어, 우리 채점기 작업 {jobs}개, "
              f"미리 띄운 커널 {'사용' if warm else '사용 안 함'}")
        for run in range(1, args.runs + 1):
            stock, ours = fresh_courses(base, tmp / f"run{run}", subs)
            print(f"[{run}회차] 시작 전 부하(load average 1분): {os.getloadavg()[0]:.2f}")
            t_stock = timed([sys.executable, "-m", "nbgrader", "autograde", "lab00", "--force"], stock)
            print(f"  nbgrader autograde (순차):   {t_stock:7.1f}초  ({t_stock / args.n:.2f}초/제출물)")
            t_ours = timed([sys.executable, "-m", "grader", "--root", str(ours), "autograde", "lab00",
                            "-j", str(jobs), "--quiet"], ROOT)
            print(f"  python -m grader (병렬+격리): {t_ours:7.1f}초  ({t_ours / args.n:.2f}초/제출물)")
            print(f"  끝난 뒤 부하(load average 1분): {os.getloadavg()[0]:.2f} (다른 작업이 돌면 두 값이 모두 느려집니다)")
            ratios.append(t_stock / t_ours)
            print(f"  속도 향상: {ratios[-1]:.2f}배")
            ok &= same_scores(stock, ours, subs)
        if len(ratios) > 1:
            print(f"속도 향상 {len(ratios)}회: " + ", ".join(f"{r:.2f}배" for r in ratios)
                  + f" (가장 낮은 값 {min(ratios):.2f}배)")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"과정 폴더: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
