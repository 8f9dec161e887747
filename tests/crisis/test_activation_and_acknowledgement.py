"""Activation of the crisis plan, the decision log, bulletins marked EXERCICE, acknowledgements,
the console's figures and the drill report; scopes and bad input."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crisis import selectors, services
from crisis.models import Acknowledgement, Activation, Decision, OrsanTrack
from gomask.errors import Conflict, InvalidInput, NotAllowed, NotFound
from notifications import services as notifications
from notifications import sms
from notifications.delivery import deliver_many
from notifications.models import Channel, Delivery, Notification, NotificationPreference
from tests.crisis.conftest import activate

pytestmark = pytest.mark.django_db


def publish(actor, activation, **fields):
    values = {"title": "Canicule : consignes", "body": "Hydratez vos patients âgés.", "severity": "warning"}
    values.update(fields)
    bulletin = services.publish_activation_bulletin(actor=actor, activation_id=activation.pk, **values)
    notifications.fan_out_bulletin(bulletin_id=bulletin.pk)
    deliver_many(list(Delivery.objects.filter(bulletin=bulletin).values_list("pk", flat=True)))
    return bulletin


def token_of(bulletin, professional, channel=Channel.EMAIL) -> str:
    url = Delivery.objects.get(bulletin=bulletin, professional=professional, channel=channel).url
    return re.search(r"/pris-en-compte/([^/]+)/$", url).group(1)


def test_a_coordinator_activates_its_own_territory_and_the_log_starts(cpts):
    activation = activate(cpts, is_drill=True)
    assert activation.territory.user == cpts and activation.region_id == "76"
    assert activation.is_drill and activation.is_open
    (entry,) = Decision.objects.filter(activation=activation)
    assert "EXERCICE" in entry.text and "ORSAN CLIM" in entry.text


def test_ars_activates_a_territory_of_its_region_but_not_of_another(cpts, ars_occitanie, ars_paca):
    territory = cpts.cpts_scope
    assert activate(ars_occitanie, territory_id=territory.pk).territory == territory
    with pytest.raises(InvalidInput) as refused:
        activate(ars_paca, territory_id=territory.pk)
    assert refused.value.code == "unknown_territory"
    assert Activation.objects.count() == 1


def test_a_coordinator_cannot_activate_another_cpts_territory(cpts, cpts_toulouse):
    with pytest.raises(InvalidInput):
        activate(cpts, territory_id=cpts_toulouse.cpts_scope.pk)
    assert not Activation.objects.exists()


def test_professionals_and_pharmacists_cannot_activate(riscle_nurse, riscle_pharmacist, cpts):
    for actor in (riscle_nurse, riscle_pharmacist):
        with pytest.raises(NotAllowed):
            activate(actor, territory_id=cpts.cpts_scope.pk)
    assert not Activation.objects.exists()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"track": "zombie"}, "invalid_track"),
        ({"level": "9"}, "invalid_level"),
        ({"level": "deux"}, "invalid_level"),
        ({"summary": "   "}, "empty_summary"),
        ({"summary": "x" * 501}, "summary_too_long"),
    ],
)
def test_bad_activation_input_is_refused_in_french_and_writes_nothing(cpts, fields, code):
    with pytest.raises(InvalidInput) as refused:
        activate(cpts, **fields)
    assert refused.value.code == code
    assert not Activation.objects.exists() and not Decision.objects.exists()


def test_a_second_open_activation_on_the_same_territory_is_a_conflict(cpts):
    activate(cpts)
    with pytest.raises(Conflict) as refused:
        activate(cpts, track="reb")
    assert refused.value.code == "already_active"
    assert Activation.objects.count() == 1


def test_the_log_is_appended_to_and_closes_with_the_activation(cpts, cpts_toulouse):
    activation = activate(cpts)
    services.record_decision(
        actor=cpts, activation_id=activation.pk, text="Ouverture d'un centre de dépistage."
    )
    with pytest.raises(NotFound):
        services.record_decision(actor=cpts_toulouse, activation_id=activation.pk, text="Intrusion")
    with pytest.raises(InvalidInput):
        services.record_decision(actor=cpts, activation_id=activation.pk, text="  ")
    services.end_activation(actor=cpts, activation_id=activation.pk)
    with pytest.raises(Conflict):
        services.record_decision(actor=cpts, activation_id=activation.pk, text="Trop tard")
    texts = list(Decision.objects.filter(activation=activation).values_list("text", flat=True))
    assert (
        len(texts) == 3
        and texts[1] == "Ouverture d'un centre de dépistage."
        and texts[2] == "Fin de l'activation."
    )


def test_a_drill_bulletin_says_exercice_in_the_email_sms_and_portal(cpts, riscle_nurse, toulouse_nurse):
    NotificationPreference.objects.create(
        professional=riscle_nurse.professional, email=True, sms=True, portal=True
    )
    activation = activate(cpts, is_drill=True)
    bulletin = publish(cpts, activation)
    assert bulletin.is_drill
    # Only the territory (Riscle's EPCI) is targeted: the Toulouse nurse is not.
    assert set(Delivery.objects.filter(bulletin=bulletin).values_list("professional_id", flat=True)) == {
        riscle_nurse.professional.pk
    }
    (email,) = mail.outbox
    assert email.subject.startswith("[EXERCICE] ")
    assert "EXERCICE" in email.body and "/crise/pris-en-compte/" in email.body
    (text,) = sms.outbox
    assert "EXERCICE" in text["body"] and "/crise/pris-en-compte/" in text["body"]
    notification = Notification.objects.get(user=riscle_nurse)
    assert notification.title.startswith("[EXERCICE] ")
    assert Decision.objects.filter(activation=activation, text__contains=bulletin.title).exists()


def test_a_real_bulletin_carries_no_exercice_mark(cpts, riscle_nurse):
    publish(cpts, activate(cpts))
    assert "EXERCICE" not in mail.outbox[0].subject


def test_the_signed_link_acknowledges_once_and_a_second_click_says_when(cpts, riscle_nurse, client):
    bulletin = publish(cpts, activate(cpts, is_drill=True))
    url = reverse("crisis:acknowledge", args=[token_of(bulletin, riscle_nurse.professional)])
    page = client.get(url)
    assert page.status_code == 200 and "EXERCICE" in page.content.decode()
    # The page sends its form itself (a static script), the button stays for browsers without it.
    assert "js/crisis/acknowledge.js" in page.content.decode() and "data-auto-submit" in page.content.decode()
    assert client.head(url).status_code == 200 and client.get(url).status_code == 200
    assert not Acknowledgement.objects.exists()  # opening the link (a mail scanner) acknowledges nothing
    first = client.post(url)
    assert first.status_code == 302 and first.url == url  # a reload sends nothing again
    shown = client.get(url).content.decode()
    assert "Pris en compte le" in shown and "Merci : le bulletin est pris en compte." in shown
    assert "acknowledge.js" not in shown
    acknowledgement = Acknowledgement.objects.get()
    assert acknowledgement.channel == Channel.EMAIL
    again = client.post(url, follow=True)
    assert again.status_code == 409
    local = timezone.localtime(acknowledgement.acknowledged_at).strftime("%H:%M")
    assert "déjà été pris en compte le" in again.content.decode() and local in again.content.decode()
    assert Acknowledgement.objects.count() == 1


def test_a_tampered_link_is_refused_and_writes_nothing(cpts, riscle_nurse, client):
    bulletin = publish(cpts, activate(cpts))
    token = token_of(bulletin, riscle_nurse.professional)
    response = client.post(reverse("crisis:acknowledge", args=[token[:-2] + "xx"]))
    assert response.status_code == 400
    assert "pas valide ou a été modifié" in response.content.decode()
    assert not Acknowledgement.objects.exists()


def test_the_api_acknowledges_once_then_answers_409(cpts, riscle_nurse, client):
    bulletin = publish(cpts, activate(cpts))
    token = token_of(bulletin, riscle_nurse.professional, Channel.PORTAL)
    first = client.post("/api/crise/pris-en-compte/", {"token": token}, content_type="application/json")
    assert first.status_code == 201 and first.json()["channel"] == "portal"
    second = client.post("/api/crise/pris-en-compte/", {"token": token}, content_type="application/json")
    assert second.status_code == 409 and second.json()["code"] == "already_acknowledged"
    bad = client.post("/api/crise/pris-en-compte/", {"token": "abc"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_acknowledge_token"


def test_a_professional_acknowledges_from_the_portal_but_not_a_bulletin_for_others(
    cpts, riscle_nurse, toulouse_nurse, client
):
    bulletin = publish(cpts, activate(cpts))
    client.force_login(toulouse_nurse)
    assert client.post(reverse("crisis:acknowledge_portal", args=[bulletin.pk])).status_code == 404
    client.force_login(riscle_nurse)
    response = client.post(reverse("crisis:acknowledge_portal", args=[bulletin.pk]))
    assert response.status_code == 302
    assert Acknowledgement.objects.get().professional == riscle_nurse.professional


def test_the_console_counts_per_profession_and_commune_and_lists_who_was_not_reached(
    cpts, riscle_nurse, riscle_doctor, client
):
    from professionals.models import Professional
    from tests.factories import ProfessionalFactory

    unreachable = ProfessionalFactory(email="", insee_code="32344", last_name="Sansmail")
    NotificationPreference.objects.create(professional=unreachable, email=False, sms=False, portal=False)
    activation = activate(cpts)
    bulletin = publish(cpts, activation)
    services.acknowledge(token=token_of(bulletin, riscle_nurse.professional))
    (figures,) = selectors.console_figures(activation)
    assert (figures["targeted"], figures["delivered"], figures["acknowledged"]) == (3, 2, 1)
    assert figures["unreached"] == [Professional.objects.get(pk=unreachable.pk)]
    rows = {(row["profession"], row["commune"]): row for row in figures["rows"]}
    assert rows[("Infirmier", "Riscle")] == {
        "profession": "Infirmier",
        "commune": "Riscle",
        "targeted": 2,
        "delivered": 1,
        "acknowledged": 1,
    }
    client.force_login(cpts)
    data = client.get(reverse("crisis:console_data", args=[activation.pk])).json()
    assert data["bulletins"][0]["acknowledged"] == 1 and data["bulletins"][0]["unreached"] == 1
    page = client.get(reverse("crisis:console", args=[activation.pk])).content.decode()
    assert "Sansmail" in page and "console.js" in page


def test_other_cpts_other_region_and_professionals_cannot_open_the_console(
    cpts, cpts_toulouse, ars_paca, ars_occitanie, riscle_nurse, riscle_pharmacist, client
):
    activation = activate(cpts)
    for name in (
        "crisis:console",
        "crisis:console_data",
        "crisis:census",
        "crisis:report",
        "crisis:bulletin",
    ):
        url = reverse(name, args=[activation.pk])
        for outsider in (cpts_toulouse, ars_paca):
            client.force_login(outsider)
            assert client.get(url).status_code == 404, (name, outsider)
        for other_role in (riscle_nurse, riscle_pharmacist):
            client.force_login(other_role)
            assert client.get(url).status_code == 403, (name, other_role)
        client.force_login(ars_occitanie)
        assert client.get(url).status_code == 200, name


def test_an_activation_page_with_bad_input_answers_400_in_french(cpts, client):
    client.force_login(cpts)
    response = client.post(reverse("crisis:activate"), {"level": "7", "track": "amavi", "summary": "x"})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Activation.objects.exists()
    ok = client.post(
        reverse("crisis:activate"),
        {"level": "3", "track": "amavi", "summary": "Accident collectif", "is_drill": "on"},
    )
    activation = Activation.objects.get()
    assert ok.status_code == 302 and ok["Location"] == reverse("crisis:console", args=[activation.pk])


def test_the_drill_report_gives_median_p90_and_share_within_the_hour(cpts, occitanie):
    from tests.factories import ProfessionalFactory

    professionals = [ProfessionalFactory(email=f"p{i}@exemple.fr", insee_code="32344") for i in range(10)]
    activation = activate(cpts, is_drill=True)
    bulletin = publish(cpts, activation)
    published = bulletin.published_at
    for minutes, professional in zip([5, 10, 15, 20, 30, 40, 50, 90], professionals, strict=False):
        ack = Acknowledgement.objects.create(bulletin=bulletin, professional=professional, channel="email")
        Acknowledgement.objects.filter(pk=ack.pk).update(
            acknowledged_at=published + timedelta(minutes=minutes)
        )
    report = selectors.drill_report(activation)
    overall = report["overall"]
    assert overall["targeted"] == 10 and overall["acknowledged"] == 8
    assert overall["median_minutes"] == 25.0
    assert overall["p90_minutes"] == 90.0
    assert overall["share_within_hour"] == 70
    assert report["professions"][0]["profession"] == "Infirmier"


def test_the_orsan_tracks_are_the_volets_of_the_2019_guide():
    names = [label.split(" — ")[0] for label in OrsanTrack.labels]
    assert names == [
        "ORSAN AMAVI",
        "ORSAN CLIM",
        "ORSAN EPI-VAC",
        "ORSAN REB",
        "ORSAN NRC",
        "ORSAN MEDICO-PSY",
    ]


@pytest.mark.django_db
def test_an_unknown_orsan_track_is_refused_and_nothing_is_written(cpts):
    with pytest.raises(InvalidInput):
        activate(cpts, track="epi_clim")
    assert not Activation.objects.exists()
