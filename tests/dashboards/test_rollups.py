"""Roll-ups: equal to a live aggregation of the sources, idempotent, incremental, scheduled."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Max, Sum

from dashboards import tasks
from dashboards.models import (
    DispensationWeek,
    PharmacyWeek,
    ProfessionalCensus,
    RollupState,
    ServedMonth,
    ServedWeek,
)
from dashboards.services import WEEKLY, month_of, refresh_rollups, week_start_of
from distribution.models import Dispensation
from pharmacies import services as pharmacies
from pharmacies.models import StockMovement
from tests.dashboards.conftest import arrive, dispense

pytestmark = pytest.mark.django_db


def snapshot():
    """Every roll-up row as plain tuples, for equality across refreshes."""
    return {
        "pharmacy": sorted(
            PharmacyWeek.objects.values_list(
                "week_start",
                "pharmacy_id",
                "product_id",
                "arrived_national",
                "arrived_regional",
                "arrived_donation",
                "dispensed",
                "dispensation_count",
            )
        ),
        "dispensation": sorted(
            DispensationWeek.objects.values_list(
                "week_start",
                "departement_id",
                "epci_id",
                "product_id",
                "profession",
                "quantity",
                "dispensation_count",
            )
        ),
        "served": sorted(
            ServedWeek.objects.values_list("week_start", "professional_id", "product_id", "quantity", "quota")
        ),
        "served_month": sorted(
            ServedMonth.objects.values_list(
                "month", "professional_id", "product_id", "weeks", "quantity", "quota", "quota_used_up"
            )
        ),
        "census": sorted(
            ProfessionalCensus.objects.values_list(
                "departement_id", "epci_id", "profession", "known", "referenced"
            )
        ),
    }


def live_dispensations_by_week():
    totals = {}
    for row in Dispensation.objects.values(
        "created_at", "pharmacy__departement_id", "professional__profession", "quantity"
    ):
        key = (
            week_start_of(row["created_at"]),
            row["pharmacy__departement_id"],
            row["professional__profession"],
        )
        totals[key] = totals.get(key, 0) + row["quantity"]
    return totals


def test_weekly_dispensation_rollup_equals_live_aggregation(world):
    refresh_rollups()
    rolled = {
        (row["week_start"], row["departement"], row["profession"]): row["quantity"]
        for row in DispensationWeek.objects.values("week_start", "departement", "profession").annotate(
            quantity=Sum("quantity")
        )
    }
    assert rolled == live_dispensations_by_week()
    assert rolled[(world.last_week, "32", "infirmier")] == 10
    assert rolled[(world.this_week, "32", "infirmier")] == 8
    assert rolled[(world.this_week, "31", "infirmier")] == 5


def test_pharmacy_week_counts_arrivals_by_source_and_dispensations(world):
    refresh_rollups()
    riscle = PharmacyWeek.objects.get(
        pharmacy=world.riscle, week_start=world.this_week, product__code="surgical"
    )
    assert (riscle.arrived_national, riscle.arrived_regional, riscle.arrived_donation) == (200, 0, 50)
    assert (riscle.dispensed, riscle.dispensation_count) == (14, 2)
    live_arrivals = StockMovement.objects.filter(kind="arrival").aggregate(total=Sum("on_hand_delta"))[
        "total"
    ]
    rolled = PharmacyWeek.objects.aggregate(
        total=Sum(F("arrived_national") + F("arrived_regional") + F("arrived_donation"))
    )["total"]
    assert rolled == live_arrivals == 670


def test_served_week_records_quantity_and_quota_per_professional(world):
    refresh_rollups()
    nurse_now = ServedWeek.objects.get(professional=world.nurse, week_start=world.this_week)
    assert (nurse_now.quantity, nurse_now.quota) == (13, 18)
    # Placed at the nurse's practice (Riscle, 32) although Toulouse served 5 of the 13.
    assert nurse_now.departement_id == "32"
    physio = ServedWeek.objects.get(professional=world.physio)
    assert (physio.quantity, physio.quota) == (6, 6)
    live = Dispensation.objects.values("professional", "period_start").annotate(
        q=Sum("quantity"), n=Count("id")
    )
    assert ServedWeek.objects.count() == live.count() == 4
    assert ServedWeek.objects.aggregate(m=Max("quota"))["m"] == 18


def test_census_counts_professionals_known_and_referenced(world):
    refresh_rollups()
    gers = ProfessionalCensus.objects.filter(departement_id="32").aggregate(
        k=Sum("known"), r=Sum("referenced")
    )
    assert gers == {"k": 2, "r": 1}


def test_refreshing_twice_changes_nothing(world):
    refresh_rollups()
    first = snapshot()
    refresh_rollups(since=world.last_week)
    refresh_rollups()
    assert snapshot() == first


def test_a_correction_of_an_arrival_is_subtracted_from_its_source(world):
    arrival = StockMovement.objects.get(pharmacy=world.riscle, source="company_donation")
    pharmacies.correct_movement(
        actor=world.riscle_pharmacist, movement_id=arrival.pk, reason="Erreur de saisie"
    )
    refresh_rollups()
    riscle = PharmacyWeek.objects.get(
        pharmacy=world.riscle, week_start=world.this_week, product__code="surgical"
    )
    assert riscle.arrived_donation == 0
    assert riscle.arrived_national == 200


def test_incremental_refresh_picks_up_new_handovers_of_the_current_week(world):
    refresh_rollups()
    from django.utils import timezone

    extra = dispense(world.toulouse_pharmacist, world.toulouse, world.doctor, 7, when=timezone.now())
    result = refresh_rollups()
    assert world.this_week in result.weeks
    assert world.last_week not in result.weeks or timezone.localtime().weekday() == 0
    row = ServedWeek.objects.get(professional=world.doctor, week_start=week_start_of(extra.created_at))
    assert row.quantity == 7


def test_first_refresh_goes_back_to_the_oldest_data_and_records_freshness(world):
    result = refresh_rollups()
    assert result.weeks[0] == world.last_week
    assert result.weeks[-1] == world.this_week
    state = RollupState.objects.get(name=WEEKLY)
    assert state.weeks == 2


def test_refresh_with_no_data_only_touches_the_current_week(occitanie):
    result = refresh_rollups()
    assert len(result.weeks) == 1
    assert PharmacyWeek.objects.count() == 0


def test_celery_task_refreshes_and_beat_runs_it_every_ten_minutes(world):
    assert tasks.refresh_rollups.delay().get() == 2
    assert DispensationWeek.objects.exists()
    entry = settings.CELERY_BEAT_SCHEDULE["dashboards-refresh-rollups"]
    assert entry["task"] == "dashboards.tasks.refresh_rollups"
    assert entry["schedule"] == timedelta(minutes=10)


def test_arrivals_after_a_refresh_appear_after_the_next_one(world):
    refresh_rollups()
    arrive(world.riscle_pharmacist, world.riscle, 40, source="regional")
    refresh_rollups()
    riscle = PharmacyWeek.objects.get(
        pharmacy=world.riscle, week_start=world.this_week, product__code="surgical"
    )
    assert riscle.arrived_regional == 40


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_queue_on_the_week_locks_and_agree_with_one_refresh(world):
    errors = []

    def run():
        try:
            refresh_rollups(since=world.last_week)
        except Exception as exc:  # noqa: BLE001 (collected and asserted below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    concurrent = snapshot()
    refresh_rollups(since=world.last_week)
    assert snapshot() == concurrent
    assert sum(row[5] for row in concurrent["dispensation"]) == 47


def test_demo_seed_lets_the_demo_ars_agent_export_and_fills_the_rollups(world):
    from accounts.models import Role
    from dashboards import demo
    from tests.factories import UserFactory

    agent = UserFactory(role=Role.ARS_STAFF, region_id="76", email=demo.DEMO_ARS_EMAIL)
    demo.seed()
    demo.seed()
    agent.refresh_from_db()
    assert agent.has_perm("dashboards.export_dispensations")
    assert RollupState.objects.get(name=WEEKLY).weeks == 2
    assert DispensationWeek.objects.aggregate(total=Sum("quantity"))["total"] == 47


# --- ServedMonth: long periods combine month buckets and edge weeks, exactly --------------------


def test_split_weeks_partitions_every_period_into_whole_buckets_and_edge_weeks():
    from datetime import date

    from dashboards.services import mondays_of, split_weeks

    origin = date(2025, 12, 29)  # a Monday; the periods below cross two new years and February
    assert split_weeks(origin, origin + timedelta(weeks=51), current_week=None).months is None
    for offset in range(0, 60):
        first = origin + timedelta(weeks=offset)
        for length in (1, 2, 4, 5, 6, 9, 13, 27, 52, 53):
            last = first + timedelta(weeks=length - 1)
            # Refreshed during the period's last week: its month bucket is still open.
            split = split_weeks(first, last, current_week=last)
            covered = []
            if split.months:
                month = split.months[0]
                while month <= split.months[1]:
                    first_monday, last_monday = mondays_of(month)
                    assert first <= first_monday and last_monday < last  # only whole, closed buckets
                    week = first_monday
                    while week <= last_monday:
                        covered.append(week)
                        week += timedelta(days=7)
                    month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
            for range_first, range_last in split.week_ranges:
                week = range_first
                while week <= range_last:
                    covered.append(week)
                    week += timedelta(days=7)
            expected = [first + timedelta(weeks=i) for i in range(length)]
            assert sorted(covered) == expected, (first, length)  # each week exactly once
            assert len(split.week_ranges) <= 2
            if length >= 9:
                assert split.months is not None  # a long period reads month buckets


@pytest.fixture
def months_of_handovers(world):
    """Five months of handovers before the world's two weeks: the nurse every week (2 masks,
    at Riscle), the doctor every other week (3, at Toulouse), the physio every third week (6:
    its whole quota), and a midwife of Auch served once, eleven weeks ago."""
    from datetime import datetime
    from datetime import time as dtime

    from gomask.clock import PARIS
    from professionals.models import Profession
    from tests.dashboards.conftest import AUCH
    from tests.factories import ProfessionalFactory

    midwife = ProfessionalFactory(insee_code=AUCH, profession=Profession.SAGE_FEMME)
    for weeks_ago in range(2, 23):
        wednesday = datetime.combine(
            world.this_week - timedelta(weeks=weeks_ago, days=-2), dtime(11), tzinfo=PARIS
        )
        dispense(world.riscle_pharmacist, world.riscle, world.nurse, 2, when=wednesday)
        if weeks_ago % 2:
            dispense(world.toulouse_pharmacist, world.toulouse, world.doctor, 3, when=wednesday)
        if weeks_ago % 3 == 0:
            dispense(world.riscle_pharmacist, world.riscle, world.physio, 6, when=wednesday)
        if weeks_ago == 11:
            dispense(world.riscle_pharmacist, world.riscle, midwife, 4, when=wednesday)
    return world


def live_served(first_week, last_week, *, departement=None):
    """Quota use per profession and served professionals per EPCI, from the raw dispensations."""
    from dashboards.services import week_bounds

    start, end = week_bounds(first_week)[0], week_bounds(last_week)[1]
    dispensations = Dispensation.objects.filter(created_at__gte=start, created_at__lt=end)
    if departement:
        dispensations = dispensations.filter(professional__practice_commune__departement_id=departement)
    weeks = {}
    for row in dispensations.values(
        "created_at",
        "professional_id",
        "professional__profession",
        "professional__practice_commune__epci_id",
        "quantity",
        "policy__quantity",
    ):
        key = (
            week_start_of(row["created_at"]),
            row["professional_id"],
            row["professional__profession"],
            row["professional__practice_commune__epci_id"],
        )
        quantity, quota = weeks.get(key, (0, 0))
        weeks[key] = (quantity + row["quantity"], max(quota, row["policy__quantity"]))
    quotas, served = {}, {}
    for (_week, professional, profession, epci), (quantity, quota) in weeks.items():
        row = quotas.setdefault(
            profession,
            {"professionals": set(), "professional_weeks": 0, "received": 0, "quota_total": 0, "used_up": 0},
        )
        row["professionals"].add(professional)
        row["professional_weeks"] += 1
        row["received"] += quantity
        row["quota_total"] += quota
        row["used_up"] += quantity >= quota
        served.setdefault(epci or "", set()).add(professional)
    quota_rows = {
        profession: (
            len(row["professionals"]),
            row["professional_weeks"],
            row["received"],
            row["quota_total"],
            row["used_up"],
        )
        for profession, row in quotas.items()
    }
    return quota_rows, {epci: len(professionals) for epci, professionals in served.items()}


def test_served_month_is_served_week_summed_per_closed_month_bucket(months_of_handovers):
    from dashboards.services import bucket_is_closed

    result = refresh_rollups()
    this_week = months_of_handovers.this_week
    open_bucket = month_of(this_week)
    assert open_bucket not in result.months  # the current month's bucket is never built
    assert not ServedMonth.objects.filter(month=open_bucket).exists()
    expected = {}
    for week in ServedWeek.objects.all():
        if not bucket_is_closed(month_of(week.week_start), current_week=this_week):
            continue
        key = (month_of(week.week_start), week.professional_id, week.product_id, week.epci_id)
        weeks, quantity, quota, used_up = expected.get(key, (0, 0, 0, 0))
        expected[key] = (
            weeks + 1,
            quantity + week.quantity,
            quota + week.quota,
            used_up + (week.quantity >= week.quota),
        )
    rolled = {
        (row.month, row.professional_id, row.product_id, row.epci_id): (
            row.weeks,
            row.quantity,
            row.quota,
            row.quota_used_up,
        )
        for row in ServedMonth.objects.all()
    }
    assert rolled == expected
    assert len({key[0] for key in rolled}) >= 5  # several month buckets


@pytest.mark.parametrize("departement", [None, "32"])
def test_periods_spanning_months_give_exactly_the_live_figures(months_of_handovers, departement):
    from dashboards.selectors import DashboardFilters, coverage_by_epci, quota_use
    from dashboards.services import split_weeks
    from territories.models import Departement, Region

    world = months_of_handovers
    refresh_rollups()
    region = Region.objects.get(pk="76")
    checked_with_months = 0
    for weeks_back in (1, 4, 6, 9, 13, 17, 23, 52):
        for end_back in (0, 3):
            first_week = world.this_week - timedelta(weeks=weeks_back + end_back)
            last_week = world.this_week - timedelta(weeks=end_back)
            f = DashboardFilters(
                region=region,
                departement=Departement.objects.get(pk=departement) if departement else None,
                epci=None,
                start=first_week + timedelta(days=3),  # any day of the first week
                end=last_week + timedelta(days=6),
                product=None,
            )
            live_quotas, live_served_by_epci = live_served(first_week, last_week, departement=departement)
            quotas = {
                row["profession"]: (
                    row["professionals"],
                    row["professional_weeks"],
                    row["received"],
                    row["quota_total"],
                    row["quota_used_up"],
                )
                for row in quota_use(f)
            }
            assert quotas == live_quotas, (weeks_back, end_back)
            served = {row["epci"]: row["served"] for row in coverage_by_epci(f) if row["served"]}
            assert served == live_served_by_epci, (weeks_back, end_back)
            split = split_weeks(first_week, last_week, current_week=world.this_week)
            checked_with_months += split.months is not None
    assert checked_with_months >= 6
    # The nurse is counted once over 24 weeks, although served in every one of them.
    f = DashboardFilters(
        region=region,
        departement=None,
        epci=None,
        start=world.this_week - timedelta(weeks=23),
        end=world.this_week,
        product=None,
    )
    nurses = next(row for row in quota_use(f) if row["profession"] == "infirmier")
    assert nurses["professionals"] == 1
    assert nurses["professional_weeks"] == 23  # 21 weeks of 2 + last week + this week
    assert nurses["received"] == 21 * 2 + 10 + 13


def test_a_late_handover_in_an_old_week_reaches_its_month_bucket(months_of_handovers):
    from datetime import datetime
    from datetime import time as dtime

    from gomask.clock import PARIS

    world = months_of_handovers
    refresh_rollups()
    old_week = world.this_week - timedelta(weeks=12)
    late = dispense(
        world.toulouse_pharmacist,
        world.toulouse,
        world.doctor,
        5,
        when=datetime.combine(old_week + timedelta(days=4), dtime(9), tzinfo=PARIS),
    )
    result = refresh_rollups(since=late.created_at)
    assert month_of(old_week) in result.months
    bucket = ServedMonth.objects.get(professional=world.doctor, month=month_of(old_week))
    weekly = ServedWeek.objects.filter(
        professional=world.doctor,
        week_start__gte=month_of(old_week),
        week_start__lt=(month_of(old_week).replace(day=28) + timedelta(days=4)).replace(day=1),
    ).aggregate(quantity=Sum("quantity"), weeks=Count("id"))
    assert (bucket.quantity, bucket.weeks) == (weekly["quantity"], weekly["weeks"])


def test_months_to_rebuild_adds_the_buckets_that_closed_since_the_previous_refresh():
    from datetime import date, datetime
    from datetime import time as dtime

    from dashboards.services import months_to_rebuild
    from gomask.clock import PARIS

    def at(day):
        return datetime.combine(day, dtime(12), tzinfo=PARIS)

    def rebuilt(weeks, previous, now):
        return months_to_rebuild(weeks, previous=at(previous) if previous else None, now=at(now))

    october, august, september = date(2026, 10, 1), date(2026, 8, 1), date(2026, 9, 1)
    # October 2026's bucket: Mondays 5 to 26 October; it closes on Monday 2 November.
    assert rebuilt([date(2026, 10, 26)], date(2026, 10, 30), date(2026, 10, 31)) == []
    assert rebuilt([date(2026, 11, 2)], date(2026, 11, 1), date(2026, 11, 2)) == [october]
    # A refresh with a later `since` still builds it, once; not again the week after.
    assert rebuilt([], date(2026, 10, 28), date(2026, 11, 4)) == [october]
    assert rebuilt([], date(2026, 11, 3), date(2026, 11, 10)) == []
    # An old week recomputed late: its (closed) bucket again; the open bucket never.
    assert rebuilt([date(2026, 8, 10), date(2026, 11, 9)], date(2026, 11, 9), date(2026, 11, 10)) == [august]
    # No refresh yet: only the buckets of the weeks recomputed.
    assert rebuilt([date(2026, 9, 7)], None, date(2026, 11, 10)) == [september]


def test_buckets_closed_while_refreshes_were_narrow_are_built_before_they_are_read(months_of_handovers):
    from dashboards.selectors import DashboardFilters, coverage_by_epci, quota_use
    from territories.models import Region

    world = months_of_handovers
    refresh_rollups()
    # As if the last refresh had been three months ago: the buckets that closed since then
    # were never built (they were still open at every refresh).
    RollupState.objects.filter(name=WEEKLY).update(refreshed_at=F("refreshed_at") - timedelta(weeks=13))
    previous_week = week_start_of(RollupState.objects.get(name=WEEKLY).refreshed_at)
    assert ServedMonth.objects.filter(month__lt=month_of(previous_week)).exists()
    ServedMonth.objects.filter(month__gte=month_of(previous_week)).delete()
    result = refresh_rollups(since=world.this_week)  # a narrow refresh: this week only
    assert result.weeks == [world.this_week]
    assert len(result.months) >= 3
    f = DashboardFilters(
        region=Region.objects.get(pk="76"),
        departement=None,
        epci=None,
        start=world.this_week - timedelta(weeks=23),
        end=world.this_week,
        product=None,
    )
    live_quotas, live_served_by_epci = live_served(f.first_week, f.last_week)
    assert {
        row["profession"]: (
            row["professionals"],
            row["professional_weeks"],
            row["received"],
            row["quota_total"],
            row["quota_used_up"],
        )
        for row in quota_use(f)
    } == live_quotas
    assert {row["epci"]: row["served"] for row in coverage_by_epci(f) if row["served"]} == live_served_by_epci


def test_quota_use_and_coverage_read_the_served_rows_once_and_count_a_moved_professional_once(world):
    from django.test.utils import CaptureQueriesContext

    from dashboards.selectors import DashboardFilters, coverage_by_epci, quota_use
    from territories.models import Commune, Region

    refresh_rollups()
    # The nurse moved to Toulouse this week: last week's row is at Riscle, this week's at Toulouse.
    toulouse = Commune.objects.get(pk=world.toulouse.commune_id)
    moved = ServedWeek.objects.filter(professional=world.nurse, week_start=world.this_week)
    assert moved.update(epci_id=toulouse.epci_id, departement_id=toulouse.departement_id) == 1
    rows = list(ServedWeek.objects.values("professional_id", "profession", "epci_id", "quantity"))
    assert len({row["epci_id"] for row in rows if row["professional_id"] == world.nurse.pk}) == 2
    f = DashboardFilters(
        region=Region.objects.get(pk="76"),
        departement=None,
        epci=None,
        start=world.last_week,
        end=world.this_week,
        product=None,
    )
    with CaptureQueriesContext(connection) as captured:
        quotas = {row["profession"]: row for row in quota_use(f)}
        served = {row["epci"]: row["served"] for row in coverage_by_epci(f) if row["served"]}
    assert sum("dashboards_servedweek" in query["sql"] for query in captured.captured_queries) == 1
    professionals, by_epci = {}, {}
    for row in rows:
        professionals.setdefault(row["profession"], set()).add(row["professional_id"])
        by_epci.setdefault(row["epci_id"] or "", set()).add(row["professional_id"])
    assert {profession: row["professionals"] for profession, row in quotas.items()} == {
        profession: len(ids) for profession, ids in professionals.items()
    }
    assert quotas["infirmier"]["professionals"] == 1  # once, although in two EPCIs
    assert quotas["infirmier"]["professional_weeks"] == 2
    assert served == {epci: len(ids) for epci, ids in by_epci.items()}
