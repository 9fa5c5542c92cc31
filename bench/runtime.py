"""The offline Lambda runtime, measured against the targets of issue 3, in one run.

Run:  .venv/bin/python bench/runtime.py            (about a minute)
      .venv/bin/python bench/runtime.py --quick    (fewer repetitions, for a smoke run)

Prints, each against its target:
- trivial cold start in subprocess isolation (Init Duration) vs `python -c pass`, both with the
  venv interpreter by path;
- warm invoke overhead in each isolation mode vs a plain function call, and the bare round
  trip to a worker process;
- snapshot restore time with boto3 imported in the template;
- the same trivial handler through python-lambda-local, as a peer (skipped, with a message,
  when it is not installed: `.venv/bin/pip install -c requirements.lock -e '.[bench]'`).
Figures are medians over repeated rounds; they depend on the machine and on what else runs on
it (the load average is printed first). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labkit.cloud import LocalCloud  # noqa: E402
from labkit.cloud.context import LambdaContext  # noqa: E402
from labkit.cloud.inprocess import Capture  # noqa: E402
from labkit.cloud.processes import python_executable  # noqa: E402

TRIVIAL = "def handler(event, context):\n    return {'ok': True}\n"
WITH_BOTO3 = "import boto3\n\ndef handler(event, context):\n    return {'ok': True}\n"
KEEP_ALIVE = 600.0


def handler(event: Any, context: Any) -> Any:
    return {"ok": True}


# --------------------------------------------------------------------------- measuring


def per_call_us(fn: Callable[[], Any], n: int, rounds: int) -> float:
    """Median over `rounds` of the mean time of `n` calls, in µs."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(samples)


def process_ms(argv: list[str], n: int, **kwargs: Any) -> float:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def folder(root: Path, name: str, source: str) -> Path:
    path = root / name
    path.mkdir()
    (path / "app.py").write_text(source)
    return path


def cold_starts(cloud: LocalCloud, name: str, n: int, gap: float = 0.0) -> list[Any]:
    """`n` invocations that each start a new environment (the previous one is reclaimed),
    `gap` seconds of real time apart."""
    reports = []
    for _ in range(n):
        reports.append(cloud.invoke(name, {}).report)
        cloud.clock.advance(KEEP_ALIVE + 1)
        cloud.runtime.reclaim_idle()
        time.sleep(gap)
    return reports


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --------------------------------------------------------------------------- peer


def python_lambda_local(work: Path, n_cli: int, n_api: int) -> tuple[float, float] | None:
    """Per-invocation time of python-lambda-local: its CLI (a process per call) and its `call()` API."""
    cli = shutil.which("python-lambda-local", path=str(Path(python_executable()).parent))
    try:
        from lambda_local.context import Context
        from lambda_local.main import call
    except ImportError:
        return None
    code = folder(work, "peer", TRIVIAL)
    event = code / "event.json"
    event.write_text("{}")
    cli_ms = process_ms([cli, "-f", "handler", str(code / "app.py"), str(event)], n_cli) if cli else float("nan")
    import logging

    logging.getLogger().setLevel(logging.WARNING)  # call() logs START/END/REPORT at INFO
    samples = []
    for _ in range(n_api):
        started = time.perf_counter()
        call(handler, {}, Context(3))
        samples.append((time.perf_counter() - started) * 1000)
    return cli_ms, statistics.median(samples)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    reps = 8 if args.quick else 30
    warm_n, rounds = (300, 3) if args.quick else (2000, 7)

    python = python_executable()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; Python {sys.version.split()[0]} at {python}")
    print()

    pass_ms = process_ms([python, "-c", "pass"], reps)
    pass_s_ms = process_ms([python, "-S", "-c", "pass"], reps)

    work = Path(tempfile.mkdtemp(prefix="labkit-bench-"))
    try:
        with LocalCloud(keep_alive=KEEP_ALIVE) as cloud:
            cloud.runtime.endpoint.url  # start the moto endpoint outside every measurement
            trivial = folder(work, "trivial", TRIVIAL)
            heavy = folder(work, "boto3", WITH_BOTO3)

            # ---- cold starts
            cloud.deploy(trivial, name="cold", isolation="subprocess")
            cold = cold_starts(cloud, "cold", reps)
            cold_ms = statistics.median(r.init_duration_ms for r in cold)
            cloud.deploy(heavy, name="cold-boto3", isolation="subprocess")
            cold_boto3_ms = statistics.median(r.init_duration_ms for r in cold_starts(cloud, "cold-boto3", max(5, reps // 3)))

            # ---- snapshot restore, boto3 imported in the template. Cold starts 50 ms apart, as
            # after idle: the zygote has a forked spare ready. Back to back, each restore forks.
            cloud.deploy(heavy, name="snap-boto3", isolation="snapshot")
            restores = cold_starts(cloud, "snap-boto3", reps + 1, gap=0.05)[1:]  # the first also makes the template
            restore_ms = statistics.median(r.restore_duration_ms for r in restores)
            billed_restore = statistics.median(r.billed_restore_duration_ms for r in restores)
            back_to_back_ms = statistics.median(r.restore_duration_ms for r in cold_starts(cloud, "snap-boto3", reps))
            (template,) = cloud.runtime.snapshots("snap-boto3")
            template_init_ms = template.init_duration_ms

            # ---- warm invokes
            event = {"n": 1}
            payload = json.dumps(event).encode()
            plain = per_call_us(lambda: handler(event, None), 200_000, rounds)
            plain_json = per_call_us(lambda: json.dumps(handler(json.loads(payload), None)).encode(), 200_000, rounds)
            warm: dict[str, float] = {}
            round_trip: dict[str, float] = {}
            for mode in ("inprocess", "subprocess", "snapshot"):
                cloud.deploy(trivial, name=f"warm-{mode}", isolation=mode)
                fn = cloud.runtime.resolve(f"warm-{mode}")
                cloud.runtime.invoke(fn, payload)  # cold start once
                warm[mode] = per_call_us(lambda: cloud.runtime.invoke(fn, payload), warm_n, rounds)
                (inst,) = cloud.runtime.instances(f"warm-{mode}")
                context = LambdaContext("bench", fn.function_name, "$LATEST", fn.function_arn, "128", "g", "s", time.monotonic() + 3600)
                capture = Capture("bench", cloud.clock.now_millis)
                round_trip[mode] = per_call_us(lambda: inst.run(payload, context, capture), warm_n, rounds)
                capture.events.clear()

        peer = python_lambda_local(work, max(5, reps // 3), max(5, reps // 3))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    # ---- report
    print(f"{'measurement':58} {'figure':>12}   target")
    print(f"{'python -c pass (venv interpreter by path)':58} {pass_ms:9.2f} ms")
    print(f"{'python -S -c pass (what the worker uses, + site-packages)':58} {pass_s_ms:9.2f} ms")
    ratio = cold_ms / pass_ms
    print(
        f"{'cold start, subprocess, trivial handler: Init Duration':58} {cold_ms:9.2f} ms   "
        f"<= 3x python -c pass ({3 * pass_ms:.1f} ms): {ratio:.2f}x {verdict(ratio <= 3)}"
    )
    print(f"{'cold start, subprocess, handler importing boto3':58} {cold_boto3_ms:9.2f} ms")
    print()
    print(f"{'plain function call':58} {plain * 1000:9.0f} ns")
    print(f"{'plain call with JSON in and out':58} {plain_json:9.2f} µs")
    for mode in ("inprocess", "subprocess", "snapshot"):
        overhead = warm[mode] - plain
        target = f"<= 100 µs overhead: {verdict(overhead <= 100)}" if mode == "inprocess" else ""
        print(f"{f'warm invoke, {mode} (START/END/REPORT to CloudWatch Logs)':58} {warm[mode]:9.2f} µs   overhead {overhead:.2f} µs {target}")
    for mode in ("subprocess", "snapshot"):
        rt = round_trip[mode]
        print(f"{f'round trip to the worker process, {mode}':58} {rt:9.2f} µs   <= 100 µs: {verdict(rt <= 100)}")
    print(f"{'in-process handler call by the runtime (for comparison)':58} {round_trip['inprocess']:9.2f} µs")
    print()
    print(f"{'snapshot restore, boto3 in the template: Restore Duration':58} {restore_ms:9.2f} ms   <= 2 ms: {verdict(restore_ms <= 2)}")
    print(f"{'  (cold starts 50 ms apart; back to back, each one forks:)':58} {back_to_back_ms:9.2f} ms")
    print(f"{'  Billed Restore Duration (after-restore part)':58} {billed_restore:9.0f} ms")
    print(f"{'  the template INIT it replaces (INIT_REPORT)':58} {template_init_ms:9.2f} ms")
    print()
    if peer is None:
        print(
            "python-lambda-local: not installed, peer skipped. It is an optional bench extra: "
            ".venv/bin/pip install -c requirements.lock -e '.[bench]'"
        )
        return
    cli_ms, api_ms = peer
    slowest_warm_ms = max(warm.values()) / 1000
    print(f"{'python-lambda-local 0.1.13 CLI, per invocation':58} {cli_ms:9.2f} ms")
    print(f"{'python-lambda-local call() API (a process per call)':58} {api_ms:9.2f} ms")
    for label, peer_ms in (("CLI", cli_ms), ("call()", api_ms)):
        factor = peer_ms / slowest_warm_ms
        print(
            f"{f'warm invoke (slowest mode) vs python-lambda-local {label}':58} {factor:9.0f} x    "
            f">= 100x faster: {verdict(factor >= 100)}"
        )


if __name__ == "__main__":
    main()
