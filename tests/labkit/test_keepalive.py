"""The keep-alive simulator: hand-computed cases, the histogram policy's windows, and the paper's
result on the course's synthetic trace (the hybrid policy dominates the fixed 10-minute one)."""
import pytest

from labkit.keepalive import (
    FixedKeepAlive,
    HybridHistogramPolicy,
    IdleHistogram,
    Windows,
    activities,
    dominates,
    percentile_windows,
    simulate,
    tradeoff,
)
from labkit.traces import synthetic_trace

# 30 minutes; invocations at minutes 0, 5, 20 (one each) and 21 (three): gaps 5, 15, 1.
TINY = {"a": [1, 0, 0, 0, 0, 1] + [0] * 14 + [1, 3] + [0] * 8}


class Constant(FixedKeepAlive):
    """A policy with fixed (pre-warm, keep-alive) windows, run through the general loop."""

    def __init__(self, prewarm, keepalive):
        super().__init__(keepalive, name=f"constant {prewarm}/{keepalive}")
        self.prewarm = prewarm

    def plan(self, app):
        return Windows(self.prewarm, self.minutes)


def test_fixed_ten_minutes_on_a_tiny_trace_by_hand():
    # cold at 0; gap 5 warm (4 idle loaded minutes); gap 15 cold (10 wasted); gap 1 warm (0);
    # after minute 21 the instance stays loaded to minute 29, the end of the trace (8).
    (app,) = simulate(TINY, FixedKeepAlive(10)).apps
    assert (app.invocations, app.cold_starts, app.wasted_minutes) == (6, 2, 4 + 10 + 0 + 8)
    assert app.cold_start_percent == pytest.approx(100 * 2 / 6)


def test_fixed_five_minutes_by_hand():
    (app,) = simulate(TINY, FixedKeepAlive(5)).apps
    assert (app.cold_starts, app.wasted_minutes) == (2, 4 + 5 + 0 + 5)


def test_prewarm_window_by_hand():
    # (p=4, k=3): loaded minutes t+5..t+7. Gap 5 warm, 0 wasted; gap 15 cold, 3 wasted;
    # gap 1 comes before the reload: cold, 0 wasted; tail: minutes 26..28 loaded, 3 wasted.
    (app,) = simulate(TINY, Constant(4, 3)).apps
    assert (app.cold_starts, app.wasted_minutes) == (3, 0 + 3 + 0 + 3)


def test_fast_fixed_path_equals_the_general_loop():
    acts = activities(synthetic_trace(apps=60, days=2, seed=11))
    for minutes in (1, 10, 45):
        fast = simulate(acts, FixedKeepAlive(minutes))
        slow = simulate(acts, Constant(0, minutes))
        assert fast.apps == slow.apps


def test_histogram_percentiles_and_shape():
    h = IdleHistogram(240)
    for minutes in [10] * 95 + [12] * 5 + [300, 500]:
        h.add(minutes)
    assert (h.samples, h.in_range, h.out_of_bounds) == (102, 100, [300, 500])
    assert h.percentile(5) == 10 and h.percentile(99) == 12
    assert h.cv() > 10  # all in two bins of 240
    flat = IdleHistogram(240)
    for minutes in range(240):
        flat.add(minutes)
    assert flat.cv() == pytest.approx(0)


def test_percentile_windows_apply_the_papers_margins():
    h = IdleHistogram(240)
    for minutes in [30] * 99 + [40]:
        h.add(minutes)
    # head 30 less 10% -> pre-warm 27; tail 30 (99th) plus 10% -> loaded until 33: keep-alive 6.
    assert percentile_windows(h) == (27, 6)


def _every(period, minutes):
    return [1 if m % period == 0 else 0 for m in range(minutes)]


def test_hybrid_learns_a_30_minute_timer():
    result = simulate({"t": _every(30, 2880)}, HybridHistogramPolicy())
    (app,) = result.apps
    # First five gaps: standard 240-minute keep-alive (29 idle minutes each, warm); then (27, 6):
    # 2 idle minutes per gap; the tail after minute 2850 is loaded 2878..2879 (2).
    assert (app.invocations, app.cold_starts) == (96, 1)
    assert app.wasted_minutes == 5 * 29 + 90 * 2 + 2
    fixed = simulate({"t": _every(30, 2880)}, FixedKeepAlive(10)).apps[0]
    assert fixed.cold_starts == 96  # every call cold with 10 minutes


def test_hybrid_forecasts_a_daily_timer_beyond_the_histogram():
    result = simulate({"d": _every(1440, 7 * 1440 + 1)}, HybridHistogramPolicy())
    (app,) = result.apps
    # 8 calls, 7 gaps of 1440: the first five cold under the standard window, then the
    # median forecast pre-warms at 1224 and keeps to 1656: the last two are warm.
    assert (app.invocations, app.cold_starts) == (8, 6)


def test_learners_windows_function_is_used_and_checked():
    calls = []

    def windows(histogram):
        calls.append(histogram.samples)
        return (0, 10)

    simulate({"t": _every(30, 2880)}, HybridHistogramPolicy(windows))
    assert calls and min(calls) >= 5
    with pytest.raises(ValueError, match="0 이상의 정수 두 개"):
        simulate({"t": _every(30, 2880)}, HybridHistogramPolicy(lambda h: (0.5, -1)))


@pytest.fixture(scope="module")
def default_trace_activities():
    return activities(synthetic_trace())


def test_hybrid_dominates_fixed_ten_minutes_on_the_synthetic_trace(default_trace_activities):
    fixed = simulate(default_trace_activities, FixedKeepAlive(10))
    hybrid = simulate(default_trace_activities, HybridHistogramPolicy())
    assert hybrid.cold_start_percent(75) < 0.5 * fixed.cold_start_percent(75)
    assert hybrid.cold_start_percent(50) < fixed.cold_start_percent(50)
    assert hybrid.wasted_relative_to(fixed) <= 1.3
    assert dominates(hybrid, fixed)


def test_a_wrong_windows_function_does_not_dominate(default_trace_activities):
    """The check the lab grades fails on a wrong answer: windows that ignore the histogram."""
    fixed = simulate(default_trace_activities, FixedKeepAlive(10))
    for wrong in (lambda h: (0, 10), lambda h: (h.percentile(99), h.percentile(99))):
        assert not dominates(simulate(default_trace_activities, HybridHistogramPolicy(wrong)), fixed)


def test_hybrid_lies_below_the_fixed_tradeoff_curve(default_trace_activities):
    points = tradeoff(default_trace_activities, fixed_minutes=range(5, 121, 5), policies=[HybridHistogramPolicy()])
    *fixed, hybrid = points
    assert [p.policy for p in fixed[:2]] == ["고정 5분", "고정 10분"] and fixed[1].wasted_memory == 1.0
    # More memory buys fewer cold starts along the fixed curve ...
    assert fixed[-1].cold_start_percent_q3 < fixed[0].cold_start_percent_q3
    assert fixed[-1].wasted_memory > fixed[0].wasted_memory
    # ... and no fixed window reaches the hybrid policy's cold starts with as little memory.
    assert all(p.wasted_memory > hybrid.wasted_memory for p in fixed if p.cold_start_percent_q3 <= hybrid.cold_start_percent_q3)


def test_policies_speak_the_offline_clouds_keep_alive_protocol():
    fixed = FixedKeepAlive(10)
    assert fixed.keep_alive_seconds("f") == 600
    fixed.observe_idle("f", 42.0)
    hybrid = HybridHistogramPolicy()
    assert hybrid.keep_alive_seconds("f") == 240 * 60  # no history yet: the standard window
    for _ in range(10):
        hybrid.observe_idle("f", 30 * 60 + 5)
    assert hybrid.keep_alive_seconds("f") == (27 + 6) * 60  # no pre-warming there: kept p + k


def test_bad_arguments_get_korean_errors():
    with pytest.raises(ValueError, match="유지 시간은"):
        FixedKeepAlive(-1)
    with pytest.raises(ValueError, match="백분위"):
        simulate(TINY, FixedKeepAlive(10)).cold_start_percent(120)
