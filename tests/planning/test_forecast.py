"""The nightly forecast: figures exact against history the test writes."""

from datetime import datetime, time, timedelta

import pytest

from distribution.models import QuotaPolicy
from gomask.clock import PARIS
from planning.forecast import ALPHA, HISTORY_DAYS, compute_forecast
from planning.models import StockForecast
from tests.planning.conftest import TODAY, every_day, handed_over, reference, set_stock

pytestmark = pytest.mark.django_db

WEIGHTS = sum((1 - ALPHA) ** k for k in range(HISTORY_DAYS))


def forecast(pharmacy, product):
    return StockForecast.objects.get(pharmacy=pharmacy, product=product)


def test_a_steady_rate_under_the_quota_ceiling_gives_cover_and_stockout_date(riscle, surgical):
    set_stock(riscle, surgical, 100, reserved=10)
    every_day(riscle, surgical, 10)
    reference(riscle, 7)  # 7 nurses x 18 a week = 18 a day

    compute_forecast(today=TODAY)

    row = forecast(riscle, surgical)
    assert row.recent_rate == pytest.approx(10.0)
    assert row.quota_ceiling == pytest.approx(18.0)
    assert row.daily_demand == pytest.approx(10.0)
    assert row.referenced == 7
    assert row.days_of_cover == pytest.approx(9.0)  # (100 - 10 options) / 10
    assert row.stockout_on == TODAY + timedelta(days=9)


def test_demand_is_bounded_by_the_quotas_of_the_referenced_professionals(toulouse, surgical):
    set_stock(toulouse, surgical, 30)
    every_day(toulouse, surgical, 20)
    reference(toulouse, 2, insee_code="31555")  # 2 x 18 a week

    compute_forecast(today=TODAY)

    row = forecast(toulouse, surgical)
    assert row.recent_rate == pytest.approx(20.0)
    assert row.daily_demand == pytest.approx(36 / 7)
    assert row.days_of_cover == pytest.approx(30 / (36 / 7))
    assert row.stockout_on == TODAY + timedelta(days=5)


def test_recent_days_weigh_more_and_paris_days_are_used(riscle, surgical):
    set_stock(riscle, surgical, 50)
    yesterday = TODAY - timedelta(days=1)
    handed_over(riscle, surgical, 14, day=yesterday, hour=23)  # 22:00 UTC, still yesterday in Paris
    handed_over(riscle, surgical, 8, day=TODAY - timedelta(days=3))
    handed_over(riscle, surgical, 99, day=TODAY - timedelta(days=HISTORY_DAYS + 1))  # too old
    handed_over(riscle, surgical, 99, day=TODAY)  # today: not a whole day yet

    compute_forecast(today=TODAY)

    expected = (14 * 1 + 8 * (1 - ALPHA) ** 2) / WEIGHTS
    row = forecast(riscle, surgical)
    assert row.recent_rate == pytest.approx(expected)
    assert row.daily_demand == pytest.approx(expected)  # nobody referenced: no ceiling
    assert row.days_of_cover == pytest.approx(50 / expected)


def test_a_regional_quota_in_force_replaces_the_national_one(riscle, surgical):
    set_stock(riscle, surgical, 0)
    every_day(riscle, surgical, 50)
    reference(riscle, 7)
    QuotaPolicy.objects.create(
        profession="infirmier",
        product=surgical,
        quantity=30,
        effective_from=TODAY - timedelta(days=2),
        region_id="76",
    )
    QuotaPolicy.objects.create(  # not yet in force
        profession="infirmier",
        product=surgical,
        quantity=1,
        effective_from=TODAY + timedelta(days=1),
        region_id="76",
    )

    compute_forecast(today=TODAY)

    row = forecast(riscle, surgical)
    assert row.quota_ceiling == pytest.approx(30.0)
    assert row.days_of_cover == 0
    assert row.stockout_on == TODAY


def test_without_demand_there_is_no_stockout_date_and_every_open_pharmacy_is_covered(
    riscle, toulouse, surgical, products
):
    set_stock(riscle, surgical, 40)
    toulouse.is_active = False
    toulouse.save()

    count = compute_forecast(today=TODAY)

    active = sum(1 for p in products.values() if p.is_active)
    assert count == active
    row = forecast(riscle, surgical)
    assert row.daily_demand == 0
    assert row.days_of_cover is None and row.stockout_on is None
    assert not StockForecast.objects.filter(pharmacy=toulouse).exists()


def test_a_second_run_replaces_the_first(riscle, surgical):
    set_stock(riscle, surgical, 40)
    compute_forecast(today=TODAY - timedelta(days=1))
    compute_forecast(today=TODAY)
    assert StockForecast.objects.filter(pharmacy=riscle, product=surgical).get().computed_on == TODAY


def test_the_stock_out_date_is_paris_midnight_safe(riscle, surgical):
    # a handover at 00:30 Paris on the day before the run counts as that day
    set_stock(riscle, surgical, 10)
    when = datetime.combine(TODAY - timedelta(days=1), time(0, 30), tzinfo=PARIS)
    handed_over(riscle, surgical, 7, day=when.date(), hour=0)
    compute_forecast(today=TODAY)
    assert forecast(riscle, surgical).recent_rate == pytest.approx(7 / WEIGHTS)
