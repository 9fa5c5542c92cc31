"""The Seoul price file (dated, sourced, reviewed on time) and the Lambda cost functions, checked
against figures computed by hand from the file's own prices, each case one a common wrong formula
gets wrong."""
from datetime import date, timedelta

import pytest

from labkit.pricing import (
    PRICE_FILE,
    Workload,
    billed_duration_ms,
    gb_seconds,
    lambda_cost,
    load_prices,
    provisioned_concurrency_cost,
)


@pytest.fixture(scope="module")
def book():
    return load_prices()


def test_price_file_is_not_older_than_its_review_interval(book):
    """Fails once the prices are older than the file says they may be: re-read them and update `read`."""
    assert not book.is_stale(date.today()), (
        f"{PRICE_FILE.name}의 가격을 {book.read}에 읽었고 {book.review_every_days}일마다 다시 확인해야 합니다"
        f"(기한 {book.review_due()}). 출처를 다시 읽고 read 날짜를 고쳐 주십시오."
    )
    assert book.is_stale(book.review_due() + timedelta(days=1))  # the check can fail


def test_every_price_has_unit_region_source_and_read_date(book):
    assert book.region == "ap-northeast-2" and book.currency == "USD"
    assert len(book.prices) >= 15
    for price in book.prices.values():
        assert price.unit and price.region and price.source.startswith("https://"), price.key
        assert isinstance(price.read, date) and price.read <= date.today(), price.key
        # Each figure, not only the file, must have been read within the review interval.
        assert date.today() <= price.read + timedelta(days=book.review_every_days), price.key
        assert price.price > 0 and price.per > 0, price.key


def test_prices_not_sourced_for_seoul_say_so(book):
    outside = book.outside_region()
    assert {p.key for p in outside} >= {"api_gateway.rest_request", "lambda.provisioned_duration_x86_64"}
    assert all(p.region == "us-east-1" and "not in" in p.note for p in outside)


def test_price_book_needs_a_dated_source_for_each_price(tmp_path):
    bad = tmp_path / "prices.toml"
    bad.write_text('region = "x"\ncurrency = "USD"\nread = 2026-01-01\nreview_every_days = 90\n'
                   '[lambda.request]\nprice = 0.2\nper = 1000000\nunit = "USD"\nregion = "x"\n')
    with pytest.raises(ValueError, match="source, read"):
        load_prices(bad)
    with pytest.raises(FileNotFoundError, match="가격 파일이 없습니다"):
        load_prices(tmp_path / "missing.toml")


def X86(book):
    return book.rate("lambda.duration_x86_64")


def ARM(book):
    return book.rate("lambda.duration_arm64")


def PC(book):
    return book.rate("lambda.provisioned_concurrency_x86_64")


def PCD(book):
    return book.rate("lambda.provisioned_duration_x86_64")


def REQ(book):
    """The request price per million (USD)."""
    return book["lambda.request"].price


def test_billed_duration_rounds_up_to_the_millisecond():
    assert [billed_duration_ms(d) for d in (0.2, 15.0, 15.74, 100.01)] == [1, 15, 16, 101]


def test_awss_own_example_one(book):
    """3M requests, 1 s, 512 MB (the pricing page's example): 1.1M billable GB-s and 2M requests."""
    cost = lambda_cost(Workload(3_000_000, 1000, 512), book)
    assert cost.gb_seconds == 1_500_000 and cost.billable_gb_seconds == 1_100_000
    assert cost.total == pytest.approx(1_100_000 * X86(book) + 2 * REQ(book))
    # Wrong: MB as GB / 1000 (1,536,000 GB-s) or forgetting the free tier gives other totals.
    assert cost.total != pytest.approx((1_536_000 - 400_000) * X86(book) + 2 * REQ(book))
    assert cost.total != pytest.approx(1_500_000 * X86(book) + 3 * REQ(book))


def test_billed_ms_rounding_changes_the_bill(book):
    # 10M calls of 15.2 ms at 128 MB, no free tier: billed 16 ms -> 20,000 GB-s.
    cost = lambda_cost(Workload(10_000_000, 15.2, 128), book, free_tier=False)
    assert cost.gb_seconds == pytest.approx(20_000)
    assert cost.total == pytest.approx(20_000 * X86(book) + 10 * REQ(book))
    assert cost.total != pytest.approx(19_000 * X86(book) + 10 * REQ(book))  # 15.2 ms unrounded


def test_gigabytes_are_megabytes_over_1024(book):
    cost = lambda_cost(Workload(1_000_000, 1000, 512), book, free_tier=False)
    assert cost.gb_seconds == 500_000  # 512/1000 would give 512,000
    assert cost.duration_usd == pytest.approx(500_000 * book.rate("lambda.duration_x86_64"))


def test_arm64_uses_its_own_price(book):
    x86 = lambda_cost(Workload(2_000_000, 200, 1024), book, free_tier=False)
    arm = lambda_cost(Workload(2_000_000, 200, 1024, "arm64"), book, free_tier=False)
    assert arm.duration_usd == pytest.approx(400_000 * ARM(book))
    assert arm.requests_usd == x86.requests_usd == pytest.approx(2 * REQ(book))
    assert arm.total < x86.total


def test_init_billing_since_august_2025(book):
    # 1M calls of 100 ms at 1 GB, 1,000 of them cold with a 250.4 ms INIT: cold ones bill 351 ms.
    w = Workload(1_000_000, 100, 1024, cold_starts=1000, init_duration_ms=250.4)
    assert gb_seconds(w) == pytest.approx(999_000 * 0.1 + 1000 * 0.351)
    assert gb_seconds(w, init_billing=False) == pytest.approx(100_000)
    with_init = lambda_cost(w, book, free_tier=False)
    without = lambda_cost(w, book, free_tier=False, init_billing=False)
    assert with_init.total - without.total == pytest.approx(251 * X86(book))


def test_free_tier_edges(book):
    assert lambda_cost(Workload(0, 0, 128), book).total == 0
    at_edge = lambda_cost(Workload(1_000_000, 3200, 128), book)  # exactly 400,000 GB-s and 1M requests
    assert at_edge.total == 0
    one_more = lambda_cost(Workload(1_000_001, 3200, 128), book)
    assert one_more.requests_usd == pytest.approx(REQ(book) / 1_000_000)
    assert one_more.duration_usd == pytest.approx(0.4 * X86(book))


def test_volume_tiers_for_huge_workloads(book):
    # 7 billion GB-s of x86_64: 6e9 at the first price, 1e9 at 10% off.
    w = Workload(7_000_000_000, 1000, 1024)
    cost = lambda_cost(w, book, free_tier=False)
    rate = book.rate("lambda.duration_x86_64")
    assert cost.duration_usd == pytest.approx(6e9 * rate + 1e9 * rate * 0.9)
    assert cost.duration_usd < 7e9 * rate


def test_provisioned_concurrency_cost_by_hand(book):
    # 10 environments of 1 GB for 2 hours, serving 1M requests of 100 ms.
    cost = provisioned_concurrency_cost(10, 1024, 7200, requests=1_000_000, duration_ms=100, prices=book)
    assert cost.allocation_usd == pytest.approx(10 * 1 * 7200 * PC(book))
    assert cost.duration_usd == pytest.approx(100_000 * PCD(book))
    assert cost.requests_usd == pytest.approx(REQ(book))
    assert cost.total == pytest.approx(cost.allocation_usd + cost.duration_usd + cost.requests_usd)


def test_provisioned_time_rounds_up_to_five_minutes(book):
    cost = provisioned_concurrency_cost(1, 2048, 301, prices=book)
    assert cost.billed_seconds == 600
    assert cost.allocation_usd == pytest.approx(2 * 600 * PC(book))
    assert cost.allocation_usd != pytest.approx(2 * 301 * PC(book))


def test_provisioned_concurrency_costs_more_than_on_demand_when_idle(book):
    """One environment kept all month for 10,000 calls a month: on-demand is far cheaper."""
    pc = provisioned_concurrency_cost(1, 512, 30 * 24 * 3600, requests=10_000, duration_ms=50, prices=book)
    od = lambda_cost(Workload(10_000, 50, 512, cold_starts=100, init_duration_ms=300), book, free_tier=False)
    assert pc.total > 10 * od.total


def test_bad_workloads_get_korean_errors():
    with pytest.raises(ValueError, match="메모리는 128MB에서 10,240MB"):
        Workload(1, 1, 64)
    with pytest.raises(ValueError, match="x86_64 또는 arm64"):
        Workload(1, 1, 128, "arm")
    with pytest.raises(ValueError, match="콜드 스타트 수"):
        Workload(1, 1, 128, cold_starts=2)
    with pytest.raises(ValueError, match="요청 수는"):
        Workload(-1, 1, 128)
    with pytest.raises(ValueError, match="요청 수는"):
        Workload(1.5, 1, 128)
    assert Workload(1e6, 1, 128).requests == 1_000_000  # a whole float is a count
    with pytest.raises(ValueError, match="프로비저닝된 동시성"):
        provisioned_concurrency_cost(-1, 128, 60)


# --------------------------------------------------------------------------- beside Lambda (chapter 5, lab07)

def test_api_gateway_cost_by_api_type_and_a_korean_error_for_an_unknown_one(book):
    from labkit.pricing import api_gateway_cost

    assert api_gateway_cost(10_000_000, "http", book) == pytest.approx(12.30)
    assert api_gateway_cost(10_000_000, "rest", book) == pytest.approx(35.00)  # not the per-million price x requests
    assert api_gateway_cost(0, "rest", book) == 0
    with pytest.raises(ValueError, match="'websocket'은 알 수 없는 값입니다"):
        api_gateway_cost(1, "websocket", book)


def test_server_baselines_count_whole_servers_a_minimum_and_the_load_balancer(book):
    from labkit.pricing import ec2_baseline, fargate_baseline, servers_needed

    # 1e9 requests of 100 ms: 38.05 vCPUs busy on average; 0.5 vCPU at 60% each -> 126.8 -> 127 tasks
    assert servers_needed(1_000_000_000, 100, 0.5, 0.6, 2, 730) == 127
    assert servers_needed(0, 100, 0.5, 0.6, 2, 730) == 2
    assert servers_needed(int(730 * 3600 * 6), 100, 1, 0.6, 1, 730) == 1  # exactly 0.6 vCPU busy: one, not two
    small = fargate_baseline(0, 10, prices=book)
    assert small.servers == 2 and small.total == pytest.approx(2 * (0.5 * 0.04656 + 0.00511) * 730 + 0.0225 * 730)
    assert fargate_baseline(0, 10, architecture="arm64", prices=book).total < small.total
    # t3.medium on its 20 % baseline per vCPU (burstable), not on 2 full vCPUs
    assert ec2_baseline(1_000_000_000, 10, prices=book).servers == 10
    assert ec2_baseline(1_000_000_000, 10, utilisation=1.0, prices=book).servers == 2
    assert ec2_baseline(0, 10, prices=book).total == pytest.approx(0.052 * 730)
    with pytest.raises(ValueError, match="목표 사용률"):
        servers_needed(1, 1, 1, 0, 1, 730)


def test_rate_table_is_the_price_file_as_plain_rates(book):
    from labkit.pricing import rate_table

    rates = rate_table(book)
    assert rates["lambda"]["request"] == pytest.approx(0.20 / 1e6)
    assert rates["lambda"]["gb_second"] == {"x86_64": book.rate("lambda.duration_x86_64"), "arm64": book.rate("lambda.duration_arm64")}
    assert (rates["lambda"]["free_requests"], rates["lambda"]["free_gb_seconds"]) == (1_000_000, 400_000)
    assert rates["api_gateway"] == {"http": pytest.approx(1.23e-6), "rest": pytest.approx(3.5e-6)}
    assert rates["ec2"]["t3.medium"] == {"hour": 0.052, "vcpus": 2} and rates["hours_per_month"] == 730
    assert rates["fargate"]["vcpu_hour"]["arm64"] == 0.03725 and rates["load_balancer_hour"] == 0.0225


def test_the_baseline_prices_are_seoul_figures_with_a_source(book):
    for key in ("ec2.t3_medium", "ec2.load_balancer_hour", "fargate.vcpu_hour_x86_64", "fargate.gb_hour_x86_64",
                "fargate.vcpu_hour_arm64", "fargate.gb_hour_arm64"):
        assert book[key].region == "ap-northeast-2" and "ap-northeast-2" in book[key].source and book[key].via, key
    assert book.section("ec2.t3_medium")["baseline_per_vcpu"] == 0.20
