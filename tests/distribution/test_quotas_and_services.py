from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import AccountStatus
from distribution import quotas, services
from distribution.models import (
    CareSite,
    CareSiteKind,
    Dispensation,
    QuotaPolicy,
    Reservation,
    ReservationStatus,
    Shipment,
)
from distribution.quotas import ensure_default_quota_policies, policy_in_force, week_start
from distribution.tasks import expire_reservations_task
from gomask.errors import Conflict, InvalidInput, NotAllowed, NotFound
from pharmacies.models import MovementKind, StockLevel, StockMovement
from pharmacies.stock import ledger_totals
from professionals.models import Profession
from tests.distribution.conftest import stock
from tests.factories import ProfessionalFactory, professional_user

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def _counts():
    return (
        Reservation.objects.count(),
        Dispensation.objects.count(),
        StockMovement.objects.count(),
        QuotaPolicy.objects.count(),
        Shipment.objects.count(),
    )


def _dispense(pharmacist, pharmacy, professional, quantity, **extra):
    return services.dispense(
        actor=pharmacist,
        pharmacy_id=pharmacy.pk,
        professional_id=professional.pk,
        product_code=extra.pop("product_code", "surgical"),
        quantity=quantity,
        identity_checked=extra.pop("identity_checked", True),
        **extra,
    )


# --- policies -----------------------------------------------------------------------------


def test_the_data_migration_seeds_the_dgs_urgent_weekly_quotas_of_18_march_2020(products):
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    # Run the migration's own function (a transactional test elsewhere may have flushed its rows).
    QuotaPolicy.objects.all().delete()
    state = MigrationLoader(connection).project_state(("distribution", "0002_dgs_urgent_quota_policies"))
    import_module("distribution.migrations.0002_dgs_urgent_quota_policies").seed_policies(state.apps, None)
    rows = QuotaPolicy.objects.filter(region__isnull=True, effective_from=date(2020, 3, 18))
    assert {(policy.profession, policy.quantity) for policy in rows} >= {
        ("medecin", 18),
        ("infirmier", 18),
        ("pharmacien", 18),
        ("sage_femme", 6),
        ("masseur_kinesitherapeute", 6),
    }


def test_ensuring_the_default_policies_twice_creates_nothing_more(quota_policies):
    before = QuotaPolicy.objects.count()
    assert ensure_default_quota_policies() == 0
    assert QuotaPolicy.objects.count() == before


def test_the_latest_version_in_force_applies_and_a_regional_one_wins_over_the_national(
    quota_policies, products, administrator
):
    surgical = products["surgical"]
    services.add_quota_policy(
        actor=administrator,
        profession="medecin",
        product_code="surgical",
        quantity=30,
        effective_from=date(2020, 6, 1),
    )
    services.add_quota_policy(
        actor=administrator,
        profession="medecin",
        product_code="surgical",
        quantity=24,
        effective_from=date(2020, 5, 11),
        region_code="76",
    )
    lookup = {"profession": "medecin", "product_id": surgical.pk}
    assert policy_in_force(**lookup, region_code="76", on=date(2020, 4, 1)).quantity == 18
    assert policy_in_force(**lookup, region_code="76", on=date(2020, 5, 11)).quantity == 24
    assert policy_in_force(**lookup, region_code="76", on=date(2020, 7, 1)).quantity == 24
    assert policy_in_force(**lookup, region_code="93", on=date(2020, 7, 1)).quantity == 30
    assert policy_in_force(**lookup, region_code="93", on=date(2020, 3, 17)) is None


def test_an_ars_agent_adds_a_version_for_their_region(quota_policies, ars_occitanie):
    policy = services.add_quota_policy(
        actor=ars_occitanie,
        profession="medecin",
        product_code="surgical",
        quantity=24,
        effective_from=date(2020, 5, 11),
        region_code="76",
    )
    assert (policy.region_id, policy.quantity, policy.created_by) == ("76", 24, ars_occitanie)


def test_an_ars_agent_of_another_region_is_refused_and_nothing_is_written(quota_policies, ars_paca):
    before = _counts()
    with pytest.raises(NotAllowed, match="périmètre de votre région"):
        services.add_quota_policy(
            actor=ars_paca,
            profession="medecin",
            product_code="surgical",
            quantity=24,
            effective_from=date(2020, 5, 11),
            region_code="76",
        )
    assert _counts() == before


def test_only_an_administrator_changes_the_national_quota(quota_policies, ars_occitanie, nurse):
    for actor in (ars_occitanie, nurse):
        with pytest.raises(NotAllowed):
            services.add_quota_policy(
                actor=actor,
                profession="medecin",
                product_code="surgical",
                quantity=24,
                effective_from=date(2020, 5, 11),
            )


def test_weeks_run_monday_to_sunday_in_paris_time():
    sunday_late = datetime(2020, 3, 22, 23, 30, tzinfo=PARIS)
    monday_early = datetime(2020, 3, 23, 0, 15, tzinfo=PARIS)
    assert week_start(sunday_late) == date(2020, 3, 16)
    assert week_start(monday_early) == date(2020, 3, 23)
    # 23:30 UTC on Sunday is already Monday in Paris.
    assert week_start(datetime(2020, 3, 22, 23, 30, tzinfo=ZoneInfo("UTC"))) == date(2020, 3, 23)


# --- options ------------------------------------------------------------------------------


def test_an_option_holds_stock_with_a_ledger_row_and_expires_after_the_configured_delay(
    quota_policies, products, nurse, riscle_pharmacy, settings
):
    settings.RESERVATION_HOLD = timedelta(hours=24)
    stock(riscle_pharmacy, products["surgical"], 50)
    option = services.reserve(
        actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=10
    )
    level = StockLevel.objects.get(pharmacy=riscle_pharmacy, product=products["surgical"])
    assert (level.on_hand, level.reserved) == (50, 10)
    assert option.hold_movement.kind == MovementKind.RESERVATION_HOLD
    assert option.expires_at - option.created_at == timedelta(hours=24)


def test_expiry_releases_the_stock_once_with_a_release_movement(
    quota_policies, products, nurse, riscle_pharmacy
):
    stock(riscle_pharmacy, products["surgical"], 50)
    option = services.reserve(
        actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=10
    )
    later = option.expires_at + timedelta(minutes=1)
    assert services.expire_reservations(now=later) == 1
    assert services.expire_reservations(now=later) == 0
    option.refresh_from_db()
    level = StockLevel.objects.get(pharmacy=riscle_pharmacy, product=products["surgical"])
    assert option.status == ReservationStatus.EXPIRED
    assert option.release_movement.kind == MovementKind.RESERVATION_RELEASE
    assert (level.on_hand, level.reserved) == (50, 0) == ledger_totals(level)


def test_the_beat_task_expires_due_options(quota_policies, products, nurse, riscle_pharmacy):
    stock(riscle_pharmacy, products["surgical"], 50)
    past = timezone.now() - timedelta(days=3)
    services.reserve(
        actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=5, now=past
    )
    assert expire_reservations_task() == 1
    assert Reservation.objects.get().status == ReservationStatus.EXPIRED


def test_an_option_beyond_the_remaining_quota_is_refused(quota_policies, products, nurse, riscle_pharmacy):
    stock(riscle_pharmacy, products["surgical"], 100)
    before = _counts()
    with pytest.raises(services.QuotaExceeded, match="il vous reste 18 masque"):
        services.reserve(actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=19)
    assert _counts() == before


def test_a_profession_without_a_policy_gets_no_masks(quota_policies, products, riscle_pharmacy, occitanie):
    dentist = professional_user(profession=Profession.CHIRURGIEN_DENTISTE)
    stock(riscle_pharmacy, products["surgical"], 100)
    with pytest.raises(services.NoQuotaPolicy, match="Aucun quota n'est défini pour votre profession"):
        services.reserve(actor=dentist, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=1)


def test_cancelling_releases_the_hold_and_gives_the_quota_back(
    quota_policies, products, nurse, riscle_pharmacy
):
    stock(riscle_pharmacy, products["surgical"], 50)
    option = services.reserve(
        actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=18
    )
    services.cancel_reservation(actor=nurse, reservation_id=option.pk)
    status = quotas.quota_status(nurse.professional, products["surgical"])
    assert (status.held, status.remaining) == (0, 18)
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).reserved == 0


def test_cancelling_someone_elses_option_is_not_found_and_changes_nothing(
    quota_policies, products, nurse, riscle_pharmacy, occitanie
):
    stock(riscle_pharmacy, products["surgical"], 50)
    option = services.reserve(
        actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=5
    )
    other = professional_user()
    before = _counts()
    with pytest.raises(NotFound):
        services.cancel_reservation(actor=other, reservation_id=option.pk)
    assert _counts() == before
    option.refresh_from_db()
    assert option.status == ReservationStatus.ACTIVE


def test_cancelling_an_expired_option_is_refused_plainly(quota_policies, products, nurse, riscle_pharmacy):
    stock(riscle_pharmacy, products["surgical"], 50)
    option = services.reserve(
        actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=5
    )
    with pytest.raises(Conflict, match="a expiré"):
        services.cancel_reservation(
            actor=nurse, reservation_id=option.pk, now=option.expires_at + timedelta(seconds=1)
        )


def test_a_retried_option_with_the_same_key_counts_once_and_another_body_is_refused(
    quota_policies, products, nurse, riscle_pharmacy
):
    stock(riscle_pharmacy, products["surgical"], 50)
    args = {
        "actor": nurse,
        "pharmacy_id": riscle_pharmacy.pk,
        "product_code": "surgical",
        "idempotency_key": "k-1",
    }
    first = services.reserve.once(quantity=5, **args)
    again = services.reserve.once(quantity="5", **args)
    assert again.value.pk == first.value.pk and again.replayed and not first.replayed
    with pytest.raises(Conflict) as refused:
        services.reserve.once(quantity=6, **args)
    assert refused.value.code == "idempotency_key_reused"
    assert Reservation.objects.count() == 1
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).reserved == 5


@pytest.mark.parametrize("quantity", [0, -3, 2.5, "1,5", "abc", None, 100_001, 10**9, True])
def test_absurd_option_quantities_are_refused_in_french_and_write_nothing(
    quota_policies, products, nurse, riscle_pharmacy, quantity
):
    stock(riscle_pharmacy, products["surgical"], 50)
    before = _counts()
    with pytest.raises(InvalidInput) as refused:
        services.reserve(
            actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=quantity
        )
    assert refused.value.code == "invalid_quantity"
    assert "quantité" in str(refused.value.message)
    assert _counts() == before


def test_a_pending_professional_cannot_put_an_option(quota_policies, products, nurse, riscle_pharmacy):
    stock(riscle_pharmacy, products["surgical"], 50)
    nurse.status = AccountStatus.PENDING
    nurse.save()
    before = _counts()
    with pytest.raises(NotAllowed, match="en attente de validation"):
        services.reserve(actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=1)
    assert _counts() == before


# --- handovers ----------------------------------------------------------------------------


def test_a_handover_fulfils_the_option_here_and_records_the_policy_version(
    quota_policies, products, nurse, riscle_pharmacy, riscle_pharmacist
):
    stock(riscle_pharmacy, products["surgical"], 50)
    option = services.reserve(
        actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=12
    )
    dispensation = _dispense(riscle_pharmacist, riscle_pharmacy, nurse.professional, 12)
    option.refresh_from_db()
    level = StockLevel.objects.get(pharmacy=riscle_pharmacy)
    assert option.status == ReservationStatus.FULFILLED and dispensation.reservation == option
    assert (level.on_hand, level.reserved) == (38, 0) == ledger_totals(level)
    assert dispensation.policy.quantity == 18 and dispensation.policy.region_id is None
    assert dispensation.period_start == week_start()
    assert quotas.quota_status(nurse.professional, products["surgical"]).remaining == 6


def test_a_handover_is_refused_when_the_weekly_quota_is_used_up_elsewhere(
    quota_policies,
    products,
    nurse,
    riscle_pharmacy,
    riscle_pharmacist,
    toulouse_pharmacy,
    toulouse_pharmacist,
):
    stock(riscle_pharmacy, products["surgical"], 50)
    stock(toulouse_pharmacy, products["surgical"], 50)
    _dispense(toulouse_pharmacist, toulouse_pharmacy, nurse.professional, 18)
    before = _counts()
    with pytest.raises(services.QuotaExceeded, match="déjà remis, toutes officines : 18 masques"):
        _dispense(riscle_pharmacist, riscle_pharmacy, nurse.professional, 1)
    assert _counts() == before


def test_an_option_elsewhere_counts_against_the_quota_at_the_counter(
    quota_policies, products, nurse, riscle_pharmacy, riscle_pharmacist, toulouse_pharmacy
):
    stock(riscle_pharmacy, products["surgical"], 50)
    stock(toulouse_pharmacy, products["surgical"], 50)
    services.reserve(actor=nurse, pharmacy_id=toulouse_pharmacy.pk, product_code="surgical", quantity=15)
    with pytest.raises(services.QuotaExceeded, match="en option ailleurs : 15 masques"):
        _dispense(riscle_pharmacist, riscle_pharmacy, nurse.professional, 4)
    assert _dispense(riscle_pharmacist, riscle_pharmacy, nurse.professional, 3).quantity == 3


def test_an_expired_option_is_not_fulfilled_its_stock_is_released_first(
    quota_policies, products, nurse, riscle_pharmacy, riscle_pharmacist
):
    stock(riscle_pharmacy, products["surgical"], 20)
    past = timezone.now() - timedelta(days=3)
    option = services.reserve(
        actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=10, now=past
    )
    dispensation = _dispense(riscle_pharmacist, riscle_pharmacy, nurse.professional, 5)
    option.refresh_from_db()
    assert option.status == ReservationStatus.EXPIRED and dispensation.reservation is None
    level = StockLevel.objects.get(pharmacy=riscle_pharmacy)
    assert (level.on_hand, level.reserved) == (15, 0) == ledger_totals(level)


def test_a_professional_without_an_account_is_served_by_number(
    quota_policies, products, riscle_pharmacy, riscle_pharmacist, occitanie
):
    stock(riscle_pharmacy, products["surgical"], 20)
    doctor = ProfessionalFactory(profession=Profession.MEDECIN)
    assert _dispense(riscle_pharmacist, riscle_pharmacy, doctor, 18).quantity == 18


@pytest.mark.parametrize("status", [AccountStatus.PENDING, AccountStatus.SUSPENDED])
def test_a_professional_whose_account_is_not_validated_is_refused_at_the_counter(
    quota_policies, products, nurse, riscle_pharmacy, riscle_pharmacist, status
):
    stock(riscle_pharmacy, products["surgical"], 20)
    nurse.status = status
    nurse.save()
    before = _counts()
    with pytest.raises(Conflict, match="n'est pas validé"):
        _dispense(riscle_pharmacist, riscle_pharmacy, nurse.professional, 1)
    assert _counts() == before


def test_a_pharmacist_cannot_hand_over_for_someone_elses_pharmacy(
    quota_policies, products, nurse, riscle_pharmacy, toulouse_pharmacist
):
    stock(riscle_pharmacy, products["surgical"], 20)
    before = _counts()
    with pytest.raises(NotAllowed, match="pas pharmacien de cette officine"):
        _dispense(toulouse_pharmacist, riscle_pharmacy, nurse.professional, 1)
    assert _counts() == before


def test_identity_must_be_checked(quota_policies, products, nurse, riscle_pharmacy, riscle_pharmacist):
    stock(riscle_pharmacy, products["surgical"], 20)
    with pytest.raises(InvalidInput, match="identité vérifiée"):
        _dispense(riscle_pharmacist, riscle_pharmacy, nurse.professional, 1, identity_checked=False)
    assert Dispensation.objects.count() == 0


@pytest.mark.parametrize("professional_id", [0, -1, 999_999_999, "abc", None])
def test_an_unknown_professional_is_not_found(
    quota_policies, products, riscle_pharmacy, riscle_pharmacist, professional_id
):
    with pytest.raises(NotFound):
        services.dispense(
            actor=riscle_pharmacist,
            pharmacy_id=riscle_pharmacy.pk,
            professional_id=professional_id,
            product_code="surgical",
            quantity=1,
            identity_checked=True,
        )


def test_a_double_submitted_handover_counts_once(
    quota_policies, products, nurse, riscle_pharmacy, riscle_pharmacist
):
    stock(riscle_pharmacy, products["surgical"], 20)
    handover = {
        "actor": riscle_pharmacist,
        "pharmacy_id": riscle_pharmacy.pk,
        "professional_id": nurse.professional.pk,
        "product_code": "surgical",
        "quantity": 6,
        "identity_checked": True,
    }
    first = services.dispense.once(idempotency_key="form-1", **handover)
    second = services.dispense.once(idempotency_key="form-1", **handover)
    assert first.value.pk == second.value.pk and second.replayed and not first.replayed
    assert Dispensation.objects.count() == 1
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).on_hand == 14


def test_a_handover_beyond_the_stock_is_refused_with_the_available_figure(
    quota_policies, products, nurse, riscle_pharmacy, riscle_pharmacist
):
    stock(riscle_pharmacy, products["surgical"], 4)
    with pytest.raises(Conflict, match="4 masque"):
        _dispense(riscle_pharmacist, riscle_pharmacy, nurse.professional, 5)


# --- shipments ----------------------------------------------------------------------------


@pytest.fixture
def covid_centre(occitanie):
    from territories.models import Commune

    commune = Commune.objects.get(insee_code="32344")
    return CareSite.objects.create(
        kind=CareSiteKind.COVID_CENTRE, name="Centre COVID de Riscle", commune=commune, region_id="76"
    )


def test_a_pharmacy_confirms_a_shipment_and_it_becomes_a_regional_arrival_in_its_ledger(
    products, ars_occitanie, riscle_pharmacy, riscle_pharmacist
):
    shipment = services.create_shipment(
        actor=ars_occitanie,
        product_code="surgical",
        quantity=500,
        source="company",
        pharmacy_id=riscle_pharmacy.pk,
    )
    services.confirm_shipment_receipt(actor=riscle_pharmacist, shipment_id=shipment.pk)
    shipment.refresh_from_db()
    assert shipment.received_by == riscle_pharmacist
    assert (shipment.arrival_movement.kind, shipment.arrival_movement.source) == ("arrival", "regional")
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).on_hand == 500
    with pytest.raises(Conflict, match="déjà été réceptionné"):
        services.confirm_shipment_receipt(actor=riscle_pharmacist, shipment_id=shipment.pk)
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).on_hand == 500


def test_another_pharmacy_cannot_confirm_a_shipment(
    products, ars_occitanie, riscle_pharmacy, toulouse_pharmacist
):
    shipment = services.create_shipment(
        actor=ars_occitanie,
        product_code="surgical",
        quantity=50,
        source="national",
        pharmacy_id=riscle_pharmacy.pk,
    )
    with pytest.raises(NotAllowed):
        services.confirm_shipment_receipt(actor=toulouse_pharmacist, shipment_id=shipment.pk)
    assert StockMovement.objects.count() == 0


def test_care_sites_have_received_totals_from_recorded_receipts(products, ars_occitanie, covid_centre):
    from distribution.selectors import care_sites_visible_to

    first = services.create_shipment(
        actor=ars_occitanie,
        product_code="surgical",
        quantity=300,
        source="national",
        care_site_id=covid_centre.pk,
    )
    services.create_shipment(
        actor=ars_occitanie, product_code="ffp2", quantity=100, source="partner", care_site_id=covid_centre.pk
    )
    services.record_care_site_receipt(actor=ars_occitanie, shipment_id=first.pk)
    site = care_sites_visible_to(ars_occitanie).get(pk=covid_centre.pk)
    assert (site.received_masks, site.pending_shipments) == (300, 1)


def test_ars_staff_act_only_in_their_region(products, ars_paca, covid_centre, riscle_pharmacy, ars_occitanie):
    with pytest.raises(NotAllowed):
        services.create_shipment(
            actor=ars_paca,
            product_code="surgical",
            quantity=10,
            source="national",
            care_site_id=covid_centre.pk,
        )
    shipment = services.create_shipment(
        actor=ars_occitanie,
        product_code="surgical",
        quantity=10,
        source="national",
        care_site_id=covid_centre.pk,
    )
    with pytest.raises(NotAllowed):
        services.record_care_site_receipt(actor=ars_paca, shipment_id=shipment.pk)
    assert Shipment.objects.filter(received_at__isnull=False).count() == 0


@pytest.mark.parametrize("quantity", [0, -1, 1.5, 100_001])
def test_absurd_shipment_quantities_are_refused(products, ars_occitanie, riscle_pharmacy, quantity):
    with pytest.raises(InvalidInput):
        services.create_shipment(
            actor=ars_occitanie,
            product_code="surgical",
            quantity=quantity,
            source="national",
            pharmacy_id=riscle_pharmacy.pk,
        )
    assert Shipment.objects.count() == 0
