"""The synthetic Azure Functions 2019 trace: calibrated to the paper's figures, deterministic, and
readable/writable in the dataset's CSV format."""
import csv
import math

import pytest

from labkit.traces import (
    MINUTES_PER_DAY,
    Trace,
    FunctionTrace,
    calibration,
    day_file_name,
    read_csv,
    synthetic_trace,
    write_csv,
)


@pytest.fixture(scope="module")
def trace():
    return synthetic_trace()  # the default trace the lab uses: 300 apps, 7 days, seed 2019


def test_default_trace_matches_the_papers_published_figures(trace):
    c = calibration(trace)
    assert (c.apps, c.days) == (300, 7)
    assert c.share_at_most_hourly == pytest.approx(0.45, abs=0.01)
    assert c.share_at_most_minutely == pytest.approx(0.36, abs=0.01)
    assert c.share_frequent == pytest.approx(0.19, abs=0.01)
    assert c.invocation_share_frequent > 0.995
    assert 7.5 <= c.rate_orders_of_magnitude <= 8.5  # "8 orders of magnitude"


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_calibration_holds_for_other_seeds_and_sizes(seed):
    c = calibration(synthetic_trace(apps=200, days=3, seed=seed))
    assert c.share_at_most_hourly == pytest.approx(0.45, abs=0.01)
    assert c.share_frequent == pytest.approx(0.19, abs=0.01)
    assert c.invocation_share_frequent > 0.995
    assert c.rate_orders_of_magnitude > 6.5  # 3 days: one call in 3 days up to ~10^4 a minute


def test_calibration_measures_rather_than_assumes():
    """A trace of three equal apps is 100% in one class: the figures come from the counts."""
    minutes = MINUTES_PER_DAY
    every_minute = [2] * minutes
    fns = tuple(FunctionTrace("o", f"app{i}", f"fn{i}", "http", every_minute) for i in range(3))
    c = calibration(Trace(fns, days=1))
    assert (c.share_at_most_hourly, c.share_at_most_minutely, c.share_frequent) == (0, 0, 1)
    assert c.invocation_share_frequent == 1
    assert c.rate_orders_of_magnitude == 0


def test_same_seed_same_trace_other_seed_other_trace():
    a, b, c = synthetic_trace(30, 1, seed=5), synthetic_trace(30, 1, seed=5), synthetic_trace(30, 1, seed=6)
    assert [list(f.counts) for f in a.functions] == [list(f.counts) for f in b.functions]
    assert [f.app for f in a.functions] == [f.app for f in b.functions]
    assert [list(f.counts) for f in a.functions] != [list(f.counts) for f in c.functions]


def test_trace_has_periodic_timer_apps_and_bursty_ones(trace):
    """The inter-arrival patterns a histogram policy can learn (timers) and cannot (bursts)."""
    apps = trace.apps()
    timers = {f.app for f in trace.functions if f.trigger == "timer"}
    assert len(timers) >= 30
    periodic = 0
    for app in timers:
        minutes = [m for m, c in enumerate(apps[app]) if c]
        gaps = [b - a for a, b in zip(minutes, minutes[1:])]
        if gaps and max(set(gaps), key=gaps.count) >= 2 and gaps.count(max(set(gaps), key=gaps.count)) > 0.8 * len(gaps):
            periodic += 1
    assert periodic >= 0.8 * len(timers)
    # Bursty: many apps whose idle times mix short gaps (within a session) and long ones.
    mixed = 0
    for counts in apps.values():
        minutes = [m for m, c in enumerate(counts) if c]
        gaps = [b - a for a, b in zip(minutes, minutes[1:])]
        if len(gaps) >= 10 and min(gaps) <= 5 and max(gaps) >= 240:
            mixed += 1
    assert mixed >= 30


def test_every_app_is_invoked_and_functions_group_into_apps(trace):
    apps = trace.apps()
    assert len(apps) == 300 and all(sum(c) > 0 for c in apps.values())
    assert len(trace.functions) > len(apps)  # some apps have several functions
    assert all(len(f.counts) == 7 * MINUTES_PER_DAY for f in trace.functions)
    assert all(len(f.owner) == len(f.app) == len(f.function) == 64 for f in trace.functions)


def test_describe_says_synthetic_and_how_it_is_calibrated(trace):
    text = trace.describe()
    assert "합성" in text and "실제 Azure 데이터가 아닙니다" in text
    assert "Serverless in the Wild" in text and "45%" in text and "36%" in text and "19%" in text
    assert "앱 300개" in text and "7일" in text


def test_csv_round_trip_in_the_datasets_format(tmp_path):
    trace = synthetic_trace(apps=20, days=2, seed=3)
    paths = write_csv(trace, tmp_path)
    assert [p.name for p in paths] == [day_file_name(1), day_file_name(2)]
    assert paths[0].name == "invocations_per_function_md.anon.d01.csv"
    with paths[0].open(newline="") as handle:
        header = next(csv.reader(handle))
    assert header[:4] == ["HashOwner", "HashApp", "HashFunction", "Trigger"]
    assert header[4:] == [str(m) for m in range(1, 1441)]
    back = read_csv(paths)
    assert back.days == 2 and back.seed is None
    assert back.apps() == trace.apps()
    assert "파일에서 읽은" in back.describe()


def test_read_csv_fills_days_a_function_is_absent(tmp_path):
    header = ["HashOwner", "HashApp", "HashFunction", "Trigger"] + [str(m) for m in range(1, 1441)]
    for day, rows in ((1, [["o", "a", "f", "http", "3"] + ["0"] * 1439]), (2, [])):
        with (tmp_path / day_file_name(day)).open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    trace = read_csv([tmp_path / day_file_name(1), tmp_path / day_file_name(2)])
    counts = trace.apps()["a"]
    assert len(counts) == 2880 and counts[0] == 3 and sum(counts) == 3


def test_read_csv_refuses_another_format_in_korean(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ValueError, match="Azure Functions 2019 형식이 아닙니다"):
        read_csv([path])
    with pytest.raises(FileNotFoundError, match="트레이스 파일이 없습니다"):
        read_csv([tmp_path / "missing.csv"])
    with pytest.raises(ValueError, match="읽을 파일이 없습니다"):
        read_csv([])


def test_bad_sizes_get_a_korean_error():
    with pytest.raises(ValueError, match="앱 수는"):
        synthetic_trace(apps=0)
    with pytest.raises(ValueError, match="일수는"):
        synthetic_trace(days=0)
