"""Warm invoke overhead of the in-process runtime against a plain function call.

Run: .venv/bin/python bench/inprocess_invoke.py
Prints medians over several rounds. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import json
import statistics
import time

from labkit.cloud import LocalCloud


def handler(event, context):
    return {"ok": True}


def per_call_us(fn, n: int, rounds: int = 5) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(samples)


def main() -> None:
    event = {"n": 1}
    plain = per_call_us(lambda: handler(event, None), 100_000)
    plain_json = per_call_us(lambda: json.dumps(handler(json.loads(json.dumps(event)), None)), 100_000)
    with LocalCloud() as cloud:
        fn = cloud.deploy(handler, name="bench")
        fn.invoke(event)  # cold start once
        moto_fn = cloud.runtime.resolve("bench")
        payload = json.dumps(event).encode()
        runtime = per_call_us(lambda: cloud.runtime.invoke(moto_fn, payload), 2_000)
        direct = per_call_us(lambda: cloud.invoke("bench", event), 2_000)
        lam = cloud.client("lambda")
        via_boto3 = per_call_us(lambda: lam.invoke(FunctionName="bench", Payload=payload), 300)
        cold = []
        for i in range(30):
            cloud.deploy(handler, name=f"cold{i}")
            started = time.perf_counter()
            result = cloud.invoke(f"cold{i}", event)
            cold.append(((time.perf_counter() - started) * 1e3, result.report.init_duration_ms))
    print(f"plain function call                      {plain * 1000:8.0f} ns")
    print(f"plain call with JSON in/out              {plain_json:8.2f} us")
    print(f"runtime.invoke (warm, resolved function) {runtime:8.2f} us  overhead {runtime - plain:6.2f} us")
    print(f"cloud.invoke (warm, by name)             {direct:8.2f} us  overhead {direct - plain:6.2f} us")
    print(f"boto3 lambda.invoke (warm, via moto)     {via_boto3:8.2f} us")
    print(
        f"cold start (in-process) wall             {statistics.median(c[0] for c in cold):8.2f} ms, "
        f"Init Duration {statistics.median(c[1] for c in cold):.2f} ms (median of 30)"
    )


if __name__ == "__main__":
    main()
