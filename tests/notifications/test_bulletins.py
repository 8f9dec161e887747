"""Crisis bulletins: scope of ARS staff, CPTS coordinators and administrators; targeting; fan-out."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Role
from gomask.errors import InvalidInput, NotAllowed
from notifications import services
from notifications.models import CrisisBulletin, Delivery
from notifications.selectors import bulletins_for_professional
from professionals.models import Profession
from territories.models import Commune, Epci
from tests.factories import UserFactory, professional_user

pytestmark = pytest.mark.django_db

RISCLE, TOULOUSE = "32344", "31555"


def publish(author, **fields):
    values = {
        "title": "Tension sur les masques FFP2",
        "body": "Priorité aux soins à domicile.",
        "severity": "warning",
    }
    values.update(fields)
    return services.publish_bulletin(author=author, **values)


@pytest.fixture
def gers_nurse(occitanie):
    return professional_user(email="infirmier.gers@exemple.fr", insee_code=RISCLE)


@pytest.fixture
def toulouse_doctor(occitanie):
    return professional_user(
        profession=Profession.MEDECIN, email="medecin.toulouse@exemple.fr", insee_code=TOULOUSE
    )


def fan_out(bulletin):
    return services.fan_out_bulletin(bulletin_id=bulletin.pk)


def test_ars_bulletin_to_its_whole_region_reaches_every_professional_there(
    ars_occitanie, gers_nurse, toulouse_doctor
):
    bulletin = publish(ars_occitanie)
    assert fan_out(bulletin) == 2
    assert set(Delivery.objects.values_list("professional_id", flat=True)) == {
        gers_nurse.professional.pk,
        toulouse_doctor.professional.pk,
    }
    bulletin.refresh_from_db()
    assert bulletin.recipients == 2 and bulletin.fanout_done_at is not None


def test_targeting_by_departement_and_profession(ars_occitanie, gers_nurse, toulouse_doctor):
    bulletin = publish(ars_occitanie, departement_codes=["32"], professions=[Profession.INFIRMIER])
    assert fan_out(bulletin) == 1
    assert set(Delivery.objects.values_list("professional_id", flat=True)) == {gers_nurse.professional.pk}
    assert bulletins_for_professional(gers_nurse.professional) == [bulletin]
    assert bulletins_for_professional(toulouse_doctor.professional) == []


def test_fan_out_is_idempotent(ars_occitanie, gers_nurse, toulouse_doctor):
    bulletin = publish(ars_occitanie)
    fan_out(bulletin)
    fan_out(bulletin)
    assert Delivery.objects.count() == 4  # e-mail + portal, each once


def test_ars_of_another_region_cannot_target_occitanie(ars_paca):
    with pytest.raises(NotAllowed) as refused:
        publish(ars_paca, region_code="76")
    assert refused.value.code == "out_of_region"
    with pytest.raises(NotAllowed):
        publish(ars_paca, departement_codes=["32"])
    assert not CrisisBulletin.objects.exists()


def test_ars_cannot_target_an_epci_of_another_region(ars_paca):
    epci = Epci.objects.filter(region_id="76").first()
    with pytest.raises(NotAllowed):
        publish(ars_paca, epci_codes=[epci.pk])
    assert not CrisisBulletin.objects.exists()


def test_cpts_coordinator_reaches_only_its_territory(cpts, gers_nurse, toulouse_doctor):
    bulletin = publish(cpts)
    assert fan_out(bulletin) == 1
    assert set(Delivery.objects.values_list("professional_id", flat=True)) == {gers_nurse.professional.pk}


@pytest.mark.parametrize("target", [{"departement_codes": ["32"]}, {"epci_codes": ["toulouse"]}])
def test_cpts_coordinator_cannot_reach_beyond_its_territory(cpts, target):
    if target.get("epci_codes") == ["toulouse"]:
        target = {"epci_codes": [Commune.objects.get(pk=TOULOUSE).epci_id]}
    with pytest.raises(NotAllowed) as refused:
        publish(cpts, **target)
    assert refused.value.code == "out_of_territory"
    assert not CrisisBulletin.objects.exists()


def test_cpts_coordinator_without_a_territory_is_refused(occitanie):
    user = UserFactory(role=Role.CPTS_COORDINATOR, region_id="76")
    with pytest.raises(NotAllowed):
        publish(user)


def test_administrator_publishes_anywhere_but_must_name_the_region(administrator):
    with pytest.raises(InvalidInput):
        publish(administrator)
    bulletin = publish(administrator, region_code="93")
    assert bulletin.region_id == "93"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": ""}, "empty_title"),
        ({"title": "   "}, "empty_title"),
        ({"title": "x" * 201}, "title_too_long"),
        ({"body": ""}, "empty_body"),
        ({"body": "x" * 5001}, "body_too_long"),
        ({"severity": "apocalypse"}, "invalid_severity"),
        ({"professions": ["sorcier"]}, "invalid_profession"),
        ({"departement_codes": ["999"]}, "unknown_departement"),
    ],
)
def test_bad_bulletins_are_refused_and_nothing_is_sent(ars_occitanie, gers_nurse, fields, code):
    with pytest.raises(InvalidInput) as refused:
        publish(ars_occitanie, **fields)
    assert refused.value.code == code
    assert not CrisisBulletin.objects.exists() and not Delivery.objects.exists()


@pytest.mark.parametrize("role", [Role.PHARMACIST, Role.PROFESSIONAL, Role.PATIENT])
def test_other_roles_cannot_publish(occitanie, role):
    with pytest.raises(NotAllowed):
        publish(UserFactory(role=role))


def test_publish_page_refuses_other_roles(client, nurse, riscle_pharmacist):
    for user in (nurse, riscle_pharmacist):
        client.force_login(user)
        assert client.get(reverse("notifications:bulletin_publish")).status_code == 403


def test_publish_page_shows_a_clear_refusal_for_an_oversized_bulletin(client, ars_occitanie):
    client.force_login(ars_occitanie)
    response = client.post(
        reverse("notifications:bulletin_publish"),
        {"title": "Titre", "body": "x" * 5001, "severity": "info"},
    )
    assert response.status_code == 400
    assert "5000" in response.content.decode().replace("\u202f", "").replace(" ", "")
    assert not CrisisBulletin.objects.exists()


def test_publish_page_refuses_targeting_outside_the_region_with_403(client, ars_paca):
    client.force_login(ars_paca)
    response = client.post(
        reverse("notifications:bulletin_publish"),
        {"title": "Titre", "body": "Message", "severity": "info", "departements": ["32"]},
    )
    # Not offered (Gers is not among PACA's départements), and refused by the service with its message.
    assert response.status_code == 403
    assert "sort du périmètre de votre région" in response.content.decode()
    assert not CrisisBulletin.objects.exists()


def test_public_bulletins_are_on_the_home_page_and_private_ones_are_not(client, ars_occitanie):
    publish(ars_occitanie, title="Bulletin public", is_public=True)
    publish(ars_occitanie, title="Bulletin réservé aux soignants")
    page = client.get("/").content.decode()
    assert "Bulletin public" in page and "Bulletin réservé aux soignants" not in page


def test_a_public_bulletin_links_to_the_list_only_for_those_who_may_read_it(
    client, ars_occitanie, gers_nurse
):
    """A patient reaches a public bulletin from the orientation page: no link to a list they may
    not open (the demo crawl found it answering 403)."""
    bulletin = publish(ars_occitanie, title="Bulletin public", is_public=True)
    url = reverse("notifications:bulletin_detail", args=[bulletin.pk])
    list_link = f'href="{reverse("notifications:bulletins")}"'
    client.force_login(UserFactory(role=Role.PATIENT))
    assert list_link not in client.get(url).content.decode()
    client.force_login(gers_nurse)
    assert list_link in client.get(url).content.decode()


def test_private_bulletin_detail_is_hidden_from_non_targeted_people(
    client, ars_occitanie, gers_nurse, toulouse_doctor
):
    bulletin = publish(ars_occitanie, departement_codes=["32"])
    url = reverse("notifications:bulletin_detail", args=[bulletin.pk])
    assert client.get(url).status_code == 404
    client.force_login(toulouse_doctor)
    assert client.get(url).status_code == 404
    client.force_login(gers_nurse)
    assert client.get(url).status_code == 200


def test_professional_sees_bulletins_addressed_to_them_in_the_portal(client, ars_occitanie, gers_nurse):
    publish(ars_occitanie, title="Pour le Gers", departement_codes=["32"])
    publish(ars_occitanie, title="Pour la Haute-Garonne", departement_codes=["31"])
    client.force_login(gers_nurse)
    page = client.get(reverse("notifications:bulletins")).content.decode()
    assert "Pour le Gers" in page and "Pour la Haute-Garonne" not in page


def test_bulletin_is_delivered_by_email_with_its_severity(
    ars_occitanie, gers_nurse, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish(ars_occitanie, severity="critical", title="Rupture régionale")
    with django_capture_on_commit_callbacks(execute=True):
        services.fan_out_bulletin(bulletin_id=CrisisBulletin.objects.get().pk)
    assert [m.subject for m in mail.outbox] == ["[Alerte] Rupture régionale"]


def test_one_gate_gives_a_bulletin_to_its_readers_only(
    ars_occitanie, ars_paca, cpts, gers_nurse, toulouse_doctor, administrator, riscle_pharmacist
):
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import AccountStatus
    from gomask.errors import NotFound
    from notifications.selectors import addressed_professional, bulletin_for_reader, bulletin_for_recipient

    bulletin = publish(ars_occitanie, departement_codes=["32"])
    for reader in (gers_nurse, ars_occitanie, administrator):
        assert bulletin_for_reader(reader, bulletin.pk) == bulletin
    for stranger in (AnonymousUser(), toulouse_doctor, ars_paca, cpts, riscle_pharmacist):
        with pytest.raises(NotFound):
            bulletin_for_reader(stranger, bulletin.pk)
    assert bulletin_for_recipient(gers_nurse, bulletin.pk) == (bulletin, gers_nurse.professional)
    with pytest.raises(NotFound):
        bulletin_for_recipient(ars_occitanie, bulletin.pk)  # reads it, is not addressed it
    for bad_id in ("abc", 0, bulletin.pk + 1000):
        with pytest.raises(NotFound):
            bulletin_for_reader(gers_nurse, bad_id)
    gers_nurse.status = AccountStatus.SUSPENDED
    gers_nurse.save()
    assert addressed_professional(gers_nurse, bulletin) is None
    with pytest.raises(NotFound):
        bulletin_for_reader(gers_nurse, bulletin.pk)
    public = publish(ars_occitanie, is_public=True)
    assert bulletin_for_reader(AnonymousUser(), public.pk) == public
