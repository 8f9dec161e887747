"""The planning pages: who sees what, filters, bad input in French, nothing written by a simulation."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from distribution.models import QuotaPolicy, Shipment
from notifications.models import CoordinatorScope
from planning import services
from planning.models import Proposal, ProposalKind, ProposalStatus
from tests.factories import PharmacyFactory, UserFactory, commune, pharmacist_of
from tests.planning.conftest import RISCLE, TODAY, TOULOUSE, every_day, set_stock

pytestmark = pytest.mark.django_db


def listed(response) -> list[str]:
    body = response.content.decode()
    table = body.split('id="at-risk"', 1)[1] if 'id="at-risk"' in body else ""
    return re.findall(r'<th scope="row">([^<]+)</th>', table)


def test_ars_staff_see_the_pharmacies_at_risk_of_their_region_earliest_first(
    client, ars_occitanie, at_risk_scene
):
    client.force_login(ars_occitanie)
    response = client.get(reverse("planning:at_risk"))
    assert response.status_code == 200
    assert listed(response) == ["Pharmacie de l&#x27;Adour", "Pharmacie du Capitole"]
    assert "2,0" in response.content.decode() or "2.0" in response.content.decode()


def test_filters_by_departement_and_epci(client, ars_occitanie, at_risk_scene):
    client.force_login(ars_occitanie)
    response = client.get(reverse("planning:at_risk"), {"departement": "31"})
    assert listed(response) == ["Pharmacie du Capitole"]
    toulouse_epci = commune(TOULOUSE).epci_id
    response = client.get(reverse("planning:at_risk"), {"epci": toulouse_epci})
    assert listed(response) == ["Pharmacie du Capitole"]


def test_an_unknown_filter_is_a_french_400(client, ars_occitanie, at_risk_scene):
    client.force_login(ars_occitanie)
    response = client.get(reverse("planning:at_risk"), {"departement": "13"})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()


def test_an_agent_of_another_region_sees_none_of_occitanie(client, ars_paca, at_risk_scene):
    client.force_login(ars_paca)
    response = client.get(reverse("planning:at_risk"), {"region": "76"})
    assert response.status_code == 200
    assert listed(response) == []


def test_a_cpts_coordinator_reads_only_their_territory(client, occitanie, at_risk_scene):
    coordinator = UserFactory(role=Role.CPTS_COORDINATOR, region_id="76")
    scope = CoordinatorScope.objects.create(user=coordinator, name="CPTS du Val d'Adour")
    scope.communes.add(commune(RISCLE))
    client.force_login(coordinator)
    response = client.get(reverse("planning:at_risk"))
    assert listed(response) == ["Pharmacie de l&#x27;Adour"]
    assert reverse("planning:proposals") not in response.content.decode()
    assert client.get(reverse("planning:proposals")).status_code == 403


def test_accepting_a_proposal_from_the_page(client, ars_occitanie, at_risk_scene):
    client.force_login(ars_occitanie)
    proposal = Proposal.objects.filter(kind=ProposalKind.REGIONAL).order_by("id").first()
    page = client.get(reverse("planning:proposals"))
    assert page.status_code == 200
    response = client.post(reverse("planning:proposal_accept", args=[proposal.pk]), {"source": "national"})
    assert response.status_code == 302
    assert Shipment.objects.filter(pharmacy=proposal.recipient, quantity=proposal.quantity).exists()
    again = client.post(reverse("planning:proposal_accept", args=[proposal.pk]), {"source": "national"})
    assert again.status_code == 409
    assert "déjà été traitée" in again.content.decode()


def test_the_pharmacist_sees_the_forecast_of_their_pharmacy_only(client, at_risk_scene):
    riscle, toulouse, _auch = at_risk_scene
    pharmacist = pharmacist_of(riscle)
    client.force_login(pharmacist)
    response = client.get(reverse("planning:pharmacy_forecast", args=[riscle.pk]))
    assert response.status_code == 200
    assert 'id="forecast"' in response.content.decode()
    assert client.get(reverse("planning:pharmacy_forecast", args=[toulouse.pk])).status_code == 403
    stock_page = client.get(reverse("pharmacies:stock", args=[riscle.pk]))
    assert reverse("planning:pharmacy_forecast", args=[riscle.pk]) in stock_page.content.decode()


def test_a_transfer_sent_by_the_wrong_pharmacy_is_refused(client, ars_occitanie, occitanie, surgical):
    a = PharmacyFactory(insee_code=RISCLE, name="Pharmacie A")
    b = PharmacyFactory(insee_code=RISCLE, name="Pharmacie B")
    set_stock(a, surgical, 0)
    every_day(a, surgical, 2)
    set_stock(b, surgical, 100)
    services.refresh_forecast(today=TODAY)
    proposal = Proposal.objects.get(kind=ProposalKind.TRANSFER)
    services.accept_proposal(actor=ars_occitanie, proposal_id=proposal.pk)
    client.force_login(pharmacist_of(a))
    response = client.post(reverse("planning:transfer_send", args=[a.pk, proposal.pk]))
    assert response.status_code == 403
    client.force_login(pharmacist_of(b))
    response = client.post(reverse("planning:transfer_send", args=[b.pk, proposal.pk]))
    assert response.status_code == 302
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.DONE


def test_allocation_page_proposes_then_confirms(client, ars_occitanie, at_risk_scene):
    client.force_login(ars_occitanie)
    url = reverse("planning:allocate")
    response = client.get(url, {"product": "surgical", "quantity": "1 000", "source": "national"})
    assert response.status_code == 200
    inputs = dict(re.findall(r'name="(line-[^"]+)" value="(\d+)"', response.content.decode()))
    # needs over 14 days: Riscle 140 - 20 = 120, Toulouse 70 - 30 = 40, Auch none: 750 and 250
    riscle, toulouse, auch = at_risk_scene
    assert inputs == {
        f"line-pharmacy-{riscle.pk}": "750",
        f"line-pharmacy-{toulouse.pk}": "250",
        f"line-pharmacy-{auch.pk}": "0",
    }
    token = re.search(r'name="form_token" value="([^"]+)"', response.content.decode()).group(1)
    payload = {"product": "surgical", "quantity": "1000", "source": "national", "form_token": token, **inputs}
    assert client.post(url, payload).status_code == 302
    assert sum(Shipment.objects.values_list("quantity", flat=True)) == 1000
    replay = client.post(url, payload)
    assert replay.status_code == 409
    assert sum(Shipment.objects.values_list("quantity", flat=True)) == 1000


def test_allocation_refuses_a_lot_that_is_not_a_number(client, ars_occitanie, at_risk_scene):
    client.force_login(ars_occitanie)
    response = client.get(reverse("planning:allocate"), {"product": "surgical", "quantity": "beaucoup"})
    assert response.status_code == 400
    assert "Indiquez un nombre de masques" in response.content.decode()


def test_simulating_writes_nothing_and_publishing_adds_versions(client, ars_occitanie, at_risk_scene):
    client.force_login(ars_occitanie)
    url = reverse("planning:simulator")
    before = QuotaPolicy.objects.count()
    response = client.get(url, {"product": "surgical", "weeks": "4", "quota_infirmier": "12"})
    assert response.status_code == 200
    assert 'id="simulation"' in response.content.decode()
    assert QuotaPolicy.objects.count() == before
    response = client.post(
        url, {"product": "surgical", "weeks": "4", "quota_infirmier": "12", "effective_from": "2026-12-07"}
    )
    assert response.status_code == 302
    policy = QuotaPolicy.objects.exclude(pk__in=[]).order_by("-id").first()
    assert (policy.profession, policy.quantity, policy.region_id) == ("infirmier", 12, "76")
    assert QuotaPolicy.objects.count() == before + 1


def test_publishing_an_unchanged_draft_is_refused(client, ars_occitanie, at_risk_scene):
    client.force_login(ars_occitanie)
    response = client.post(reverse("planning:simulator"), {"product": "surgical", "weeks": "4"})
    assert response.status_code == 400
    assert "rien à publier" in response.content.decode()


def test_the_simulator_refuses_bad_weeks_in_french(client, ars_occitanie, at_risk_scene):
    client.force_login(ars_occitanie)
    response = client.get(reverse("planning:simulator"), {"product": "surgical", "weeks": "0"})
    assert response.status_code == 400
    assert "supérieure ou égale à 1" in response.content.decode()
