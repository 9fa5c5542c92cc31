"""The keep-alive lab's pieces, timed in one run: is a week of 300 apps fast enough for a notebook?

Run:  .venv/bin/python bench/keepalive.py           (about half a minute)
      .venv/bin/python bench/keepalive.py --quick   (one repetition)

Prints, median and max over repetitions:
- `labkit.traces.synthetic_trace()` (300 apps, 7 days) and its calibration figures;
- `activities(trace)` (each app's invocation minutes, computed once per sweep);
- `simulate` with FixedKeepAlive(10) on its fast path (one step per distinct idle gap) beside the
  same policy through the general per-invocation loop, the peer it must equal;
- `simulate` with the hybrid histogram policy (the general loop, windows refreshed as the
  histogram grows by 5%);
- `tradeoff` over fixed windows 5..120 minutes (24 points) plus the hybrid policy, what a
  notebook's plot and slider call;
- writing and reading the trace as Azure Functions 2019 day files (7 CSV files).
Figures depend on the machine and its load (printed before and after). Not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labkit.keepalive import FixedKeepAlive, HybridHistogramPolicy, Windows, activities, simulate, tradeoff  # noqa: E402
from labkit.traces import calibration, read_csv, synthetic_trace, write_csv  # noqa: E402


class GeneralLoopFixed(FixedKeepAlive):
    """FixedKeepAlive through the general loop (a subclass is not taken for the fast path)."""

    def plan(self, app: str) -> Windows:
        return Windows(0, self.minutes)


def timed(label: str, repeat: int, fn):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    print(f"{label:<58} median {statistics.median(times) * 1000:8.1f} ms   max {max(times) * 1000:8.1f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition")
    args = parser.parse_args()
    repeat = 1 if args.quick else 5
    print(f"load average before: {os.getloadavg()}")
    trace = timed("synthetic_trace(300 apps, 7 days)", repeat, synthetic_trace)
    c = calibration(trace)
    print(
        f"  calibration: <=1/hour {c.share_at_most_hourly:.1%}, <=1/min {c.share_at_most_minutely:.1%}, "
        f">1/min {c.share_frequent:.1%} making {c.invocation_share_frequent:.3%} of {c.invocations:,} invocations, "
        f"rates span {c.rate_orders_of_magnitude:.2f} orders of magnitude"
    )
    acts = timed("activities(trace)", repeat, lambda: activities(trace))
    fast = timed("simulate FixedKeepAlive(10), fast path", repeat, lambda: simulate(acts, FixedKeepAlive(10)))
    slow = timed("simulate FixedKeepAlive(10), general loop (peer)", repeat, lambda: simulate(acts, GeneralLoopFixed(10)))
    assert fast.apps == slow.apps, "the fast path must equal the general loop"
    hybrid = timed("simulate HybridHistogramPolicy()", repeat, lambda: simulate(acts, HybridHistogramPolicy()))
    points = timed(
        "tradeoff: fixed 5..120 min (24 points) + hybrid",
        repeat,
        lambda: tradeoff(acts, fixed_minutes=range(5, 121, 5), policies=[HybridHistogramPolicy()]),
    )
    print(
        f"  fixed 10 min: Q3 cold {fast.cold_start_percent(75):.1f}%, median {fast.cold_start_percent(50):.1f}%; "
        f"hybrid: Q3 {hybrid.cold_start_percent(75):.1f}%, median {hybrid.cold_start_percent(50):.1f}%, "
        f"wasted memory {hybrid.wasted_relative_to(fast):.2f}x fixed 10"
    )
    for p in points:
        if p.policy in ("고정 10분", "고정 20분", "고정 60분", "고정 120분") or not p.policy.startswith("고정"):
            print(f"  {p.policy:<14} Q3 cold {p.cold_start_percent_q3:6.1f}%   wasted memory {p.wasted_memory:5.2f}")
    with tempfile.TemporaryDirectory() as folder:
        paths = timed("write_csv (7 day files)", 1, lambda: write_csv(trace, folder))
        back = timed("read_csv (7 day files)", 1, lambda: read_csv(paths))
        size = sum(p.stat().st_size for p in paths)
        print(f"  {size / 1e6:.1f} MB on disk; read back equal: {back.apps() == trace.apps()}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
