"""A synthetic invocation trace in the Azure Functions 2019 format, for the keep-alive lab.

The real trace (Shahrad et al., "Serverless in the Wild", USENIX ATC 2020; the
AzurePublicDataset "Azure Functions 2019") is not in any Git repository and cannot be fetched
offline, so the course **synthesizes** one in the same format: per function and per day one row
`HashOwner,HashApp,HashFunction,Trigger,1,...,1440` of invocation counts per minute, one CSV file
per day (`invocations_per_function_md.anon.d01.csv`, ...). `read_csv` reads real day files just
as well, so a learner who has the dataset can swap it in.

The generator is deterministic for a seed (`random.Random(seed)`, no global state) and calibrated
to the figures the paper publishes about apps (the functions of an app summed):

- 45% of apps are invoked at most once an hour on average, a further 36% at most once a minute,
  and the other 19% (more than once a minute) make more than 99.5% of all invocations;
- average rates span about 8 orders of magnitude (one invocation a week to ~10^4 a minute);
- inter-arrival patterns mix timer-triggered periodic apps (periods from 1 minute to a day),
  Poisson apps with a daily cycle, and bursty apps (sessions of activity separated by long idle
  gaps), so that an idle-time histogram has something to learn and something it cannot.

How: each app gets a class (infrequent / moderate / frequent) in exactly the paper's proportions,
then a pattern and a target average rate drawn log-uniformly inside its class's bounds; an app
whose realised rate falls outside its class is drawn again. The class shares are therefore exact
by construction; the invocation share and the span of rates are outcomes, measured by
`calibration()` (and checked in tests/labkit/test_traces.py). What is *not* calibrated (the
paper publishes no such figure; these are the course's choices): the mix of patterns within a
class (`INFREQUENT_PATTERNS`, `MODERATE_PATTERNS`: timers, bursts, Poisson), timer periods,
trigger names, and per-function durations and memory (the real trace has them in separate files;
this module produces invocations only).

Pure standard library (numpy is not a course dependency); a 300-app week takes well under a
second (bench/keepalive.py measures it).
"""
from __future__ import annotations

import bisect
import csv
import math
import operator
import random
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path

__all__ = [
    "MINUTES_PER_DAY",
    "FunctionTrace",
    "Trace",
    "Calibration",
    "synthetic_trace",
    "calibration",
    "write_csv",
    "read_csv",
    "day_file_name",
]

MINUTES_PER_DAY = 1440
HEADER = ["HashOwner", "HashApp", "HashFunction", "Trigger"] + [str(m) for m in range(1, MINUTES_PER_DAY + 1)]

# The paper's app classes: share of apps, and the bounds of the average rate (per minute) we draw
# targets from. The bounds keep a margin inside the class limits (1/60 and 1 per minute) so that
# Poisson noise cannot move an app across a limit.
_INFREQUENT, _MODERATE, _FREQUENT = "infrequent", "moderate", "frequent"
CLASS_SHARES = {_INFREQUENT: 0.45, _MODERATE: 0.36, _FREQUENT: 0.19}
# The mix of inter-arrival patterns within a class: the course's choice, not a published figure.
INFREQUENT_PATTERNS = {"timer": 0.20, "bursty": 0.65, "poisson": 0.15}
MODERATE_PATTERNS = {"timer": 0.45, "poisson": 0.25, "bursty": 0.30}


@dataclass(frozen=True)
class FunctionTrace:
    """One function's invocations per minute over the whole trace (days x 1,440 counts)."""

    owner: str
    app: str
    function: str
    trigger: str
    counts: Sequence[int] = field(repr=False)


@dataclass(frozen=True)
class Calibration:
    """The paper's app-level figures, measured on a trace."""

    apps: int
    days: int
    share_at_most_hourly: float  # apps with average rate <= 1 per hour
    share_at_most_minutely: float  # apps with 1/hour < rate <= 1 per minute
    share_frequent: float  # apps with rate > 1 per minute
    invocation_share_frequent: float  # of all invocations, made by the frequent apps
    rate_orders_of_magnitude: float  # log10(max app rate / min app rate)
    invocations: int


@dataclass(frozen=True)
class Trace:
    """Functions' per-minute invocation counts over `days` days."""

    functions: tuple[FunctionTrace, ...]
    days: int
    seed: int | None = None  # None for a trace read from files

    @property
    def minutes(self) -> int:
        return self.days * MINUTES_PER_DAY

    def apps(self) -> dict[str, array]:
        """Per app (HashApp), the counts of its functions summed minute by minute (arrays of ints).

        The keep-alive policy of the paper works per app: an app's functions share its instance.
        """
        totals: dict[str, array] = {}
        for fn in self.functions:
            row = totals.get(fn.app)
            totals[fn.app] = array("l", fn.counts) if row is None else array("l", map(operator.add, row, fn.counts))
        return totals

    def describe(self) -> str:
        """A Korean summary: what the trace is, whether it is synthetic, and its figures."""
        c = calibration(self)
        origin = (
            f"이 과정이 시드 {self.seed}로 만든 합성 트레이스입니다(실제 Azure 데이터가 아닙니다). "
            "형식은 Azure Functions 2019 트레이스와 같습니다(함수마다, 하루마다 1,440분의 분당 호출 수). "
            "Shahrad 외 \"Serverless in the Wild\"(USENIX ATC 2020)가 발표한 수치에 맞춰, 앱의 45%는 "
            "한 시간에 한 번 이하, 36%는 그보다 잦지만 1분에 한 번 이하, 나머지 19%는 그보다 잦게 "
            "호출되도록 앱마다 부류를 정하고 그 안에서 평균 호출 빈도를 뽑았습니다. 잦은 19%가 호출의 "
            "99.5% 넘게 차지하는지, 빈도가 약 8자릿수에 걸치는지는 아래의 잰 값으로 확인할 수 있습니다. "
            "호출 패턴은 타이머로 주기 호출되는 앱, 하루 주기가 있는 포아송 앱, 몰아서 호출되는 앱을 "
            "섞었습니다(이 섞는 비율은 논문의 수치가 아니라 이 과정이 정한 값입니다)."
            if self.seed is not None
            else "파일에서 읽은 트레이스입니다(Azure Functions 2019 형식)."
        )
        return (
            f"{origin}\n"
            f"- 앱 {c.apps}개, 함수 {len(self.functions)}개, {c.days}일, 호출 {c.invocations:,}회\n"
            f"- 한 시간에 한 번 이하로 호출되는 앱: {c.share_at_most_hourly:.0%}\n"
            f"- 그보다 잦지만 1분에 한 번 이하인 앱: {c.share_at_most_minutely:.0%}\n"
            f"- 1분에 한 번보다 잦은 앱: {c.share_frequent:.0%}(전체 호출의 {c.invocation_share_frequent:.2%})\n"
            f"- 가장 잦은 앱과 가장 드문 앱의 평균 호출 빈도 차이: 약 {c.rate_orders_of_magnitude:.1f}자릿수"
            f"(10의 {c.rate_orders_of_magnitude:.1f}제곱 배)"
        )


def calibration(trace: Trace) -> Calibration:
    """The paper's figures on `trace`: class shares by average rate, invocation share, rate span."""
    minutes = trace.minutes
    totals = {app: sum(counts) for app, counts in trace.apps().items()}
    totals = {app: total for app, total in totals.items() if total > 0}
    if not totals:
        raise ValueError("트레이스에 호출이 하나도 없습니다. 호출 수가 있는 트레이스를 넘겨 주십시오.")
    rates = {app: total / minutes for app, total in totals.items()}
    hourly = [a for a, r in rates.items() if _rate_class(r) == _INFREQUENT]
    minutely = [a for a, r in rates.items() if _rate_class(r) == _MODERATE]
    frequent = [a for a, r in rates.items() if _rate_class(r) == _FREQUENT]
    everything = sum(totals.values())
    n = len(rates)
    return Calibration(
        apps=n,
        days=trace.days,
        share_at_most_hourly=len(hourly) / n,
        share_at_most_minutely=len(minutely) / n,
        share_frequent=len(frequent) / n,
        invocation_share_frequent=sum(totals[a] for a in frequent) / everything,
        rate_orders_of_magnitude=math.log10(max(rates.values()) / min(rates.values())),
        invocations=everything,
    )


# --------------------------------------------------------------------------- generation


def _rate_class(rate: float) -> str:
    """The paper's class of an app by its average invocations per minute."""
    return _INFREQUENT if rate <= 1 / 60 else _MODERATE if rate <= 1 else _FREQUENT


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _hash(rng: random.Random) -> str:
    """A 64-hex-digit name like the trace's anonymised SHA-256 hashes (drawn, not hashed)."""
    return f"{rng.getrandbits(256):064x}"


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw: exact by multiplication for small means, normal approximation above 30."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _diurnal(rng: random.Random) -> list[float]:
    """A daily cycle for one app: relative load per minute of day, averaging 1."""
    amplitude, phase = rng.uniform(0.2, 0.9), rng.uniform(0, 2 * math.pi)
    return [1 + amplitude * math.sin(2 * math.pi * m / MINUTES_PER_DAY + phase) for m in range(MINUTES_PER_DAY)]


def _timer(rng: random.Random, counts: array, period: int) -> None:
    """A timer trigger: one invocation every `period` minutes, now and then a minute late."""
    minute = rng.randrange(period)
    while minute < len(counts):
        late = 1 if rng.random() < 0.05 else 0
        if minute + late < len(counts):
            counts[minute + late] += 1
        minute += period


def _poisson_events(rng: random.Random, counts: array, rate: float, cycle: list[float] | None) -> None:
    """Events at `rate` per minute on average, thinned by a daily cycle (sparse: event by event)."""
    peak = rate * (max(cycle) if cycle else 1.0)
    t = rng.expovariate(peak)
    n = len(counts)
    while t < n:
        minute = int(t)
        if cycle is None or rng.random() * peak < rate * cycle[minute % MINUTES_PER_DAY]:
            counts[minute] += 1
        t += rng.expovariate(peak)


def _bursty(rng: random.Random, counts: array, rate: float) -> None:
    """Sessions of activity (a few minutes, several calls) separated by long exponential gaps."""
    per_session = rng.uniform(3, 15)
    length = rng.randint(2, 20)  # minutes
    sessions = rate / per_session  # per minute
    n = len(counts)
    t = rng.expovariate(sessions)
    while t < n:
        start = int(t)
        calls = max(1, _poisson(rng, per_session))
        for _ in range(calls):
            minute = start + rng.randrange(length)
            if minute < n:
                counts[minute] += 1
        t += length + rng.expovariate(sessions)


def _poisson_table(mean: float) -> list[float]:
    """The cumulative Poisson distribution for `mean` (small means), for sampling by bisection."""
    table, term, total, k = [], math.exp(-mean), 0.0, 0
    while total < 1 - 1e-9 and k < 200:
        total += term
        table.append(total)
        k += 1
        term *= mean / k
    return table


def _dense(rng: random.Random, counts: array, rate: float, cycle: list[float]) -> None:
    """A frequent app: a Poisson count for every minute, the mean following the daily cycle hour by hour.

    The mean is constant within an hour of the day, so small means sample by bisection in one of
    24 precomputed tables and large ones (> 30) by the normal approximation: both fast enough in
    pure Python for a week of minutes.
    """
    hourly = [rate * sum(cycle[h * 60 : h * 60 + 60]) / 60 for h in range(24)]
    tables = [_poisson_table(mean) if mean <= 30 else None for mean in hourly]
    spread = [2 * math.sqrt(mean) for mean in hourly]
    draw, find = rng.random, bisect.bisect_left
    values: list[int] = []
    for block in range(0, len(counts), 60):  # one hour of the day at a time, same mean
        hour = (block % MINUTES_PER_DAY) // 60
        n = min(60, len(counts) - block)
        table = tables[hour]
        if table is None:
            # Normal approximation, the unit normal as a sum of three uniforms (Irwin-Hall, sd 1/2
            # times 2): several times faster than random.gauss and close enough for counts > 30.
            mean, sd = hourly[hour], spread[hour]
            values += [max(0, round(mean + sd * (draw() + draw() + draw() - 1.5))) for _ in range(n)]
        else:
            top = len(table) - 1
            values += [min(find(table, draw()), top) for _ in range(n)]
    counts[:] = array("l", values)


def _app_counts(rng: random.Random, kind: str, minutes: int) -> tuple[array, str]:
    """One app's per-minute counts and its trigger, for its rate class."""
    counts = array("l", [0]) * minutes
    pattern = rng.random()
    if kind == _FREQUENT:
        rate = _log_uniform(rng, 1.5, 1e4)
        _dense(rng, counts, rate, _diurnal(rng))
        return counts, rng.choice(["http", "http", "queue", "event"])
    if kind == _MODERATE:
        if pattern < MODERATE_PATTERNS["timer"]:
            _timer(rng, counts, rng.choice([2, 3, 5, 10, 15, 20, 30, 45]))
            return counts, "timer"
        if pattern < MODERATE_PATTERNS["timer"] + MODERATE_PATTERNS["poisson"]:
            _poisson_events(rng, counts, _log_uniform(rng, 1 / 40, 0.7), _diurnal(rng))
            return counts, rng.choice(["http", "queue", "storage"])
        _bursty(rng, counts, _log_uniform(rng, 1 / 40, 0.7))
        return counts, "http"
    # Infrequent: at most once an hour; at least one invocation (absent apps are not in a trace).
    if pattern < INFREQUENT_PATTERNS["timer"]:
        _timer(rng, counts, rng.choice([90, 120, 180, 240, 360, 720, 1440]))
        trigger = "timer"
    elif pattern < INFREQUENT_PATTERNS["timer"] + INFREQUENT_PATTERNS["bursty"]:
        _bursty(rng, counts, _log_uniform(rng, 1 / minutes, 1 / 100))
        trigger = "http"
    else:
        _poisson_events(rng, counts, _log_uniform(rng, 1 / minutes, 1 / 100), None)
        trigger = rng.choice(["http", "queue", "event", "orchestration"])
    if not any(counts):
        counts[rng.randrange(minutes)] = 1
    return counts, trigger


def _split(rng: random.Random, counts: array, parts: int) -> list[array]:
    """A sparse app's counts shared among its functions, each invocation to one function."""
    weights = [rng.random() + 0.1 for _ in range(parts)]
    total = sum(weights)
    bounds = [sum(weights[: i + 1]) / total for i in range(parts)]
    bounds[-1] = 1.0
    out = [array("l", [0]) * len(counts) for _ in range(parts)]
    for minute in compress(range(len(counts)), counts):  # the minutes with calls only
        for _ in range(counts[minute]):
            out[bisect.bisect_left(bounds, rng.random())][minute] += 1
    return out


def synthetic_trace(apps: int = 300, days: int = 7, seed: int = 2019) -> Trace:
    """A deterministic synthetic trace of `apps` apps over `days` days (see the module docstring)."""
    if not isinstance(apps, int) or apps < 3:
        raise ValueError(f"앱 수는 3 이상의 정수여야 합니다(받은 값: {apps!r}). 예: synthetic_trace(apps=300).")
    if not isinstance(days, int) or days < 1:
        raise ValueError(f"일수는 1 이상의 정수여야 합니다(받은 값: {days!r}). 예: synthetic_trace(days=7).")
    rng = random.Random(seed)
    minutes = days * MINUTES_PER_DAY
    frequent = round(apps * CLASS_SHARES[_FREQUENT])
    infrequent = round(apps * CLASS_SHARES[_INFREQUENT])
    kinds = [_INFREQUENT] * infrequent + [_MODERATE] * (apps - infrequent - frequent) + [_FREQUENT] * frequent
    rng.shuffle(kinds)
    owners = [_hash(rng) for _ in range(max(1, apps // 3))]
    functions: list[FunctionTrace] = []
    for kind in kinds:
        owner, app = rng.choice(owners), _hash(rng)
        for _ in range(100):  # draw again until the realised rate is in the app's class
            counts, trigger = _app_counts(rng, kind, minutes)
            if _rate_class(sum(counts) / minutes) == kind:
                break
        # Some apps have several functions (they share the app's instance); frequent apps keep one,
        # which spares splitting ~10^4 calls a minute and changes nothing the lab measures.
        parts = 1 if kind == _FREQUENT or rng.random() < 0.6 else rng.randint(2, 3)
        for part in (_split(rng, counts, parts) if parts > 1 else [counts]):
            functions.append(FunctionTrace(owner, app, _hash(rng), trigger, part))
    return Trace(tuple(functions), days, seed)


# --------------------------------------------------------------------------- CSV


def day_file_name(day: int) -> str:
    """The dataset's name for day `day` (1-based): invocations_per_function_md.anon.d01.csv."""
    return f"invocations_per_function_md.anon.d{day:02d}.csv"


def write_csv(trace: Trace, directory: str | Path) -> list[Path]:
    """Write one day file per day in the dataset's format; return their paths in day order.

    A function with no invocation on a day gets no row for that day, as in the dataset.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for day in range(trace.days):
        path = directory / day_file_name(day + 1)
        start = day * MINUTES_PER_DAY
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for fn in trace.functions:
                row = fn.counts[start : start + MINUTES_PER_DAY]
                if any(row):
                    writer.writerow([fn.owner, fn.app, fn.function, fn.trigger, *row])
        paths.append(path)
    return paths


def read_csv(paths: Iterable[str | Path]) -> Trace:
    """Read day files (in day order) of the Azure Functions 2019 invocation format into a Trace.

    A function missing from a day's file had no invocation that day (zeros).
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("읽을 파일이 없습니다. 하루치 CSV 파일 경로를 하나 이상 넘겨 주십시오.")
    rows: dict[tuple[str, str, str], tuple[str, array]] = {}
    total = len(paths) * MINUTES_PER_DAY
    for day, path in enumerate(paths):
        if not path.is_file():
            raise FileNotFoundError(f"트레이스 파일이 없습니다: {path}. 경로를 확인해 주십시오.")
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or header[:4] != HEADER[:4] or len(header) != len(HEADER):
                raise ValueError(
                    f"{path.name}의 머리글이 Azure Functions 2019 형식이 아닙니다. "
                    "첫 줄은 HashOwner,HashApp,HashFunction,Trigger,1,...,1440이어야 합니다."
                )
            offset = day * MINUTES_PER_DAY
            for number, row in enumerate(reader, start=2):
                if len(row) != len(HEADER):
                    raise ValueError(f"{path.name} {number}번째 줄의 칸 수가 {len(HEADER)}개가 아닙니다({len(row)}개).")
                key = (row[0], row[1], row[2])
                if key not in rows:
                    rows[key] = (row[3], array("l", [0]) * total)
                counts = rows[key][1]
                for minute, value in enumerate(row[4:]):
                    if value != "0":
                        counts[offset + minute] = int(value)
    functions = tuple(FunctionTrace(o, a, f, trigger, counts) for (o, a, f), (trigger, counts) in rows.items())
    return Trace(functions, len(paths), None)
