"""Roll-ups: equal to a live aggregation of the sources, idempotent, incremental, scheduled."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Max, Sum

from dashboards import tasks
from dashboards.models import DispensationWeek, PharmacyWeek, ProfessionalCensus, RollupState, ServedWeek
from dashboards.services import WEEKLY, refresh_rollups, week_start_of
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
