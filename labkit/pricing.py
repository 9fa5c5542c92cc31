"""AWS prices for the Seoul region and the Lambda cost of a workload, from one dated data file.

The prices live in `labkit/data/prices-ap-northeast-2.toml`: each with its unit, region, source
URL and the date it was read, and the file with a `review_every_days` interval that
tests/labkit/test_pricing.py enforces (nobody teaches stale prices silently). Where no Seoul
figure could be sourced the file says so and gives the figure it could source, with its region;
`PriceBook.outside_region()` lists those.

The Lambda bill (https://aws.amazon.com/lambda/pricing/):
- requests x the request price, after the free tier (1 million a month);
- GB-seconds = invocations x billed duration (each rounded **up to 1 ms**) x memory in GB
  (**MB / 1024**), after the free tier (400,000 GB-s a month), at the architecture's price with
  its volume tiers;
- since 2025-08-01 the INIT phase of a cold start is billed like the invocation for on-demand
  ZIP functions on managed runtimes: a cold invocation bills `ceil(init + duration)` ms.
API Gateway: requests x the API type's price (first tier; its 12-month free tier for new accounts
is left out). Server baselines (`fargate_baseline`, `ec2_baseline`): enough tasks or instances for
the load's CPU time at a target utilisation, never fewer than a minimum, for the month's 730 hours,
plus an Application Load Balancer's hours when asked (its LCU charge is left out).
`rate_table()` gives the same prices as plain numbers, the table lab07's learners price with.

Provisioned concurrency: the configured concurrency x memory x the time it is enabled (rounded up
to 5 minutes) at its own price, plus the requests and the duration of the invocations it serves
at the provisioned-duration price; the free tier does not apply. Not modelled: ephemeral storage
above 512 MB, Compute Savings Plans, the periodic re-initialisation of provisioned instances.
"""
from __future__ import annotations

import math
import operator
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from .korean import josa

__all__ = [
    "PRICE_FILE",
    "ARCHITECTURES",
    "Price",
    "PriceBook",
    "load_prices",
    "Workload",
    "billed_duration_ms",
    "gb_seconds",
    "LambdaCost",
    "lambda_cost",
    "ProvisionedConcurrencyCost",
    "provisioned_concurrency_cost",
    "API_TYPES",
    "api_gateway_cost",
    "ServerCost",
    "servers_needed",
    "fargate_baseline",
    "ec2_baseline",
    "rate_table",
    "REPORT_SAMPLE",
]

PRICE_FILE = Path(__file__).with_name("data") / "prices-ap-northeast-2.toml"
ARCHITECTURES = ("x86_64", "arm64")
API_TYPES = ("http", "rest")
# REPORT lines of one function on the offline cloud (512 MB, 6 cold starts in 300 invocations),
# for lab07's bill from measured data; made by tests/labs/lab07_reports.py.
REPORT_SAMPLE = Path(__file__).with_name("data") / "lab07-report-lines.txt"


@dataclass(frozen=True)
class Price:
    """One price: `price` USD for `per` units (the rate per unit is `rate`)."""

    key: str
    price: float
    per: float
    unit: str
    region: str
    source: str
    read: date
    via: str = ""
    as_of: date | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.price / self.per


@dataclass(frozen=True)
class PriceBook:
    """The price file, loaded: prices by dotted key ("lambda.request"), and the other sections."""

    region: str
    currency: str
    read: date
    review_every_days: int
    path: Path
    prices: Mapping[str, Price]
    sections: Mapping[str, Mapping[str, Any]] = field(repr=False)

    def __getitem__(self, key: str) -> Price:
        try:
            return self.prices[key]
        except KeyError:
            raise KeyError(f"가격 파일에 '{key}' 항목이 없습니다. 있는 항목: {', '.join(sorted(self.prices))}") from None

    def rate(self, key: str) -> float:
        return self[key].rate

    def section(self, key: str) -> Mapping[str, Any]:
        """A non-price table such as "lambda.free_tier" or "lambda.billing"."""
        try:
            return self.sections[key]
        except KeyError:
            raise KeyError(f"가격 파일에 '{key}' 표가 없습니다.") from None

    def review_due(self) -> date:
        return self.read + timedelta(days=self.review_every_days)

    def is_stale(self, today: date | None = None) -> bool:
        """Whether the file is older than its review interval on `today`."""
        return (today or date.today()) > self.review_due()

    def outside_region(self) -> list[Price]:
        """Prices that are not the file's region's own figure (no figure could be sourced)."""
        return [p for p in self.prices.values() if p.region != self.region]


def load_prices(path: str | Path | None = None) -> PriceBook:
    """Read a price file (default: the Seoul one shipped with labkit)."""
    path = Path(path) if path is not None else PRICE_FILE
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise FileNotFoundError(f"가격 파일이 없습니다: {path}. labkit/data/에 있는지 확인해 주십시오.") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"가격 파일 {path.name}의 TOML 형식이 잘못되었습니다: {error}") from None
    for key in ("region", "currency", "read", "review_every_days"):
        if key not in data:
            raise ValueError(f"가격 파일 {path.name}에 '{key}' 값이 없습니다. 파일 맨 위에 적어 주십시오.")
    prices: dict[str, Price] = {}
    sections: dict[str, Mapping[str, Any]] = {}
    for service, tables in data.items():
        if not isinstance(tables, dict):
            continue
        for name, table in tables.items():
            key = f"{service}.{name}"
            sections[key] = table
            if "price" not in table:
                continue
            missing = [f for f in ("per", "unit", "region", "source", "read") if f not in table]
            if missing:
                raise ValueError(f"가격 '{key}'에 {', '.join(missing)} 값이 없습니다. 가격마다 단위, 지역, 출처, 읽은 날짜를 적어 주십시오.")
            prices[key] = Price(
                key, float(table["price"]), float(table["per"]), table["unit"], table["region"], table["source"],
                table["read"], table.get("via", ""), table.get("as_of"), table.get("note", ""),
            )
    return PriceBook(data["region"], data["currency"], data["read"], int(data["review_every_days"]), path, prices, sections)


_DEFAULT: PriceBook | None = None


def _book(prices: PriceBook | None) -> PriceBook:
    global _DEFAULT
    if prices is not None:
        return prices
    if _DEFAULT is None:
        _DEFAULT = load_prices()
    return _DEFAULT


# --------------------------------------------------------------------------- Lambda


@dataclass(frozen=True)
class Workload:
    """A month of one function: `requests` invocations of `duration_ms` each at `memory_mb`.

    `cold_starts` of them had an INIT phase of `init_duration_ms` (billed since 2025-08-01).
    """

    requests: int
    duration_ms: float
    memory_mb: int
    architecture: str = "x86_64"
    cold_starts: int = 0
    init_duration_ms: float = 0.0

    def __post_init__(self) -> None:
        for name in ("requests", "cold_starts"):
            object.__setattr__(self, name, _whole(getattr(self, name), "요청 수" if name == "requests" else "콜드 스타트 수"))
        if self.duration_ms < 0 or self.init_duration_ms < 0:
            raise ValueError("실행 시간과 INIT 시간은 0 이상이어야 합니다(밀리초).")
        if not 128 <= self.memory_mb <= 10240:
            raise ValueError(f"메모리는 128MB에서 10,240MB 사이여야 합니다(받은 값: {self.memory_mb}MB).")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"아키텍처는 x86_64 또는 arm64여야 합니다. {josa(repr(self.architecture), '은')} 알 수 없는 값입니다."
            )
        if not 0 <= self.cold_starts <= self.requests:
            raise ValueError(f"콜드 스타트 수({self.cold_starts})는 0 이상, 요청 수({self.requests}) 이하여야 합니다.")


def _whole(value: object, what: str) -> int:
    """A count as an int: ints, numpy integers and whole floats (1e6) are accepted."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        count = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{josa(what, '는')} 0 이상의 정수여야 합니다(받은 값: {value!r}).") from None
    if count < 0:
        raise ValueError(f"{josa(what, '는')} 0 이상의 정수여야 합니다(받은 값: {value!r}).")
    return count


def billed_duration_ms(duration_ms: float) -> int:
    """Lambda's billed duration: rounded up to the next whole millisecond."""
    return math.ceil(duration_ms)


def gb_seconds(workload: Workload, *, init_billing: bool = True) -> float:
    """The workload's GB-seconds: each invocation's billed ms x memory (MB / 1024), summed."""
    gigabytes = workload.memory_mb / 1024
    warm = workload.requests - workload.cold_starts
    if init_billing:
        cold_ms = billed_duration_ms(workload.init_duration_ms + workload.duration_ms)
    else:
        cold_ms = billed_duration_ms(workload.duration_ms)
    total_ms = warm * billed_duration_ms(workload.duration_ms) + workload.cold_starts * cold_ms
    return total_ms / 1000 * gigabytes


def _tiered(quantity: float, rate: float, tiers: list[list[float]]) -> float:
    """Charge `quantity` across cumulative tiers [[upper bound, discount], ...]."""
    total, lower = 0.0, 0.0
    for upper, discount in tiers:
        if quantity <= lower:
            break
        total += (min(quantity, upper) - lower) * rate * (1 - discount)
        lower = upper
    return total


@dataclass(frozen=True)
class LambdaCost:
    """A month's Lambda charges for a workload, in USD."""

    requests_usd: float
    duration_usd: float
    gb_seconds: float
    billable_requests: int
    billable_gb_seconds: float

    @property
    def total(self) -> float:
        return self.requests_usd + self.duration_usd


def lambda_cost(
    workload: Workload,
    prices: PriceBook | None = None,
    *,
    init_billing: bool = True,
    free_tier: bool = True,
) -> LambdaCost:
    """The on-demand Lambda cost of `workload` (see the module docstring for the formula).

    `init_billing=False` prices a cold start as before 2025-08-01 (INIT not billed);
    `free_tier=False` when the account's free tier is used up elsewhere. The volume tiers apply
    to this workload's GB-seconds after the free tier (AWS counts the account's whole month per
    architecture and region: the same when this is the only function).
    """
    book = _book(prices)
    free = book.section("lambda.free_tier")
    seconds = gb_seconds(workload, init_billing=init_billing)
    billable_requests = max(0, workload.requests - free["requests"]) if free_tier else workload.requests
    billable_seconds = max(0.0, seconds - free["gb_seconds"]) if free_tier else seconds
    tiers = book.section("lambda.duration_tiers")[workload.architecture]
    return LambdaCost(
        requests_usd=billable_requests * book.rate("lambda.request"),
        duration_usd=_tiered(billable_seconds, book.rate(f"lambda.duration_{workload.architecture}"), tiers),
        gb_seconds=seconds,
        billable_requests=billable_requests,
        billable_gb_seconds=billable_seconds,
    )


@dataclass(frozen=True)
class ProvisionedConcurrencyCost:
    """Charges of provisioned concurrency and of the invocations it serves, in USD."""

    allocation_usd: float
    duration_usd: float
    requests_usd: float
    billed_seconds: int

    @property
    def total(self) -> float:
        return self.allocation_usd + self.duration_usd + self.requests_usd


def provisioned_concurrency_cost(
    concurrency: int,
    memory_mb: int,
    seconds: float,
    requests: int = 0,
    duration_ms: float = 0.0,
    architecture: str = "x86_64",
    prices: PriceBook | None = None,
) -> ProvisionedConcurrencyCost:
    """`concurrency` environments of `memory_mb` enabled for `seconds`, serving `requests` of `duration_ms`.

    Allocation: concurrency x GB x seconds (rounded up to 5 minutes) x the provisioned price;
    invocations: requests and billed GB-seconds at the provisioned-duration price (no INIT: the
    environments are initialised in advance); no free tier. Requests beyond the concurrency
    spill over to on-demand: price them with `lambda_cost`.
    """
    book = _book(prices)
    concurrency = _whole(concurrency, "프로비저닝된 동시성")
    if seconds < 0:
        raise ValueError(f"활성화 시간은 0 이상이어야 합니다(받은 값: {seconds}초).")
    invocations = Workload(requests, duration_ms, memory_mb, architecture)  # validates the rest
    rounding = book.section("lambda.billing")["provisioned_rounding_seconds"]
    billed = math.ceil(seconds / rounding) * rounding
    gigabytes = memory_mb / 1024
    return ProvisionedConcurrencyCost(
        allocation_usd=concurrency * gigabytes * billed * book.rate(f"lambda.provisioned_concurrency_{architecture}"),
        duration_usd=gb_seconds(invocations) * book.rate(f"lambda.provisioned_duration_{architecture}"),
        requests_usd=requests * book.rate("lambda.request"),
        billed_seconds=billed,
    )


# --------------------------------------------------------------------------- beside Lambda


def api_gateway_cost(requests: int, api: str = "http", prices: PriceBook | None = None) -> float:
    """API Gateway's request charge for a month: "http" (HTTP API) or "rest" (REST API), first tier."""
    if api not in API_TYPES:
        raise ValueError(f"API 종류는 'http' 또는 'rest'여야 합니다. {josa(repr(api), '은')} 알 수 없는 값입니다.")
    return _whole(requests, "요청 수") * _book(prices).rate(f"api_gateway.{api}_request")


@dataclass(frozen=True)
class ServerCost:
    """A month of always-on servers sized for a load, in USD."""

    servers: int
    compute_usd: float
    load_balancer_usd: float

    @property
    def total(self) -> float:
        return self.compute_usd + self.load_balancer_usd


def servers_needed(requests: int, cpu_ms: float, vcpus: float, utilisation: float, minimum: int, hours: float) -> int:
    """Servers of `vcpus` that run `requests` of `cpu_ms` CPU time a month at `utilisation` on average.

    The load is taken as steady over the month (a peak needs servers for the peak: raise
    `minimum` or lower `utilisation`), and each request as CPU-bound for `cpu_ms`.
    """
    if not 0 < utilisation <= 1:
        raise ValueError(f"목표 사용률은 0보다 크고 1 이하여야 합니다(받은 값: {utilisation}).")
    busy_vcpus = _whole(requests, "요청 수") / (hours * 3600) * cpu_ms / 1000
    return max(minimum, math.ceil(busy_vcpus / (vcpus * utilisation) - 1e-9))


def fargate_baseline(
    requests: int,
    cpu_ms: float,
    vcpu: float = 0.5,
    memory_gb: float = 1.0,
    architecture: str = "x86_64",
    *,
    utilisation: float = 0.6,
    minimum: int = 2,
    load_balancer: bool = True,
    prices: PriceBook | None = None,
) -> ServerCost:
    """Fargate tasks of `vcpu` and `memory_gb` sized for the load, all month, behind one ALB."""
    book = _book(prices)
    hours = book.section("billing.month")["hours"]
    tasks = servers_needed(requests, cpu_ms, vcpu, utilisation, minimum, hours)
    hourly = vcpu * book.rate(f"fargate.vcpu_hour_{architecture}") + memory_gb * book.rate(f"fargate.gb_hour_{architecture}")
    balancer = hours * book.rate("ec2.load_balancer_hour") if load_balancer else 0.0
    return ServerCost(tasks, tasks * hourly * hours, balancer)


def ec2_baseline(
    requests: int,
    cpu_ms: float,
    instance: str = "t3.medium",
    *,
    utilisation: float | None = None,
    minimum: int = 1,
    load_balancer: bool = False,
    prices: PriceBook | None = None,
) -> ServerCost:
    """On-Demand EC2 instances sized for the load, all month (the seed's t3.medium: no ALB, one at least).

    `utilisation` defaults to the instance's baseline (20% of each vCPU for t3 and t4g): what a
    burstable instance sustains without spending CPU credits or paying for surplus ones.
    """
    book = _book(prices)
    key = "ec2." + instance.replace(".", "_")
    price = book[key]
    if utilisation is None:
        utilisation = book.section(key).get("baseline_per_vcpu", 1.0)
    hours = book.section("billing.month")["hours"]
    count = servers_needed(requests, cpu_ms, book.section(key)["vcpus"], utilisation, minimum, hours)
    balancer = hours * book.rate("ec2.load_balancer_hour") if load_balancer else 0.0
    return ServerCost(count, count * price.rate * hours, balancer)


def rate_table(prices: PriceBook | None = None) -> dict[str, Any]:
    """The prices lab07 computes with, as plain numbers in USD per unit (a request, a GB-second, an hour).

    Only the table: the formulas are the learner's. Volume tiers are left out (the lab's loads
    stay in the first tier).
    """
    book = _book(prices)
    free = book.section("lambda.free_tier")
    return {
        "lambda": {
            "request": book.rate("lambda.request"),
            "gb_second": {a: book.rate(f"lambda.duration_{a}") for a in ARCHITECTURES},
            "free_requests": free["requests"],
            "free_gb_seconds": free["gb_seconds"],
        },
        "api_gateway": {api: book.rate(f"api_gateway.{api}_request") for api in API_TYPES},
        "fargate": {
            "vcpu_hour": {a: book.rate(f"fargate.vcpu_hour_{a}") for a in ARCHITECTURES},
            "gb_hour": {a: book.rate(f"fargate.gb_hour_{a}") for a in ARCHITECTURES},
        },
        "ec2": {name.removeprefix("ec2.").replace("_", "."): {"hour": p.rate, "vcpus": book.section(name)["vcpus"]}
                for name, p in book.prices.items() if name.startswith("ec2.t")},
        "load_balancer_hour": book.rate("ec2.load_balancer_hour"),
        "hours_per_month": book.section("billing.month")["hours"],
    }
