"""Make lab07's sample of REPORT lines on the offline cloud: `python -m tests.labs.lab07_reports`.

One function (512 MB, an INIT that builds a lookup table, invocations of some tens of ms of hashing) is
invoked 300 times; every 50th invocation comes after the keep-alive, so 6 are cold starts. The
lines are written to labkit/data/lab07-report-lines.txt (labkit.pricing.REPORT_SAMPLE), which lab07
prices, so the lab does not depend on the learner's lab02. Each line is the offline cloud's own
REPORT line: Billed Duration includes the INIT of a cold start, as AWS bills it since 2025-08-01.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from labkit.cloud import LocalCloud
from labkit.pricing import REPORT_SAMPLE

HANDLER = '''import hashlib

# INIT: a lookup table, built once per execution environment.
TABLE = {hashlib.sha256(str(n).encode()).hexdigest()[:8]: n for n in range(60_000)}


def handler(event, context):
    digest = b"lab07"
    for _ in range(event["rounds"]):
        digest = hashlib.sha256(digest).digest()
    return {"size": len(TABLE), "digest": digest.hex()[:8]}
'''
KEEP_ALIVE = 600
INVOCATIONS = 300
COLD_EVERY = 50


def report_lines(invocations: int = INVOCATIONS, cold_every: int = COLD_EVERY) -> list[str]:
    """Invoke the sample function and return its REPORT lines (one per invocation)."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "app.py").write_text(HANDLER, encoding="utf-8")
        cloud = LocalCloud(keep_alive=KEEP_ALIVE)
        try:
            cloud.deploy(folder, name="lab07-sample", memory=512)
            lines = []
            for n in range(invocations):
                if n and n % cold_every == 0:
                    cloud.clock.advance(KEEP_ALIVE + 1)
                    cloud.run_until_idle()
                rounds = 40_000 + (n * 7919) % 80_000  # tens of ms of hashing, varied
                lines.append(cloud.invoke("lab07-sample", {"rounds": rounds}).report.line)
            return lines
        finally:
            cloud.stop()


if __name__ == "__main__":
    REPORT_SAMPLE.write_text("\n".join(report_lines()) + "\n", encoding="utf-8")
    print(f"{REPORT_SAMPLE}: {INVOCATIONS} REPORT lines")
