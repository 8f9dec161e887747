"""Care sites, their status, silence flags, referral slips and their purge (services)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from distribution.models import CareSite, CareSiteKind
from gomask.errors import Conflict, InvalidInput, NotAllowed, NotFound
from notifications.models import Channel, Delivery, DeliveryKind
from referrals import selectors, services
from referrals.models import Referral, SiteState, SiteStatus, StatusReport
from referrals.selectors import SiteFilters
from territories.models import Commune
from tests.factories import UserFactory
from tests.referrals.conftest import AUCH, RISCLE, TOULOUSE, make_site, set_status

pytestmark = pytest.mark.django_db


def create(actor, insee_code=RISCLE, **fields):
    values = {"kind": CareSiteKind.HEALTH_HOUSE, "name": "Maison de santé du Val d'Adour"}
    values.update(fields)
    return services.save_site(actor=actor, commune=Commune.objects.get(pk=insee_code), **values)


# --- Sites: who creates and edits them --------------------------------------------------


def test_ars_agent_creates_a_site_in_its_region_positioned_at_the_commune(ars_occitanie, manager):
    site = create(
        ars_occitanie,
        phone="05 62 69 01 02",
        manager_email="DR.LACOSTE@exemple.fr",
        opening_hours="lun.–ven. 8 h–19 h",
        access_conditions="sur indication médicale",
    )
    riscle = Commune.objects.get(pk=RISCLE)
    assert (site.region_id, site.latitude, site.longitude) == ("76", riscle.latitude, riscle.longitude)
    assert site.phone == "+33562690102"
    assert site.manager == manager


def test_ars_agent_of_another_region_may_not_create_a_site_here(ars_paca):
    with pytest.raises(NotAllowed):
        create(ars_paca)
    assert not CareSite.objects.exists()


def test_cpts_coordinator_creates_sites_in_its_territory_only(cpts_gers):
    assert create(cpts_gers).commune_id == RISCLE
    with pytest.raises(NotAllowed):
        create(cpts_gers, insee_code=TOULOUSE, name="Centre de santé de Toulouse")
    assert CareSite.objects.count() == 1


def test_cpts_coordinator_of_another_territory_may_not_edit_a_site(cpts_toulouse, riscle_site):
    with pytest.raises(NotAllowed):
        services.save_site(
            actor=cpts_toulouse,
            site_id=riscle_site.pk,
            kind=riscle_site.kind,
            name="Renommé",
            commune=Commune.objects.get(pk=TOULOUSE),
        )
    riscle_site.refresh_from_db()
    assert riscle_site.name == "Centre COVID de Riscle"


def test_a_professional_may_not_create_a_site(manager):
    with pytest.raises(NotAllowed):
        create(manager)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"kind": "cinema"}, "invalid_kind"),
        ({"name": "   "}, "empty_name"),
        ({"name": "x" * 201}, "name_too_long"),
        ({"phone": "12"}, "invalid_phone"),
        ({"email": "pas-une-adresse"}, "invalid_email"),
        ({"finess": "12345"}, "invalid_finess"),
        ({"manager_email": "inconnu@exemple.fr"}, "unknown_manager"),
        ({"opening_hours": "8h " * 300}, "opening_hours_too_long"),
    ],
)
def test_bad_site_input_is_refused_with_a_code_and_nothing_is_written(ars_occitanie, fields, code):
    with pytest.raises(InvalidInput) as caught:
        create(ars_occitanie, **fields)
    assert caught.value.code == code
    assert str(caught.value.message)
    assert not CareSite.objects.exists()


def test_a_pending_account_cannot_be_named_manager(ars_occitanie):
    UserFactory(email="attente@exemple.fr", status="pending")
    with pytest.raises(InvalidInput):
        create(ars_occitanie, manager_email="attente@exemple.fr")


def test_the_same_site_twice_is_a_conflict(ars_occitanie):
    create(ars_occitanie)
    with pytest.raises(Conflict):
        create(ars_occitanie)
    assert CareSite.objects.count() == 1


# --- Status ------------------------------------------------------------------------------


def test_manager_declares_the_status_and_the_history_keeps_each_declaration(manager, riscle_site):
    services.declare_status(
        actor=manager,
        site_id=riscle_site.pk,
        state="open",
        capacity_left=" 12 ",
        covid_track=True,
        accepts_referrals=True,
    )
    services.declare_status(
        actor=manager, site_id=riscle_site.pk, state="saturated", capacity_left="0", accepts_referrals=True
    )
    status = SiteStatus.objects.get(site=riscle_site)
    assert (status.state, status.capacity_left, status.covid_track) == ("saturated", 0, False)
    assert list(StatusReport.objects.filter(site=riscle_site).values_list("state", flat=True)) == [
        "saturated",
        "open",
    ]


def test_a_closed_site_never_accepts_referrals(manager, riscle_site):
    status = services.declare_status(
        actor=manager, site_id=riscle_site.pk, state="closed", accepts_referrals=True
    )
    assert status.accepts_referrals is False


def test_manager_of_another_site_may_not_declare_its_status(other_manager, riscle_site):
    with pytest.raises(NotAllowed):
        services.declare_status(actor=other_manager, site_id=riscle_site.pk, state="open")
    assert not StatusReport.objects.exists()


def test_cpts_coordinator_declares_for_a_site_of_its_territory_but_not_another(
    cpts_gers, cpts_toulouse, riscle_site
):
    services.declare_status(actor=cpts_gers, site_id=riscle_site.pk, state="open")
    with pytest.raises(NotAllowed):
        services.declare_status(actor=cpts_toulouse, site_id=riscle_site.pk, state="closed")
    assert SiteStatus.objects.get(site=riscle_site).state == "open"


def test_status_of_an_unknown_site_is_not_found(manager):
    with pytest.raises(NotFound):
        services.declare_status(actor=manager, site_id="abc", state="open")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"state": "full"}, "invalid_state"),
        ({"state": "open", "capacity_left": "-1"}, "invalid_capacity"),
        ({"state": "open", "capacity_left": "douze"}, "invalid_capacity"),
        ({"state": "open", "capacity_left": "100001"}, "invalid_capacity"),
        ({"state": "open", "capacity_left": "١٢"}, "invalid_capacity"),
    ],
)
def test_bad_status_input_is_refused_and_nothing_is_written(manager, riscle_site, fields, code):
    with pytest.raises(InvalidInput) as caught:
        services.declare_status(actor=manager, site_id=riscle_site.pk, **fields)
    assert caught.value.code == code
    assert not StatusReport.objects.exists()


def test_a_status_older_than_24_hours_is_stale(riscle_site, hours_ago):
    now = timezone.now()
    assert not selectors.is_stale(now - timedelta(hours=23, minutes=59), now=now)
    assert selectors.is_stale(now - timedelta(hours=24, minutes=1), now=now)
    assert selectors.is_stale(None, now=now)
    set_status(riscle_site, at=hours_ago(25))
    assert SiteStatus.objects.get(site=riscle_site).is_stale


# --- Silent sites -------------------------------------------------------------------------


def test_a_site_silent_for_48_hours_is_flagged_once_to_its_cpts_and_ars(
    riscle_site, cpts_gers, cpts_toulouse, ars_occitanie, ars_paca
):
    now = timezone.now()
    set_status(riscle_site, at=now - timedelta(hours=47))
    assert services.flag_silent_sites(now=now) == 0
    assert services.flag_silent_sites(now=now + timedelta(hours=2)) == 1
    deliveries = Delivery.objects.filter(kind=DeliveryKind.SITE_SILENT)
    assert set(deliveries.values_list("user_id", flat=True)) == {cpts_gers.pk, ars_occitanie.pk}
    assert set(deliveries.values_list("channel", flat=True)) == {Channel.PORTAL, Channel.EMAIL}
    assert "Centre COVID de Riscle" in deliveries.first().subject
    count = deliveries.count()
    # Once per silence: later runs say nothing more.
    assert services.flag_silent_sites(now=now + timedelta(hours=30)) == 0
    assert Delivery.objects.filter(kind=DeliveryKind.SITE_SILENT).count() == count


def test_a_new_silence_after_a_declaration_is_flagged_again(riscle_site, manager, cpts_gers):
    now = timezone.now()
    set_status(riscle_site, at=now - timedelta(hours=50))
    assert services.flag_silent_sites(now=now) == 1
    services.declare_status(actor=manager, site_id=riscle_site.pk, state="open", now=now)
    assert SiteStatus.objects.get(site=riscle_site).silence_flagged_at is None
    assert services.flag_silent_sites(now=now + timedelta(hours=47)) == 0
    assert services.flag_silent_sites(now=now + timedelta(hours=49)) == 1
    assert Delivery.objects.filter(kind=DeliveryKind.SITE_SILENT, user=cpts_gers).count() == 4


def test_an_inactive_site_is_never_flagged(riscle_site, hours_ago):
    set_status(riscle_site, at=hours_ago(100))
    CareSite.objects.filter(pk=riscle_site.pk).update(is_active=False)
    assert services.flag_silent_sites() == 0


# --- Nearest sites ------------------------------------------------------------------------


def test_nearest_sites_accepting_referrals_are_listed_nearest_first_with_filters(occitanie):
    riscle = Commune.objects.get(pk=RISCLE)
    auch = set_status(make_site(AUCH, name="Centre COVID d'Auch"), non_covid=True)
    toulouse = set_status(make_site(TOULOUSE, name="Centre de Toulouse", kind=CareSiteKind.HEALTH_CENTRE))
    set_status(make_site(RISCLE, name="Fermé de Riscle"), state=SiteState.CLOSED, accepts=False)
    set_status(make_site(RISCLE, name="Complet de Riscle", kind=CareSiteKind.LAB), accepts=False)
    saturated = set_status(make_site(RISCLE, name="Saturé de Riscle"), state=SiteState.SATURATED)
    make_site(RISCLE, name="Jamais déclaré")

    def names(**filters):
        rows = selectors.nearest_accepting_sites(
            latitude=riscle.latitude,
            longitude=riscle.longitude,
            filters=SiteFilters(**filters),
            limit=10,
            radius_km=200,
        )
        return [row["name"] for row in rows]

    assert names() == [saturated.name, auch.name, toulouse.name]
    assert names(open_now=True) == [auch.name, toulouse.name]
    assert names(kind=CareSiteKind.HEALTH_CENTRE) == [toulouse.name]
    assert names(track="non_covid") == [auch.name]


# --- Referral slips -----------------------------------------------------------------------


def test_a_professional_sends_a_slip_which_is_e_mailed_to_the_site_through_the_outbox(nurse, riscle_site):
    set_status(riscle_site)
    referral = services.send_referral(
        actor=nurse, site_id=riscle_site.pk, reason="  fièvre,   toux depuis 3 jours "
    )
    assert referral.reason == "fièvre, toux depuis 3 jours"
    assert "Claire Lafitte" in referral.sender_name
    delivery = Delivery.objects.get(kind=DeliveryKind.REFERRAL_SLIP)
    assert (delivery.channel, delivery.address) == (Channel.EMAIL, "accueil@centre.fr")
    assert "fièvre, toux depuis 3 jours" in delivery.body
    assert "Centre COVID de Riscle" in delivery.subject


def test_a_pharmacist_may_send_a_slip_too(riscle_pharmacist, riscle_site):
    set_status(riscle_site)
    assert services.send_referral(
        actor=riscle_pharmacist, site_id=riscle_site.pk, reason="test rapide positif"
    )


def test_a_site_without_e_mail_gets_a_printable_slip_and_no_message(nurse, riscle_site):
    set_status(riscle_site)
    CareSite.objects.filter(pk=riscle_site.pk).update(email="")
    services.send_referral(actor=nurse, site_id=riscle_site.pk, reason="fièvre")
    assert Referral.objects.count() == 1
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(("state", "accepts"), [(SiteState.CLOSED, False), (SiteState.OPEN, False)])
def test_a_site_not_accepting_referrals_refuses_the_slip(nurse, riscle_site, state, accepts):
    set_status(riscle_site, state=state, accepts=accepts)
    with pytest.raises(Conflict):
        services.send_referral(actor=nurse, site_id=riscle_site.pk, reason="fièvre")
    assert not Referral.objects.exists()
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(("reason", "code"), [("   ", "empty_reason"), ("x" * 201, "reason_too_long")])
def test_bad_reason_is_refused(nurse, riscle_site, reason, code):
    set_status(riscle_site)
    with pytest.raises(InvalidInput) as caught:
        services.send_referral(actor=nurse, site_id=riscle_site.pk, reason=reason)
    assert caught.value.code == code
    assert not Referral.objects.exists()


def test_staff_and_patients_do_not_send_slips(ars_occitanie, riscle_site):
    set_status(riscle_site)
    patient = UserFactory(email="patient@exemple.fr")
    for actor in (ars_occitanie, patient):
        with pytest.raises(NotAllowed):
            services.send_referral(actor=actor, site_id=riscle_site.pk, reason="fièvre")


def test_slips_and_their_e_mails_are_purged_after_the_retention_period(nurse, riscle_site, settings):
    settings.REFERRAL_RETENTION_DAYS = 30
    set_status(riscle_site)
    now = timezone.now()
    old = services.send_referral(
        actor=nurse, site_id=riscle_site.pk, reason="ancien", now=now - timedelta(days=31)
    )
    Delivery.objects.filter(delivery_key=f"referral:{old.pk}").update(created_at=now - timedelta(days=31))
    recent = services.send_referral(
        actor=nurse, site_id=riscle_site.pk, reason="récent", now=now - timedelta(days=29)
    )
    assert services.purge_referrals(now=now) == 1
    assert list(Referral.objects.values_list("pk", flat=True)) == [recent.pk]
    assert list(Delivery.objects.values_list("delivery_key", flat=True)) == [f"referral:{recent.pk}"]


def test_the_demo_seed_gives_the_demo_manager_sites_with_every_kind_of_status(occitanie):
    from referrals import demo

    logins = demo.seed()
    assert logins == [("Responsable de site de soins (Auch, Riscle)", demo.MANAGER_EMAIL)]
    demo.seed()  # idempotent
    managed = CareSite.objects.filter(manager__email=demo.MANAGER_EMAIL)
    assert managed.count() == 2
    statuses = SiteStatus.objects.all()
    assert {status.state for status in statuses} == {"open", "saturated", "closed"}
    assert any(status.is_stale for status in statuses)
    assert selectors.silent_sites().exists()
    assert StatusReport.objects.count() == statuses.count()
